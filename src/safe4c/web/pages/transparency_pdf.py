"""The transparency report as a PDF (reportlab): one month's compliance per platform with the national total,
urgent and standard orders apart, withdrawals counted, what was overdue when it was generated, and a chart of
time to removal. The chart and the notes under it are kept together, so the notes never sit alone on a page.
"""

from __future__ import annotations

import io
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from safe4c.kernel.months import WIB
from safe4c.takedowns.compliance import Period, PlatformMonth
from safe4c.takedowns.rules.deadlines import MAX_LEVEL
from safe4c.web.i18n import translate

MEDIAN_COLOUR = colors.HexColor("#1a4fba")
P90_COLOUR = colors.HexColor("#b35900")
HEAD_COLOUR = colors.HexColor("#eef0f3")
WIDTH = landscape(A4)[0] - 3 * cm  # between the margins
HEAD_SIZE = 8
MIN_COLUMN = 1.4 * cm


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _widths(header: list[str], *, first: float) -> list[float]:
    """Each figure column as wide as its header's longest word (headers wrap between words, never inside one);
    the first column (names) gets the rest of the page, at least ``first``."""
    figures = [max(MIN_COLUMN, max(stringWidth(w, "Helvetica", HEAD_SIZE) for w in h.split()) + 14)
               for h in header[1:]]
    spare = WIDTH - sum(figures) - first
    if spare > 0:  # share what is left between the names and the figures
        figures = [w + spare / 2 / len(figures) for w in figures]
        first += spare / 2
    return [first] + figures


def _table(header: list[str], body: list[list], *, first: float, styles, total: bool = False) -> Table:
    """A figures table: wrapped headers, numbers on the right, the last row bold when it is a total."""
    head = ParagraphStyle("head", parent=styles["BodyText"], fontSize=HEAD_SIZE, leading=HEAD_SIZE + 1.5)
    figure_head = ParagraphStyle("figure_head", parent=head, alignment=TA_RIGHT)
    table = Table([[Paragraph(header[0], head)] + [Paragraph(h, figure_head) for h in header[1:]]] + body, repeatRows=1,
                  colWidths=_widths(header, first=first))
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_COLOUR),
        ("LINEBELOW", (0, 0), (-1, 0), 1.2, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.grey),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTSIZE", (0, 1), (-1, -1), 9),
    ]
    if total:
        style += [("LINEABOVE", (0, -1), (-1, -1), 1.2, colors.black), ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold")]
    table.setStyle(TableStyle(style))
    return table


def render_pdf(period: Period, *, lang: str, generated_at: datetime, hours: dict[str, str]) -> bytes:
    """``hours``: the configured deadlines as text, {"urgent": "4", "standard": "24"}."""
    def _(message: str, **params) -> str:
        return translate(lang, message, **params)

    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.2 * cm, bottomMargin=1.2 * cm,
                            title=_("Transparency report: platform compliance with takedown orders"),
                            author="safe4c")
    generated = generated_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")
    t = period.total
    story = [
        Paragraph(_("Transparency report: platform compliance with takedown orders"), styles["Title"]),
        Paragraph(_("Orders issued in {month} (Western Indonesia Time). Generated {when}.", month=period.month,
                    when=generated), styles["Normal"]),
        Spacer(1, 0.2 * cm),
        Paragraph(_("Nationally, {orders} orders ({urgent} urgent, {standard} standard): {removed} removed, "
                    "{within} within the deadline, {withdrawn} withdrawn.", orders=t.received,
                    urgent=period.urgent.received, standard=period.standard.received, removed=t.removed,
                    within=_share(t.share_within_deadline), withdrawn=t.withdrawn), styles["Normal"]),
        Spacer(1, 0.3 * cm),
    ]
    header = [_("Platform"), _("Orders"), _("Urgent"), _("Acknowledged"), _("Removed"), _("Within deadline"),
              _("Median hours to removal"), _("90th percentile hours"), _("Withdrawn"), _("Still overdue"),
              _("Escalation"), _("Disputes")]

    def figures(name, r: PlatformMonth) -> list:
        return [Paragraph(name, cell), r.received, r.urgent, r.acknowledged, r.removed,
                _share(r.share_within_deadline), _hours(r.median_hours), _hours(r.p90_hours), r.withdrawn,
                r.overdue_now, _("Warning {level}", level=r.escalation_level) if r.escalation_level else "—",
                r.disputes]

    body = [figures(escape(r.platform), r) for r in period.rows] + [figures(f"<b>{_('All platforms')}</b>", t)]
    story += [_table(header, body, first=4 * cm, styles=styles, total=True), Spacer(1, 0.3 * cm)]

    split = [[Paragraph(_("Urgent (deadline {hours} hours)", hours=hours["urgent"]), cell), period.urgent],
             [Paragraph(_("Standard (deadline {hours} hours)", hours=hours["standard"]), cell), period.standard]]
    story.append(KeepTogether([
        Paragraph(_("Urgent and standard orders, all platforms"), styles["Heading3"]),
        _table([_("Kind of order"), _("Orders"), _("Removed"), _("Within deadline"), _("Median hours to removal"),
                _("90th percentile hours"), _("Withdrawn")],
               [[name, r.received, r.removed, _share(r.share_within_deadline), _hours(r.median_hours),
                 _hours(r.p90_hours), r.withdrawn] for name, r in split], first=6 * cm, styles=styles),
    ]))
    story.append(KeepTogether(_overdue(period, _, styles, generated)))
    story.append(KeepTogether([
        Paragraph(_("Time from order to confirmed removal, per platform (hours)"), styles["Heading3"]),
        _chart(period.rows, _),
        Paragraph(_(
            "Deadlines: {urgent} hours for urgent orders (child sexual abuse material, terrorism), {standard} hours "
            "otherwise (Permenkominfo 5/2020). Missed deadlines escalate: warning 1, warning 2 (fine commitment), "
            "warning 3 with an access-blocking recommendation (Kepmen 522/2024). \"Within deadline\" counts removed "
            "orders among those removed or past their deadline; withdrawn orders are counted in their own column "
            "and left out of that share. \"Still overdue\" counts this month's orders past their deadline when the "
            "report was generated.",
            urgent=hours["urgent"], standard=hours["standard"]), styles["BodyText"]),
    ]))
    doc.build(story)
    return buf.getvalue()


