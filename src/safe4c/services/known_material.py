"""Matching at intake: the ``report.match`` job matches what a report carries against the hash list.

Intake only enqueues the job (in the report's own transaction) when the report carries links or hashes, so
the hot path stays one INSERT plus, at most, one job row. The job:

1. gathers the report's signals: links and hashes in the accounts field (public and platform reports), and
   for platform reports the content items' hashes and URLs;
2. matches them with this process's matcher (``matcher.shared_matcher``, refreshed first);
3. on a match in an enabled **confirmed** bank, raises the report to P1 with the reason
   ``match.known_material`` and writes a ``matched`` report event and an audit entry;
4. when ``SAFE4C_MATCH_TAKEDOWN_AT_INTAKE`` is on, issues an urgent takedown order (category csam) through
   ``services/takedowns.py`` to the platform that hosts the content: the reporting platform for a platform
   report, the platform registered for the link's host for a public report.

Idempotent: a report that already has the reason is not raised again, and an order for the same report,
platform and target is not issued twice.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from ..db.platforms import Platform, PlatformReport, TakedownOrder
from ..db.tables import Report, ReportEvent
from ..domain.identifiers.hashes import find_hashes
from ..domain.identifiers.urls import find_urls
from ..domain.triage import TriageFacts, triage
from ..errors import NotFound
from ..matching import InvalidSignal, normalise_signal
from . import audit, intake
from .matcher import Hit, Query, shared_matcher
from .uow import UnitOfWork

JOB = "report.match"
REASON_CODE = "match.known_material"

# The canonical hosts (domain/urls.py CANONICAL_HOSTS) of the platforms in the taxonomy.
PLATFORM_OF_HOST = {
    "instagram.com": "instagram", "tiktok.com": "tiktok", "x.com": "x", "facebook.com": "facebook",
    "t.me": "telegram", "youtube.com": "youtube", "snapchat.com": "snapchat", "line.me": "line",
    "wa.me": "whatsapp", "api.whatsapp.com": "whatsapp", "chat.whatsapp.com": "whatsapp",
    "discord.com": "discord", "discord.gg": "discord", "roblox.com": "roblox", "www.roblox.com": "roblox",
}


def signals_in_accounts(accounts) -> list[tuple[str, str]]:
    """Links and hashes in the free-text accounts field, canonical and de-duplicated (pure, fast)."""
    found: list[tuple[str, str]] = []
    for text in accounts or ():
        if not isinstance(text, str):
            continue
        for _, _, raw in find_urls(text):
            try:
                item = ("url", normalise_signal("url", raw))
            except InvalidSignal:
                continue
            if item not in found:
                found.append(item)
        for _, _, identifier in find_hashes(text):
            item = (identifier.kind, identifier.value)
            if item not in found:
                found.append(item)
    return found


def should_match(*, channel: str, accounts) -> bool:
    """Intake's question: is a ``report.match`` job worth writing? Platform reports carry content hashes."""
    return channel == "platform" or bool(signals_in_accounts(accounts))


def _content_items(uow: UnitOfWork, detail: PlatformReport) -> list[dict]:
    raw = uow.ctx.sealer.open(detail.detail_sealed, context="platform_report.detail")
    try:
        return list(json.loads(raw or "{}").get("content") or [])
    except (ValueError, AttributeError):
        return []


def _gather(uow: UnitOfWork, row: Report, detail: PlatformReport | None):
    """[(signal_type, value, url of the content item or None)] and the content items."""
    signals = [(t, v, v if t == "url" else None) for t, v in signals_in_accounts(row.accounts)]
    if detail is not None:
        for item in _content_items(uow, detail):
            url = None
            if item.get("url"):
                try:
                    url = normalise_signal("url", item["url"])
                    signals.append(("url", url, url))
                except InvalidSignal:
                    pass
            for kind in ("md5", "sha1", "sha256", "pdq"):
                if item.get(kind):
                    signals.append((kind, item[kind], url))
    seen, unique = set(), []
    for signal in signals:
        if signal not in seen:
            seen.add(signal)
            unique.append(signal)
    return unique


