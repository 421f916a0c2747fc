"""A platform report's sealed detail (``platform_reports.detail_sealed``), opened once and read by linking
(content links), matching (content hashes and links), the network page (victims) and the report page (all of
it, as the platform sent it)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from safe4c.db.platforms import Platform, PlatformReport
from safe4c.kernel.i18n import N_
from safe4c.kernel.uow import UnitOfWork


HASH_FIELDS = ("md5", "sha1", "sha256", "pdq")
# The platform's annotations and the industry classification of content (reports/rules/platform_report.py).
ANNOTATION_LABELS = {
    "sextortion": N_("Sextortion"), "minor_to_minor": N_("Between minors"),
    "csam_solicitation": N_("Asking for sexual images of a child"),
    "sadistic_online_exploitation": N_("Sadistic online exploitation"), "generative_ai": N_("Made with generative AI"),
    "possible_trafficking": N_("Possible trafficking"), "viral": N_("Spreading widely (viral)"), "spam": N_("Spam"),
}
CLASSIFICATION_LABELS = {
    "A1": N_("A1: prepubescent child, sexual act"), "A2": N_("A2: prepubescent child, lascivious exhibition"),
    "B1": N_("B1: pubescent child, sexual act"), "B2": N_("B2: pubescent child, lascivious exhibition"),
    "unclassified": N_("Not classified"),
}


def _time(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def open_detail(uow: UnitOfWork, detail: PlatformReport) -> dict:
    """The detail as a dict; ``{}`` when it is missing or not a JSON object."""
    raw = uow.ctx.sealer.open(detail.detail_sealed, context="platform_report.detail")
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _items(detail: dict, name: str) -> list[dict]:
    items = detail.get(name)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def content_items(uow: UnitOfWork, detail: PlatformReport) -> list[dict]:
    """The reported content items (each a dict: url, hashes)."""
    return _items(open_detail(uow, detail), "content")


def victims(uow: UnitOfWork, detail: PlatformReport) -> list[dict]:
    """The victims the platform lists (each a dict)."""
    return _items(open_detail(uow, detail), "victims")


def for_analyst(uow: UnitOfWork, report_id: int) -> dict | None:
    """What the platform sent, for the report page (decrypted: the page view is audited): who sent it, its own
    reference (``external_id``), why it escalated, its annotations, the reported content (links, file names,
    hashes, classification), the accounts and the victims it lists. None for a report not from a platform."""
    row = uow.session.get(PlatformReport, report_id)
    if row is None:
        return None
    sent = open_detail(uow, row)
    incident = sent.get("incident") if isinstance(sent.get("incident"), dict) else {}
    content = []
    for item in _items(sent, "content"):
        hashes = [(kind, item[kind]) for kind in HASH_FIELDS if item.get(kind)]
        code = item.get("industry_classification")
        content.append({"url": item.get("url"), "file_name": item.get("file_name"), "hashes": hashes,
                        "classification": CLASSIFICATION_LABELS.get(code, code) if code else None})
    accounts = [{"screen_name": a.get("screen_name"), "platform_user_id": a.get("platform_user_id"),
                 "display_names": list(a.get("display_names") or ()),
                 "links": [*(a.get("profile_urls") or ()), *(a.get("emails") or ()), *(a.get("phones") or ())]}
                for a in _items(sent, "reported_accounts")]
    return {
        "platform": uow.session.scalar(select(Platform.name).where(Platform.id == row.platform_id)),
        "external_id": row.external_id,
        "escalated": row.escalate_to_urgent,
        "escalation_reason": incident.get("escalation_reason"),
        "situation": incident.get("situation"),
        "incident_time": _time(incident.get("time")),
        "annotations": [ANNOTATION_LABELS.get(code, code) for code in row.annotations or ()],
        "content": content,
        "accounts": accounts,
        "victims": _items(sent, "victims"),
    }
