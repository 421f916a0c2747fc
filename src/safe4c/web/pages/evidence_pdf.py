"""An evidence package (workspace/evidence.py) as a PDF (reportlab), for a case file; the JSON stays the record.

What a reader needs, in the reader's language: labels instead of codes (situations, platforms, channels,
statuses, identifier kinds, events), the child's age band and gender, times in Indonesian time without
microseconds (WIB, or WITA/WIT when every report of the package comes from a region in that zone), columns
with set widths so words are not broken (long hashes and links may break after a separator), and fonts that
cover what children write (pdf_fonts.py: Arabic, Chinese, emoji and more, embedded).
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from safe4c.kernel.regions import ZONES, time_zone_of
from safe4c.takedowns.rules import labels as order_labels
from safe4c.web.pages import pdf_fonts
from safe4c.web.pages.staff import LABELS

WIDTH = A4[0] - 3 * cm
_BREAKABLE = re.compile(r"([/._\-:?&=+])")
REPORT_EVENTS = {"received": "Report received", "takedown_issued": "Takedown order issued",
                 "takedown_removed": "Content removed", "created": "Report received"}


def zone_of(package: dict) -> str:
    """WIB, WITA or WIT: the zone every report of the package shares (by province), else WIB."""
    zones = {time_zone_of(r.get("province_code")) for r in package["reports"] if r.get("province_code")}
    return zones.pop() if len(zones) == 1 else "WIB"


def local_time(value: str | None, zone: str) -> str:
    """An ISO time from the package as people read it: '2026-01-05 13:30 WITA' (no seconds, no microseconds)."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(ZONES[zone])).strftime("%Y-%m-%d %H:%M ") + zone


def breakable(text: str | None) -> str:
    """A hash or a link that may wrap after its separators (or every 16 characters), never inside a word."""
    if not text:
        return "—"
    pieces = _BREAKABLE.sub("\\1\u200b", text)
    return re.sub(r"([0-9a-fA-F]{16})(?=[0-9a-fA-F])", "\\1\u200b", pieces)


def render_pdf(package: dict, *, translate, kinds: dict[str, str] | None = None,
               events: dict[str, str] | None = None) -> bytes:
    """A readable rendering of the package; ``kinds`` and ``events`` are the pages' msgids for identifier kinds
    and timeline events."""
    _ = translate
    kinds, events = kinds or {}, {**REPORT_EVENTS, **LABELS["event"], **(events or {})}
    zone = zone_of(package)
    font = pdf_fonts.base_font()
    styles = getSampleStyleSheet()
    for name in ("Title", "Heading2", "Heading4", "BodyText"):
        styles[name].fontName = font
        styles[name].shaping = 1  # HarfBuzz (uharfbuzz): Arabic letters joined and set right to left
    small = styles["BodyText"].clone("small", fontSize=8, leading=10, splitLongWords=0)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            title=_("Evidence package"), author="safe4c")

    def p(text, style=small) -> Paragraph:
        return Paragraph(pdf_fonts.markup(text), style)

    def label(kind: str, code: str | None) -> str:
        return _(LABELS.get(kind, {}).get(code, code)) if code else "—"

    def many(kind: str, codes) -> str:
        return ", ".join(label(kind, c) for c in codes) or "—"

    def when(value: str | None) -> str:
        return local_time(value, zone)

    def table(head: list[str], rows: list[list], widths: list[float]) -> Table:
        total = sum(widths)
        t = Table([[p(h) for h in head]] + [[p(c) for c in row] for row in rows], repeatRows=1,
                  colWidths=[WIDTH * w / total for w in widths])
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, "#888888"),
                               ("BACKGROUND", (0, 0), (-1, 0), "#e8e8e8"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    reports = package["reports"]
    story = [p(_("Evidence package"), styles["Title"]),
             p(_("Package {id}, created {at} by {name}", id=package["package_id"], at=when(package["created_at"]),
                 name=package["created_by"]["name"]), styles["BodyText"]),
             p(_("Times are in {zone} (Indonesian time).", zone=zone)),
             p(_("Integrity (SHA-256 of the JSON record): {hash}", hash=package["integrity"]["sha256"])),
             p(_("Reason for the referral: {reason}", reason=package["reason"])), Spacer(1, 8),
             p(_("Cross-platform path"), styles["Heading2"]),
             p(" → ".join(label("platform", x["platform"]) for x in package["path"]) or "—"),
             p(_("Reports"), styles["Heading2"]),
             table([_("Report id"), _("Received"), _("Channel"), _("Situations"), _("Platforms"), _("Priority"),
                    _("Age"), _("Gender"), _("Region")],
                   [[r["id"][:8], when(r["received_at"]), label("channel", r["channel"]),
                     many("situation", r["situations"]), many("platform", r["platforms"]), r["priority"] or "—",
                     label("age", r.get("age_band")), label("gender", r.get("gender")),
                     r["regency"] or r["province"]] for r in reports],
                   [1.3, 1.9, 1.2, 2.2, 1.8, 0.9, 0.9, 1.0, 1.8])]
    for r in reports:
        if r["statement"]:
            story += [p(_("Statement in report {id}", id=r["id"][:8]), styles["Heading4"]),
                      p(r["statement"], styles["BodyText"])]
    story += [p(_("Identifiers"), styles["Heading2"]),
              table([_("Kind"), _("Platform"), _("Value"), _("Reports")],
                    [[_(kinds.get(i["kind"], i["kind"])), label("platform", i["platform"]) if i["platform"] else "—",
                      breakable(i["value"]), ", ".join(x[:8] for x in i["reports"])]
                     for i in package["identifiers"]], [1.6, 1.4, 4.5, 2.0]),
              p(_("Timeline"), styles["Heading2"]),
              table([_("When"), _("Event"), _("Report")],
                    [[when(t["at"]), _(events.get(t["event"], t["event"])), (t.get("report") or "")[:8]]
                     for t in package["timeline"]], [2.0, 5.0, 1.5]),
              p(_("Takedown orders"), styles["Heading2"]),
              table([_("Order"), _("Platform"), _("Target"), _("Status"), _("Issued"), _("Removed")],
                    [[o["id"][:8], o["platform"], breakable(o["target"]), _(order_labels.label("status", o["status"])),
                      when(o["issued_at"]), when(o["removed_at"])] for o in package["takedown_orders"]],
                    [1.1, 1.5, 3.4, 1.3, 1.9, 1.9]),
              p(_("Chain of custody"), styles["Heading2"]),
              table([_("Entry"), _("When"), _("Who"), _("Action"), _("Subject"), _("Hash")],
                    [[c["entry"], when(c["at"]), c["actor"], breakable(c["action"]),
                      breakable(f"{c['subject_type']} {c['subject_id']}"[:48]), breakable(c["hash"][:16])]
                     for c in package["chain_of_custody"]], [0.8, 1.9, 1.3, 2.0, 2.8, 1.6])]
    doc.build(story)
    return out.getvalue()