def _raise_priority(uow: UnitOfWork, row: Report, hits: list[tuple[str, Hit]]) -> bool:
    reasons = list(row.triage_reasons or [])
    if any(r.get("code") == REASON_CODE for r in reasons):
        return False
    now = uow.now()
    if row.priority is None:  # not triaged yet: triage now, with the match as one of the facts
        facts = replace(intake.facts_of(row), known_material=True)
        for name, value in intake.triage_values(facts, received_at=row.received_at, uow=uow).items():
            setattr(row, name, value)
    else:
        reason = next(r for r in triage(TriageFacts(situations=(), known_material=True), received_at=now,
                                         deadline_minutes=uow.settings.triage_deadline_minutes).reasons
                      if r.code == REASON_CODE)
        first_action = row.received_at + timedelta(minutes=uow.settings.triage_deadline_minutes["P1"])
        row.triage_reasons = [{"code": reason.code, "text": reason.text, "priority": reason.priority}, *reasons]
        row.priority = "P1"
        row.deadline_at = min(row.deadline_at, first_action) if row.deadline_at else first_action
    row.updated_at = now
    # The note names banks and entries only: a value may be a link that identifies someone.
    note = "\n".join(sorted({f"{t} · {h.bank} · #{h.entry_id} · d={h.distance}" for t, h in hits}))
    uow.session.add(ReportEvent(report_id=row.id, at=now, kind="matched",
                                note_sealed=uow.ctx.sealer.seal(note, context="report.note")))
    audit.record(uow, actor_id=None, action="report.match", subject_type="report", subject_id=row.public_id,
                 detail={"entries": sorted({h.entry_id for _, h in hits})})
    return True


def _takedown_targets(uow: UnitOfWork, detail: PlatformReport | None,
                      matched) -> list[tuple[int, str, str, str | None]]:
    """(platform id, target type, value, hash type) for each matched signal whose platform we know."""
    targets = []
    for signal_type, value, content_url in matched:
        url = content_url if content_url else (value if signal_type == "url" else None)
        platform_id = detail.platform_id if detail is not None else None
        if platform_id is None and url:
            code = PLATFORM_OF_HOST.get(urlsplit(url).hostname or "")
            if code:
                platform_id = uow.session.scalar(select(Platform.id).where(Platform.taxonomy_code == code,
                                                                           Platform.active.is_(True))
                                                 .order_by(Platform.id).limit(1))
        if platform_id is None:
            continue
        target = (platform_id, "url", url, None) if url and len(url) <= 2000 else \
            (platform_id, "hash", value, signal_type) if signal_type != "url" else None
        if target and target not in targets:
            targets.append(target)
    return targets


def _issue_takedowns(uow: UnitOfWork, row: Report, targets) -> int:
    from . import takedowns

    issued = 0
    for platform_id, target_type, value, hash_type in targets:
        exists = uow.session.scalar(select(TakedownOrder.id).where(
            TakedownOrder.report_id == row.id, TakedownOrder.platform_id == platform_id,
            TakedownOrder.target_type == target_type, TakedownOrder.target_value == value).limit(1))
        if exists is not None:
            continue
        takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=platform_id, target_type=target_type, target_value=value, category="csam", urgent=True,
            hash_type=hash_type, report_id=row.public_id))  # commits
        issued += 1
    return issued


def match_report(*, uow: UnitOfWork, report_id: int) -> dict:
    """Worker job ``report.match``. Returns figures for logs and tests (no values)."""
    row = uow.session.get(Report, report_id)
    if row is None:
        raise NotFound()
    detail = uow.session.get(PlatformReport, report_id)
    signals = _gather(uow, row, detail)
    if not signals:
        return {"signals": 0, "confirmed": 0, "raised": False, "takedowns": 0}
    results = shared_matcher(uow).match([Query(t, v) for t, v, _ in signals])
    confirmed = [(signal, h) for signal, r in zip(signals, results) for h in r.matches if h.confirmed]
    if not confirmed:
        uow.rollback()
        return {"signals": len(signals), "confirmed": 0, "raised": False, "takedowns": 0}
    raised = _raise_priority(uow, row, [(s[0], h) for s, h in confirmed])
    uow.commit()
    issued = 0
    if uow.settings.match_takedown_at_intake:
        matched = [s for s, _ in confirmed]
        issued = _issue_takedowns(uow, row, _takedown_targets(uow, detail, matched))
    return {"signals": len(signals), "confirmed": len({h.entry_id for _, h in confirmed}), "raised": raised,
            "takedowns": issued}
