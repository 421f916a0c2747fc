"""Matching at intake: the ``report.match`` job matches what a report carries against the hash list.

Intake only enqueues the job (in the report's own transaction) when the report carries links or hashes, so
the hot path stays one INSERT plus, at most, one job row. The job:

1. gathers the report's signals: links and hashes in the accounts field (public and platform reports), and
   for platform reports the content items' hashes and URLs;
2. matches them with the matcher the worker gives it (``matcher.SharedMatcher``, refreshed first);
3. on a match in an enabled **confirmed** bank, raises the report to P1 with the reason
   ``match.known_material`` (``reports/escalation.raise_to_p1``: a ``matched`` report event) and an audit
   entry, then, under the linking lock, the rest of its network (``networks/urgency.raise_if_urgent``): a match
   that arrives after the report was linked still makes its network urgent;
4. when ``SAFE4C_MATCH_TAKEDOWN_AT_INTAKE`` is on, places an urgent takedown order (category csam,
   ``takedowns/orders.place_order``) to the platform that hosts the content: the reporting platform for a
   platform report, the platform registered for the link's host for a public report.

All in one transaction, committed once: the raise, the network's raises and the orders are stored together or
not at all. Idempotent: a report that already has the reason is not raised again, and no order is placed while
an open one exists for the same platform and target (``place_order`` refuses it with ``DuplicateOrder``, also
when another transaction placed it a moment before).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from safe4c.db.platforms import Platform, PlatformReport
from safe4c.db.tables import Report
from safe4c.networks.rules.identifiers import HASH_KINDS
from safe4c.networks.rules.identifiers.hashes import find_hashes
from safe4c.networks.rules.identifiers.urls import find_urls
from safe4c.reports.rules.triage import KNOWN_MATERIAL
from safe4c.kernel.errors import NotFound
from safe4c.hashlist.matching import InvalidSignal, normalise_signal
from safe4c.kernel import audit, jobs
from safe4c.networks import membership, urgency
from safe4c.reports import escalation, platform_detail, fields as report_fields
from safe4c.takedowns import orders as takedown_orders
from safe4c.takedowns.rules.targets import PLATFORM_OF_HOST
from safe4c.hashlist.matcher import Hit, Query, SharedMatcher
from safe4c.kernel.uow import UnitOfWork

JOB = jobs.MATCH_REPORT
REASON_CODE = KNOWN_MATERIAL


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


def _gather(uow: UnitOfWork, row: Report, detail: PlatformReport | None):
    """[(signal_type, value, url of the content item or None)] and the content items."""
    signals = [(t, v, v if t == "url" else None) for t, v in signals_in_accounts(report_fields.accounts(uow.ctx.sealer, row))]
    if detail is not None:
        for item in platform_detail.content_items(uow, detail):
            url = None
            if item.get("url"):
                try:
                    url = normalise_signal("url", item["url"])
                    signals.append(("url", url, url))
                except InvalidSignal:
                    pass
            for kind in HASH_KINDS:
                if item.get(kind):
                    signals.append((kind, item[kind], url))
    seen, unique = set(), []
    for signal in signals:
        if signal not in seen:
            seen.add(signal)
            unique.append(signal)
    return unique


def _raise_priority(uow: UnitOfWork, row: Report, hits: list[tuple[str, Hit]]) -> bool:
    # The note names banks and entries only: a value may be a link that identifies someone.
    note = "\n".join(sorted({f"{t} · {h.bank} · #{h.entry_id} · d={h.distance}" for t, h in hits}))
    if not escalation.raise_to_p1(uow, row, reason_code=REASON_CODE, event_kind="matched", note=note):
        return False
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


def _place_takedowns(uow: UnitOfWork, row: Report, targets) -> int:
    """Urgent orders for the matched content, in the match's transaction (``place_order`` does not commit)."""
    placed = 0
    for platform_id, target_type, value, hash_type in targets:
        try:
            takedown_orders.place_order(uow=uow, actor_id=None, order=takedown_orders.OrderInput(
                platform_id=platform_id, target_type=target_type, target_value=value, category="csam", urgent=True,
                hash_type=hash_type, report_id=row.public_id))
        except takedown_orders.DuplicateOrder:
            continue  # an order for this target is open already (place_order's savepoint keeps our transaction)
        placed += 1
    return placed


def match_report(*, uow: UnitOfWork, report_id: int, matcher: SharedMatcher) -> dict:
    """Worker job ``report.match``. Returns figures for logs and tests (no values)."""
    row = uow.session.get(Report, report_id)
    if row is None:
        raise NotFound()
    detail = uow.session.get(PlatformReport, report_id)
    signals = _gather(uow, row, detail)
    if not signals:
        return {"signals": 0, "confirmed": 0, "raised": False, "takedowns": 0}
    results = matcher.refreshed(uow).match([Query(t, v) for t, v, _ in signals])
    confirmed = [(signal, h) for signal, r in zip(signals, results) for h in r.matches if h.confirmed]
    if not confirmed:
        uow.rollback()
        return {"signals": len(signals), "confirmed": 0, "raised": False, "takedowns": 0}
    membership.lock(uow)  # before the audit lock; the network is raised in the same transaction
    raised = _raise_priority(uow, row, [(s[0], h) for s, h in confirmed])
    network = 0
    if raised:
        cluster_id = membership.cluster_of(uow, report_id)
        network = len(urgency.raise_if_urgent(uow, cluster_id)) if cluster_id else 0
    issued = 0
    if uow.settings.match_takedown_at_intake:
        matched = [s for s, _ in confirmed]
        issued = _place_takedowns(uow, row, _takedown_targets(uow, detail, matched))
    uow.commit()
    return {"signals": len(signals), "confirmed": len({h.entry_id for _, h in confirmed}), "raised": raised,
            "network_raised": network, "takedowns": issued}
