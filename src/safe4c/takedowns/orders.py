"""Takedown orders: staff issue them, platforms acknowledge, remove or dispute, missed deadlines escalate.

What each action does from each status is the lifecycle table (rules/lifecycle.py); the use cases here load
the order, ask the table, and apply its answer: status and timestamps, a ``takedown_events`` row, an audit
entry and, where the platform must hear of it, a webhook delivery, all in one transaction. Escalation is a
chain of ``takedown.escalate`` jobs: issuing an order schedules the check for warning 1 at its due time; each
step schedules the next (rules/deadlines.py). A disputed order does not escalate; upholding it sets a new
deadline and schedules the next step again.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from safe4c.db.platforms import Platform, PlatformReport, TakedownEvent, TakedownOrder
from safe4c.db.tables import Report
from safe4c.takedowns.rules import deadlines, lifecycle, targets
from safe4c.reports.rules.platform_report import hash_error
from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.errors import FieldError, Invalid, NotFound
from safe4c.kernel.signals import HASH_KINDS as HASH_TYPES, InvalidSignal, normalise_signal
from safe4c.kernel import audit, jobs
from safe4c.kernel.clock import rfc3339
from safe4c.takedowns import webhooks
from safe4c.takedowns.open_orders import DuplicateOrder, holder_of, open_order_by_key
from safe4c.reports import refs
from safe4c.kernel.uow import UnitOfWork

ESCALATE_JOB = "takedown.escalate"
STATUSES, OPEN_STATUSES, CLOSED_STATUSES = lifecycle.STATUSES, lifecycle.OPEN_STATUSES, lifecycle.CLOSED_STATUSES
STATUS_FILTERS = ("open", "closed", *STATUSES)
TARGET_TYPES = ("url", "hash", "account")
CATEGORIES = ("csam", "terrorism", "other")
URGENT_CATEGORIES = ("csam", "terrorism")  # Permenkominfo 5/2020: 4 hours
DEFAULT_LEGAL_BASIS = "Permenkominfo 5/2020 Art. 13-15; UU ITE Art. 27(1), 40(2b)"
MAX_REASON = 2000
ORDER_NOT_FOUND = N_("We could not find this takedown order.")
WITHDRAW_REASON = N_("Say why the order is withdrawn (at most {max_length} characters).")
WITHDRAW_CONFIRM = N_("Tick the box to confirm the withdrawal.")


@dataclass(frozen=True)
class OrderInput:
    platform_id: int | None
    target_type: str
    target_value: str
    category: str
    urgent: bool = False
    hash_type: str | None = None
    legal_basis: str | None = None
    report_id: str | None = None  # a report's public id


def _validate(uow: UnitOfWork, data: OrderInput) -> tuple[str, str, int | None, str | None]:
    """(target type, value, report row id, platform code) as stored: a Telegram account becomes its t.me link
    (rules/targets.resolve)."""
    errors: list[FieldError] = []
    value = (data.target_value or "").strip()
    target_type = data.target_type
    platform = uow.session.get(Platform, data.platform_id) if data.platform_id is not None else None
    code = platform.taxonomy_code if platform else None
    if platform is None:
        errors.append(FieldError("platform_id", N_("Choose a platform.")))
    elif target_type == "account" and value:
        target_type, value = targets.resolve(target_type, value, code)
    if target_type not in TARGET_TYPES:
        errors.append(FieldError("target_type", N_("This choice is not one of the allowed options.")))
    elif not value:
        errors.append(FieldError("target_value", N_("This is required.")))
    elif target_type == "url" and (not re.match(r"^https?://\S+$", value) or len(value) > 2000):
        errors.append(FieldError("target_value", N_("Give a full web address starting with http:// or https://.")))
    elif target_type == "hash":
        if data.hash_type not in HASH_TYPES:
            errors.append(FieldError("hash_type", N_("Choose the hash type: md5, sha1, sha256 or pdq.")))
        else:
            try:
                value = normalise_signal(data.hash_type, value)
            except InvalidSignal:
                errors.append(FieldError("target_value", *hash_error(data.hash_type)))
    elif target_type == "account" and len(value) > 200:
        errors.append(FieldError("target_value", N_("This is too long (at most {max_length} characters)."),
                                 {"max_length": 200}))
    if data.category not in CATEGORIES:
        errors.append(FieldError("category", N_("This choice is not one of the allowed options.")))
    if len(data.legal_basis or "") > 300:
        errors.append(FieldError("legal_basis", N_("This is too long (at most {max_length} characters)."),
                                 {"max_length": 300}))
    report_row_id = None
    if data.report_id:
        try:
            report_row_id = refs.resolve_report(uow, data.report_id, field="report_id")
        except Invalid as exc:
            errors.extend(exc.fields)
    if errors:
        raise Invalid(errors)
    return target_type, value, report_row_id, code


def issue_order(*, uow: UnitOfWork, order: OrderInput, actor_id: int | None) -> str:
    """Use case: issue one order and commit; returns its public id."""
    row = place_order(uow=uow, order=order, actor_id=actor_id)
    uow.commit()
    return row.public_id


def place_order(*, uow: UnitOfWork, order: OrderInput, actor_id: int | None) -> TakedownOrder:
    """Write an order, its event, audit entry, webhook and next deadline step into the caller's transaction
    (no commit: the calling use case commits once). Urgent (4 h) for abuse material and terrorism, else as chosen."""
    target_type, value, report_row_id, hash_type, key = _target(uow, order)
    existing = open_order_by_key(uow, order.platform_id, key)  # the common case, without a failed insert
    if existing is not None:
        raise DuplicateOrder(existing)
    now = uow.now()
    urgent = order.urgent or order.category in URGENT_CATEGORIES
    settings = uow.settings
    row = TakedownOrder(
        public_id=str(uuid.uuid4()), platform_id=order.platform_id, report_id=report_row_id,
        target_type=target_type, target_value=value, target_key=key, hash_type=hash_type, category=order.category,
        legal_basis=(order.legal_basis or "").strip() or DEFAULT_LEGAL_BASIS, urgent=urgent, status="issued",
        issued_by=actor_id, issued_at=now,
        deadline_at=deadlines.order_deadline(now, urgent=urgent, hours=settings.takedown_deadline_hours),
        preserve_until=deadlines.preservation_until(now, days=settings.takedown_preservation_days),
        escalation_level=0, updated_at=now,
    )
    try:
        with uow.session.begin_nested():  # another transaction issued the same order since we looked
            uow.session.add(row)
            uow.session.flush()
    except IntegrityError:
        raise DuplicateOrder(holder_of(uow, order.platform_id, key)) from None
    _apply(uow, row, lifecycle.ISSUE, staff=actor_id, detail={"urgent": urgent, "category": order.category},
           audit_detail={"platform_id": row.platform_id, "urgent": urgent, "category": order.category})
    return row


def _target(uow: UnitOfWork, order: OrderInput) -> tuple[str, str, int | None, str | None, str]:
    """(target type, value, report row id, hash type, target key) as stored (``_validate``)."""
    target_type, value, report_row_id, code = _validate(uow, order)
    hash_type = order.hash_type if target_type == "hash" else None
    return target_type, value, report_row_id, hash_type, targets.target_key(target_type, value, hash_type, code)


def _event(uow: UnitOfWork, order: TakedownOrder, kind: str, *, staff: int | None = None,
           platform: int | None = None, level: int | None = None, detail: dict | None = None,
           note: bytes | None = None) -> None:
    uow.session.add(TakedownEvent(order_id=order.id, at=uow.now(), kind=kind, level=level, actor_staff_id=staff,
                                  actor_platform_id=platform, detail=detail or {}, note_sealed=note))


def _schedule_next_step(uow: UnitOfWork, order: TakedownOrder) -> None:
    nxt = deadlines.next_step(order.deadline_at, order.escalation_level,
                              intervals=uow.settings.takedown_escalation_hours)
    if nxt is None:
        return
    step, due = nxt
    delay = max(due - uow.now(), timedelta(0))
    jobs.enqueue(uow, ESCALATE_JOB, {"order_id": order.id, "level": step.level}, delay=delay)


def order_view(order: TakedownOrder, events: list[TakedownEvent] | None = None, *,
               intervals: list[float] | None = None, own_report: tuple[str, str | None] | None = None) -> dict:
    """What a platform sees of an order: no staff identities, no sealed text. ``own_report`` is (our id, the
    platform's external_id) when the order arose from a report this platform sent (``own_reports``)."""
    step = deadlines.STEPS_BY_LEVEL.get(order.escalation_level)
    view = {
        "id": order.public_id, "status": order.status,
        "report": {"id": own_report[0], "external_id": own_report[1]} if own_report else None,
        "target": {"type": order.target_type, "value": order.target_value, "hash_type": order.hash_type},
        "category": order.category, "legal_basis": order.legal_basis, "urgent": order.urgent,
        "issued_at": rfc3339(order.issued_at), "deadline_at": rfc3339(order.deadline_at),
        "preserve_until": rfc3339(order.preserve_until), "acknowledged_at": rfc3339(order.acknowledged_at),
        "removed_at": rfc3339(order.removed_at), "disputed_at": rfc3339(order.disputed_at),
        "dispute_outcome": order.dispute_outcome,
        "escalation": {"level": order.escalation_level, "step": step.code if step else None,
                       "escalated_at": rfc3339(order.escalated_at)},
    }
    if intervals is not None:
        nxt = None
        if order.status in deadlines.ESCALATING_STATUSES:
            nxt = deadlines.next_step(order.deadline_at, order.escalation_level, intervals=intervals)
        view["escalation"]["next_step_due_at"] = rfc3339(nxt[1]) if nxt else None
    if events is not None:
        view["events"] = [{"at": rfc3339(e.at), "kind": e.kind, "level": e.level,
                           "step": deadlines.STEPS_BY_LEVEL[e.level].code if e.level else None} for e in events]
    return view


def own_reports(uow: UnitOfWork, orders: list[TakedownOrder]) -> dict[int, tuple[str, str | None]]:
    """Order id -> (report id, external_id) for the orders that arose from a report their own platform sent."""
    with_report = [o.id for o in orders if o.report_id is not None]
    if not with_report:
        return {}
    rows = uow.session.execute(
        select(TakedownOrder.id, Report.public_id, PlatformReport.external_id)
        .join(Report, Report.id == TakedownOrder.report_id)
        .join(PlatformReport, (PlatformReport.report_id == Report.id)
              & (PlatformReport.platform_id == TakedownOrder.platform_id))
        .where(TakedownOrder.id.in_(with_report)))
    return {r[0]: (r[1], r[2]) for r in rows}


def platform_view(uow: UnitOfWork, row: TakedownOrder) -> dict:
    """The one representation of an order for its platform: GET /api/v1/takedowns/{id}, the answers to its
    actions and every webhook's ``data`` (built before the commit from the row in hand, history included)."""
    uow.session.flush()  # the new event, so it is in the history with its id order
    return order_view(row, events_of(uow, row.id), intervals=uow.settings.takedown_escalation_hours,
                      own_report=own_reports(uow, [row]).get(row.id))


def events_of(uow: UnitOfWork, order_id: int) -> list[TakedownEvent]:
    return list(uow.session.scalars(select(TakedownEvent).where(TakedownEvent.order_id == order_id)
                                    .order_by(TakedownEvent.at, TakedownEvent.id)))


# --- the platform's side --------------------------------------------------------------------------------

def _locked(uow: UnitOfWork, query):
    """``query`` locking its rows on PostgreSQL; SQLite's write lock already serialises writers."""
    return query.with_for_update() if uow.session.bind.dialect.name == "postgresql" else query


def _platform_order(uow: UnitOfWork, platform_id: int, public_id: str, *, lock: bool = False) -> TakedownOrder:
    query = select(TakedownOrder).where(TakedownOrder.public_id == public_id, TakedownOrder.platform_id == platform_id)
    row = uow.session.scalar(_locked(uow, query) if lock else query)
    if row is None:  # another platform's order is "not found", never "forbidden": ids are not confirmed
        raise NotFound(ORDER_NOT_FOUND)
    return row


def list_for_platform(*, uow: UnitOfWork, platform_id: int, status: str | None = None, after: str | None = None,
                      limit: int = 50) -> tuple[list[dict], str | None]:
    query = select(TakedownOrder).where(TakedownOrder.platform_id == platform_id)
    if status == "open":
        query = query.where(TakedownOrder.status.in_(OPEN_STATUSES))
    elif status == "closed":
        query = query.where(TakedownOrder.status.in_(CLOSED_STATUSES))
    elif status:
        query = query.where(TakedownOrder.status == status)
    if after:
        after_id = uow.session.scalar(select(TakedownOrder.id).where(TakedownOrder.public_id == after,
                                                                     TakedownOrder.platform_id == platform_id))
        if after_id is None:
            # 404, not 422: a well-formed id that names none of this platform's orders (docs/platform-api.md)
            raise NotFound(N_("This cursor is not valid: start again without it."))
        query = query.where(TakedownOrder.id > after_id)
    rows = list(uow.session.scalars(query.order_by(TakedownOrder.id).limit(limit + 1)))
    intervals = uow.settings.takedown_escalation_hours
    own = own_reports(uow, rows[:limit])
    items = [order_view(r, intervals=intervals, own_report=own.get(r.id)) for r in rows[:limit]]
    return items, (rows[limit - 1].public_id if len(rows) > limit else None)


def get_for_platform(*, uow: UnitOfWork, platform_id: int, public_id: str) -> dict:
    return platform_view(uow, _platform_order(uow, platform_id, public_id))



def _facts(row: TakedownOrder) -> lifecycle.Order:
    return lifecycle.Order(row.status, row.acknowledged_at is not None, row.dispute_outcome)


def _apply(uow: UnitOfWork, row: TakedownOrder, move: lifecycle.Move, *, staff: int | None = None,
           platform: int | None = None, level: int | None = None, detail: dict | None = None,
           audit_detail: dict | None = None, reason: str | None = None, note: bytes | None = None) -> None:
    """Make a move of the lifecycle table (rules/lifecycle.py) on the row: status, timestamps, event, audit
    entry, webhook and next escalation step, in the caller's transaction."""
    now = uow.now()
    if move.to is not lifecycle.KEEP:
        row.status = move.to
    for column in move.stamps:
        if column != "acknowledged_at" or row.acknowledged_at is None:
            setattr(row, column, now)
    row.updated_at = now
    if move.outcome:
        row.dispute_outcome = move.outcome
    if move.new_deadline:
        row.deadline_at = deadlines.order_deadline(now, urgent=row.urgent, hours=uow.settings.takedown_deadline_hours)
    if move.seal_reason:
        row.dispute_reason_sealed = uow.ctx.sealer.seal(reason, context="takedown.dispute_reason")
    _event(uow, row, move.event, staff=staff, platform=platform, level=level, detail=detail, note=note)
    audit.record(uow, actor_id=staff, action=move.audit, subject_type="takedown", subject_id=row.public_id,
                 detail=audit_detail)
    if move.webhook:  # exactly what GET /api/v1/takedowns/{id} answers now (docs/platform-api.md)
        webhooks.queue_event(uow, platform_id=row.platform_id, event_type=move.webhook,
                             data=platform_view(uow, row), order_id=row.id)
    if move.schedule:
        _schedule_next_step(uow, row)


def acknowledge(*, uow: UnitOfWork, platform_id: int, public_id: str) -> dict:
    row = _platform_order(uow, platform_id, public_id, lock=True)
    move = lifecycle.decide(_facts(row), lifecycle.ACKNOWLEDGE)
    if move:
        _apply(uow, row, move, platform=platform_id, audit_detail={"platform_id": platform_id})
    view = platform_view(uow, row)
    uow.commit()
    return view


def mark_removed(*, uow: UnitOfWork, platform_id: int, public_id: str) -> dict:
    """The platform confirms removal; the time is safe4c's clock when it hears of it."""
    row = _platform_order(uow, platform_id, public_id, lock=True)
    move = lifecycle.decide(_facts(row), lifecycle.REMOVE)
    if move:
        now = uow.now()
        within = now <= row.deadline_at
        _apply(uow, row, move, platform=platform_id,
               detail={"within_deadline": within, "minutes": int((now - row.issued_at).total_seconds() // 60)},
               audit_detail={"platform_id": platform_id, "within_deadline": within})
    view = platform_view(uow, row)
    uow.commit()
    return view


def dispute(*, uow: UnitOfWork, platform_id: int, public_id: str, reason: str) -> dict:
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise Invalid([FieldError("reason", N_("Give the reason for the dispute (at most {max_length} characters)."),
                                  {"max_length": MAX_REASON})])
    row = _platform_order(uow, platform_id, public_id, lock=True)
    move = lifecycle.decide(_facts(row), lifecycle.DISPUTE)
    if move is None:
        return platform_view(uow, row)
    _apply(uow, row, move, platform=platform_id, audit_detail={"platform_id": platform_id}, reason=reason)
    view = platform_view(uow, row)
    uow.commit()
    return view


# --- the staff side -------------------------------------------------------------------------------------

def _staff_order(uow: UnitOfWork, public_id: str) -> TakedownOrder:
    row = uow.session.scalar(_locked(uow, select(TakedownOrder).where(TakedownOrder.public_id == public_id)))
    if row is None:
        raise NotFound(ORDER_NOT_FOUND)
    return row


def uphold(*, uow: UnitOfWork, public_id: str, actor_id: int) -> None:
    """The dispute is rejected: the order stands, with a new deadline counted from now."""
    _staff_action(uow, public_id, actor_id, lifecycle.UPHOLD)


def withdraw(*, uow: UnitOfWork, public_id: str, actor_id: int, reason: str, confirmed: bool) -> None:
    """Staff withdraw an order: a reason (sealed in the order's history; its SHA-256 in the audit entry, so the
    tamper-evident chain vouches for it) and an explicit confirmation are required. Compliance counts it."""
    reason = (reason or "").strip()
    errors = []
    if not reason or len(reason) > MAX_REASON:
        errors.append(FieldError("reason", WITHDRAW_REASON, {"max_length": MAX_REASON}))
    if not confirmed:
        errors.append(FieldError("confirm", WITHDRAW_CONFIRM))
    if errors:
        raise Invalid(errors)
    row = _staff_order(uow, public_id)
    move = lifecycle.decide(_facts(row), lifecycle.WITHDRAW)
    if move:
        digest = hashlib.sha256(reason.encode()).hexdigest()
        _apply(uow, row, move, staff=actor_id, detail={"reason": True},
               audit_detail={"platform_id": row.platform_id, "reason_sha256": digest},
               note=uow.ctx.sealer.seal(reason, context="takedown.event_note"))
    uow.commit()


def _staff_action(uow: UnitOfWork, public_id: str, actor_id: int, action: str) -> None:
    row = _staff_order(uow, public_id)
    move = lifecycle.decide(_facts(row), action)
    if move:
        _apply(uow, row, move, staff=actor_id)
    uow.commit()


def escalate(*, uow: UnitOfWork, order_id: int, level: int) -> str:
    """Worker job: take step ``level`` of the ladder if it is due and the order is still unanswered. Idempotent."""
    row = uow.session.scalar(_locked(uow, select(TakedownOrder).where(TakedownOrder.id == order_id)))
    if row is None:
        return "skipped"
    now = uow.now()
    plan = lifecycle.escalation(_facts(row), current_level=row.escalation_level, level=level,
                                deadline_at=row.deadline_at, now=now,
                                intervals=uow.settings.takedown_escalation_hours)
    if plan.result == "rescheduled":  # the deadline moved (an upheld dispute): try again when it is due
        jobs.enqueue(uow, ESCALATE_JOB, {"order_id": row.id, "level": level}, delay=plan.due - now)
        uow.commit()
    elif plan.result == "escalated":
        row.escalation_level = level
        _apply(uow, row, plan.move, level=level, detail={"step": plan.step.code, "due_at": rfc3339(plan.due)},
               audit_detail={"platform_id": row.platform_id, "level": level, "step": plan.step.code})
        uow.commit()
    return plan.result
