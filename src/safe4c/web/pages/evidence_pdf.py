"""An evidence package (reports/evidence.py) as a PDF (reportlab), for a case file; the JSON stays the record."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle


def render_pdf(package: dict, *, translate) -> bytes:
    """A readable rendering of the package for a case file; the JSON stays the record."""
    _ = translate
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            title=_("Evidence package"), author="safe4c")
    p = lambda text, style=small: Paragraph(escape(str(text if text is not None else "—")), style)  # noqa: E731

    def table(head: list[str], rows: list[list]) -> Table:
        t = Table([[p(h) for h in head]] + [[p(c) for c in row] for row in rows], repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, "#888888"),
                               ("BACKGROUND", (0, 0), (-1, 0), "#e8e8e8"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    story = [p(_("Evidence package"), styles["Title"]),
             p(_("Package {id}, created {at} by {name}", id=package["package_id"], at=package["created_at"],
                 name=package["created_by"]["name"]), styles["BodyText"]),
             p(_("Integrity (SHA-256 of the JSON record): {hash}", hash=package["integrity"]["sha256"])),
             p(_("Reason for the referral: {reason}", reason=package["reason"])), Spacer(1, 8),
             p(_("Cross-platform path"), styles["Heading2"]),
             p(" → ".join(x["platform"] for x in package["path"]) or "—"),
             p(_("Reports"), styles["Heading2"]),
             table([_("Report id"), _("Received"), _("Channel"), _("Situations"), _("Platforms"), _("Priority"),
                    _("Region")],
                   [[r["id"], r["received_at"], r["channel"], ", ".join(r["situations"]), ", ".join(r["platforms"]),
                     r["priority"], r["regency"] or r["province"]] for r in package["reports"]])]
    for r in package["reports"]:
        if r["statement"]:
            story += [p(_("Statement in report {id}", id=r["id"][:8]), styles["Heading4"]), p(r["statement"])]
    story += [p(_("Identifiers"), styles["Heading2"]),
              table([_("Kind"), _("Platform"), _("Value"), _("Reports")],
                    [[i["kind"], i["platform"], i["value"], ", ".join(x[:8] for x in i["reports"])]
                     for i in package["identifiers"]]),
              p(_("Timeline"), styles["Heading2"]),
              table([_("When"), _("Event"), _("Report")],
                    [[t["at"], t["event"], (t.get("report") or "")[:8]] for t in package["timeline"]]),
              p(_("Takedown orders"), styles["Heading2"]),
              table([_("Order"), _("Platform"), _("Target"), _("Status"), _("Issued"), _("Removed")],
                    [[o["id"][:8], o["platform"], o["target"], o["status"], o["issued_at"], o["removed_at"]]
                     for o in package["takedown_orders"]]),
              p(_("Chain of custody"), styles["Heading2"]),
              table([_("Entry"), _("When"), _("Who"), _("Action"), _("Subject"), _("Hash")],
                    [[c["entry"], c["at"], c["actor"], c["action"], f"{c['subject_type']} {c['subject_id']}"[:40],
                      c["hash"][:16]] for c in package["chain_of_custody"]])]
    doc.build(story)
    return out.getvalue()