def _overdue(period: Period, _, styles, generated: str) -> list:
    """Every order overdue when the report was generated, whatever month it was issued in."""
    heading = Paragraph(_("Overdue on {when}, whatever month the orders were issued in", when=generated),
                        styles["Heading3"])
    if not period.overdue:
        return [heading, Paragraph(_("No order is overdue now."), styles["BodyText"]), Spacer(1, 0.3 * cm)]
    header = [_("Platform"), _("Overdue now"), _("Urgent"), _("Not warned yet")] + [
        _("Warning {level}", level=level) for level in range(1, MAX_LEVEL + 1)]
    body = [[Paragraph(escape(r.platform), styles["BodyText"]), r.overdue, r.urgent, *r.by_level] for r in period.overdue]
    total = [f"<b>{_('All platforms')}</b>", period.overdue_total, sum(r.urgent for r in period.overdue)] + [
        sum(r.by_level[i] for r in period.overdue) for i in range(MAX_LEVEL + 1)]
    total[0] = Paragraph(total[0], styles["BodyText"])
    return [heading, _table(header, body + [total], first=6 * cm, styles=styles, total=True), Spacer(1, 0.3 * cm)]


def _chart(rows: list[PlatformMonth], _) -> Drawing:
    drawing = Drawing(24 * cm, 7 * cm)
    with_data = [r for r in rows if r.median_hours is not None]
    if not with_data:
        drawing.height = 1.2 * cm
        drawing.add(String(0, 0.4 * cm, _("No order was removed in this month."), fontSize=11, fontName="Helvetica"))
        return drawing
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 1.5 * cm, 1.2 * cm, 18 * cm, 5.2 * cm
    chart.data = [[r.median_hours for r in with_data], [r.p90_hours for r in with_data]]
    chart.categoryAxis.categoryNames = [r.platform[:28] for r in with_data]
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.barLabels.fontName = "Helvetica"
    chart.bars[0].fillColor = MEDIAN_COLOUR
    chart.bars[1].fillColor = P90_COLOUR
    chart.barLabelFormat = "%.1f"
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 20.5 * cm, 5.7 * cm
    legend.fontSize = 8
    legend.fontName = "Helvetica"
    legend.colorNamePairs = [(MEDIAN_COLOUR, _("Median")), (P90_COLOUR, _("90th percentile"))]
    drawing.add(legend)
    return drawing
