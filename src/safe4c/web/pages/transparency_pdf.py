"""The transparency report as a PDF (reportlab): the monthly compliance table and a chart of time to removal."""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from safe4c.takedowns.compliance import WIB, PlatformMonth
from safe4c.web.i18n import translate

MEDIAN_COLOUR = colors.HexColor("#1a4fba")
P90_COLOUR = colors.HexColor("#b35900")


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def render_pdf(rows: list[PlatformMonth], *, month: str, lang: str, generated_at: datetime,
               hours: dict[str, str]) -> bytes:
    """``hours``: the configured deadlines as text, {"urgent": "4", "standard": "24"}."""
    def _(message: str, **params) -> str:
        return translate(lang, message, **params)

    styles = getSampleStyleSheet()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.5 * cm, bottomMargin=1.5 * cm,
                            title=_("Transparency report: platform compliance with takedown orders"),
                            author="safe4c")
    story = [
        Paragraph(_("Transparency report: platform compliance with takedown orders"), styles["Title"]),
        Paragraph(_("Orders issued in {month} (Western Indonesia Time). Generated {when}.", month=month,
                    when=generated_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")), styles["Normal"]),
        Spacer(1, 0.4 * cm),
    ]
    header = [_("Platform"), _("Orders"), _("Acknowledged"), _("Removed"), _("Within deadline"),
              _("Median hours to removal"), _("90th percentile hours"), _("Overdue now"), _("Escalation"),
              _("Disputes")]
    body = [[Paragraph(r.platform, styles["BodyText"]), r.received, r.acknowledged, r.removed,
             "—" if r.share_within_deadline is None else f"{r.share_within_deadline:.0%}",
             _hours(r.median_hours), _hours(r.p90_hours), r.overdue_now,
             _("Warning {level}", level=r.escalation_level) if r.escalation_level else "—", r.disputes]
            for r in rows]
    table = Table([[Paragraph(h, styles["BodyText"]) for h in header]] + body, repeatRows=1,
                  colWidths=[5 * cm] + [2.3 * cm] * 9)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef0f3")),
        ("LINEBELOW", (0, 0), (-1, 0), 1.2, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.grey),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story += [table, Spacer(1, 0.6 * cm)]
    story.append(Paragraph(_("Time from order to confirmed removal, per platform (hours)"), styles["Heading2"]))
    story.append(_chart(rows, _))
    story.append(Spacer(1, 0.4 * cm))
    story.append(Paragraph(_(
        "Deadlines: {urgent} hours for urgent orders (child sexual abuse material, terrorism), {standard} hours "
        "otherwise (Permenkominfo 5/2020). Missed deadlines escalate: warning 1, warning 2 (fine commitment), "
        "warning 3 with an access-blocking recommendation (Kepmen 522/2024). \"Within deadline\" counts removed "
        "orders among those removed or past their deadline; withdrawn orders are left out.",
        urgent=hours["urgent"], standard=hours["standard"]), styles["BodyText"]))
    doc.build(story)
    return buf.getvalue()


def _chart(rows: list[PlatformMonth], _) -> Drawing:
    drawing = Drawing(24 * cm, 8 * cm)
    with_data = [r for r in rows if r.median_hours is not None]
    if not with_data:
        drawing.add(String(0, 4 * cm, _("No order was removed in this month."), fontSize=11, fontName="Helvetica"))
        return drawing
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 1.5 * cm, 1.2 * cm, 18 * cm, 6 * cm
    chart.data = [[r.median_hours for r in with_data], [r.p90_hours for r in with_data]]
    chart.categoryAxis.categoryNames = [r.platform[:18] for r in with_data]
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
    legend.x, legend.y = 20.5 * cm, 6.5 * cm
    legend.fontSize = 8
    legend.fontName = "Helvetica"
    legend.colorNamePairs = [(MEDIAN_COLOUR, _("Median")), (P90_COLOUR, _("90th percentile"))]
    drawing.add(legend)
    return drawing
