"""A platform reads back a report it sent: what we received, where it stands, and the orders it led to.

Only the platform's own reports: another platform's report, or a child's, is "not found" (never "forbidden"),
so an id is not even confirmed. What it sees is what it sent (opened from the sealed detail) plus our status
and the takedown orders we issued *to it* from the report; never the triage, an analyst's words, a network or
what other platforms were ordered. Each read-back is audited (the report names people).
"""

from __future__ import annotations

import json

from sqlalchemy import select

from safe4c.db.platforms import PlatformReport, TakedownOrder
from safe4c.db.tables import Report
from safe4c.kernel import audit
from safe4c.kernel.clock import rfc3339
from safe4c.kernel.errors import NotFound
from safe4c.kernel.i18n import N_
from safe4c.kernel.uow import UnitOfWork

REPORT_NOT_FOUND = N_("We could not find this report among the reports your platform sent.")
MAX_BY_EXTERNAL_ID = 20

_OWN = (select(Report, PlatformReport).join(PlatformReport, PlatformReport.report_id == Report.id))


def report_by_id(*, uow: UnitOfWork, platform_id: int, public_id: str) -> dict:
    """Use case: one of the platform's reports by safe4c's id (the ``id`` of the receipt)."""
    found = uow.session.execute(_OWN.where(Report.public_id == public_id,
                                           PlatformReport.platform_id == platform_id)).first()
    if found is None:
        raise NotFound(REPORT_NOT_FOUND)
    view = _view(uow, *found)
    _audit(uow, platform_id, [view["id"]])
    uow.commit()
    return view


def reports_by_external_id(*, uow: UnitOfWork, platform_id: int, external_id: str) -> list[dict]:
    """Use case: the platform's reports that carry its own reference, oldest first (more than one only when
    they were sent with different Idempotency-Keys); an empty list when none does."""
    rows = uow.session.execute(_OWN.where(PlatformReport.platform_id == platform_id,
                                          PlatformReport.external_id == external_id)
                               .order_by(Report.id).limit(MAX_BY_EXTERNAL_ID)).all()
    views = [_view(uow, *row) for row in rows]
    if views:
        _audit(uow, platform_id, [v["id"] for v in views])
    uow.commit()
    return views


def _audit(uow: UnitOfWork, platform_id: int, report_ids: list[str]) -> None:
    for report_id in report_ids:
        audit.record(uow, actor_id=None, action="platform.report.view", subject_type="report",
                     subject_id=report_id, detail={"platform_id": platform_id})


def _view(uow: UnitOfWork, report: Report, detail: PlatformReport) -> dict:
    try:
        received = json.loads(uow.ctx.sealer.open(detail.detail_sealed, context="platform_report.detail") or "{}")
    except ValueError:
        received = {}
    orders = uow.session.execute(
        select(TakedownOrder.public_id, TakedownOrder.status)
        .where(TakedownOrder.report_id == report.id, TakedownOrder.platform_id == detail.platform_id)
        .order_by(TakedownOrder.id)).all()
    return {"id": report.public_id, "external_id": detail.external_id, "idempotency_key": detail.idempotency_key,
            "received_at": rfc3339(report.received_at), "status": report.status,
            "takedown_orders": [{"id": o.public_id, "status": o.status} for o in orders],
            "received": received if isinstance(received, dict) else {}}
