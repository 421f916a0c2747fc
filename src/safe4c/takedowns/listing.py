"""What staff read of takedown orders: the list with its filters, and one order with its history and the
dispute reason (that view is audited). Changes are in orders.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from safe4c.db.platforms import Platform, TakedownOrder
from safe4c.db.tables import Report
from safe4c.kernel import audit
from safe4c.kernel.errors import NotFound
from safe4c.kernel.uow import UnitOfWork
from safe4c.takedowns.orders import ORDER_NOT_FOUND, events_of, order_view
from safe4c.takedowns.rules import deadlines
from safe4c.takedowns.rules.lifecycle import CLOSED_STATUSES, OPEN_STATUSES, STATUSES


@dataclass(frozen=True)
class StaffOrderRow:
    public_id: str
    platform: str
    status: str
    target_type: str
    target_value: str
    hash_type: str | None
    category: str
    urgent: bool
    issued_at: object
    deadline_at: object
    removed_at: object
    escalation_level: int
    overdue: bool


def list_orders(*, uow: UnitOfWork, status: str | None = None, platform_id: int | None = None,
                limit: int = 200) -> list[StaffOrderRow]:
    query = select(TakedownOrder, Platform.name).join(Platform, Platform.id == TakedownOrder.platform_id)
    if status == "open":
        query = query.where(TakedownOrder.status.in_(OPEN_STATUSES))
    elif status == "closed":
        query = query.where(TakedownOrder.status.in_(CLOSED_STATUSES))
    elif status in STATUSES:
        query = query.where(TakedownOrder.status == status)
    if platform_id:
        query = query.where(TakedownOrder.platform_id == platform_id)
    now = uow.now()
    out = []
    for o, name in uow.session.execute(query.order_by(TakedownOrder.id.desc()).limit(limit)):
        out.append(StaffOrderRow(o.public_id, name, o.status, o.target_type, o.target_value, o.hash_type, o.category,
                                 o.urgent, o.issued_at, o.deadline_at, o.removed_at, o.escalation_level,
                                 deadlines.is_overdue(o.deadline_at, now, status=o.status)))
    return out


def view_order(*, uow: UnitOfWork, public_id: str, actor_id: int) -> dict:
    """An order for staff, with its events and the dispute reason; the view is audited."""
    row = uow.session.scalar(select(TakedownOrder).where(TakedownOrder.public_id == public_id))
    if row is None:
        raise NotFound(ORDER_NOT_FOUND)
    platform = uow.session.get(Platform, row.platform_id)
    report_public = uow.session.scalar(select(Report.public_id).where(Report.id == row.report_id)) \
        if row.report_id else None
    events = events_of(uow, row.id)
    view = order_view(row, events, intervals=uow.settings.takedown_escalation_hours)
    sealer = uow.ctx.sealer
    for shown, event in zip(view["events"], events):
        shown["at_dt"] = event.at
        shown["note"] = sealer.open(event.note_sealed, context="takedown.event_note") if event.note_sealed else None
        shown["duplicate_of"] = (event.detail or {}).get("duplicate_of")  # withdrawn by migration 0013
    view.update(platform=platform.name, report_id=report_public, row=row,
                dispute_reason=uow.ctx.sealer.open(row.dispute_reason_sealed, context="takedown.dispute_reason"),
                overdue=deadlines.is_overdue(row.deadline_at, uow.now(), status=row.status))
    audit.record(uow, actor_id=actor_id, action="takedown.view", subject_type="takedown", subject_id=public_id)
    uow.commit()
    return view
