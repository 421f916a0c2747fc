"""What people read for a takedown order's codes: one mapping of status, target, category and event codes to
English msgids (N_), translated where they are shown (templates use the ``order_status`` filter or ``tlabel``).

The codes themselves are stored and sent to platforms through the API; they never change for a label.
"""

from __future__ import annotations

from safe4c.kernel.i18n import N_

STATUS = {
    "issued": N_("Issued"),
    "acknowledged": N_("Acknowledged"),
    "disputed": N_("Disputed"),
    "removed": N_("Removed"),
    "withdrawn": N_("Withdrawn"),
    # the list's filters, besides the statuses themselves
    "open": N_("Open (needs action)"),
    "closed": N_("Closed"),
}
TARGET = {"url": N_("Web address (URL)"), "hash": N_("Content hash"), "account": N_("Account")}
CATEGORY = {"csam": N_("Child sexual abuse material"), "terrorism": N_("Terrorism"), "other": N_("Other")}
EVENT = {
    "issued": N_("Order issued"),
    "delivered": N_("Delivered to the platform's webhook"),
    "acknowledged": N_("Acknowledged by the platform"),
    "removed": N_("Removal confirmed"),
    "disputed": N_("Disputed by the platform"),
    "dispute_upheld": N_("Dispute rejected: order upheld"),
    "withdrawn": N_("Order withdrawn"),
    "escalated": N_("Escalated"),
}
LABELS: dict[str, dict[str, str]] = {"status": STATUS, "target": TARGET, "category": CATEGORY, "event": EVENT}


def label(kind: str, code: str | None) -> str:
    """The msgid for ``code`` of ``kind`` ("status", "target", "category", "event"); an unknown code as it is."""
    return LABELS.get(kind, {}).get(code or "", code or "")
