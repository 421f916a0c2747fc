"""A report's status: the moves allowed from each status (``reports/rules/taxonomy.py``) and the change itself,
with a required note: event, status and audit entry in one transaction."""

from __future__ import annotations

from sqlalchemy import select

from safe4c.db.tables import Report, ReportEvent
from safe4c.kernel import audit
from safe4c.kernel.errors import FieldError, Invalid, NotFound
from safe4c.kernel.uow import UnitOfWork
from safe4c.reports.rules.taxonomy import N_, STATUS_CODES, can_move
from safe4c.reports.rules.taxonomy import next_statuses as allowed_moves

MAX_NOTE = 5000


def load_report(uow: UnitOfWork, public_id: str, *, for_update: bool = False) -> Report:
    """A report by its public id; ``for_update``: locked until the commit (PostgreSQL)."""
    query = select(Report).where(Report.public_id == public_id)
    if for_update and uow.session.bind.dialect.name == "postgresql":
        query = query.with_for_update()  # two analysts changing one report: the second waits, then re-checks
    row = uow.session.scalar(query)
    if row is None:
        raise NotFound(N_("There is no report with this id."))
    return row


def next_statuses(status: str) -> tuple[str, ...]:
    return allowed_moves(status)


def change_status(*, uow: UnitOfWork, public_id: str, actor_id: int, to_status: str, note: str,
                  expected_status: str | None = None) -> None:
    """Use case: move a report to another status with a required note: event, status and audit in one
    transaction. ``expected_status`` is the status the analyst saw; if someone changed it meanwhile, nothing
    is saved."""
    try:
        move_status(uow=uow, public_id=public_id, actor_id=actor_id, to_status=to_status, note=note,
                    expected_status=expected_status)
    except Invalid:
        uow.rollback()
        raise
    uow.commit()


def move_status(*, uow: UnitOfWork, public_id: str, actor_id: int, to_status: str, note: str,
                expected_status: str | None = None) -> None:
    """Write a status change into the caller's transaction (no commit). Every check runs before anything is
    written, so an ``Invalid`` or ``NotFound`` leaves the transaction as it was (bulk changes go on with the
    next report)."""
    note = (note or "").strip()
    row = load_report(uow, public_id, for_update=True)
    errors: list[FieldError] = []
    if expected_status and expected_status != row.status:
        errors.append(FieldError("status", N_("Someone else changed the status meanwhile. "
                                              "Check the history, then try again.")))
    elif to_status not in STATUS_CODES or not can_move(row.status, to_status):
        errors.append(FieldError("status", N_("This status change is not allowed from the current status.")))
    if not note:
        errors.append(FieldError("note", N_("Write a note: why is the status changing?")))
    elif len(note) > MAX_NOTE:
        errors.append(FieldError("note", N_("The note is too long (at most {max} characters)."), {"max": MAX_NOTE}))
    if errors:
        raise Invalid(errors)
    now = uow.now()
    from_status = row.status
    uow.session.add(ReportEvent(report_id=row.id, at=now, actor_id=actor_id, kind="status", from_status=from_status,
                                to_status=to_status,
                                note_sealed=uow.ctx.sealer.seal(note, context="report.note")))
    row.status, row.updated_at = to_status, now
    audit.record(uow, actor_id=actor_id, action="report.status", subject_type="report", subject_id=row.public_id,
                 detail={"from": from_status, "to": to_status})
