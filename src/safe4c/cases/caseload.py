"""What the case pages read (docs/cases.md "Caseload"): the actor's caseload sorted by urgency, and one case.

The list and the page use the same policy filter (``cases.visible`` / ``cases.load``). Neither shows the
statement or notes: reading those is its own audited use case (statements.py). Opening a case's page is audited.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from safe4c.access.rules import policy
from safe4c.access.rules.policy import Actor
from safe4c.cases import cases, consent, statements
from safe4c.cases.rules import caseload as rules
from safe4c.cases.rules import deadlines
from safe4c.db.cases import Agency, Case, CaseStep
from safe4c.db.tables import Report, StaffUser
from safe4c.kernel import audit
from safe4c.kernel.uow import UnitOfWork
from safe4c.reports.queue import time_left


@dataclass
class Step:
    id: int
    kind: str
    status: str
    due_at: datetime | None
    done_at: datetime | None
    overdue: bool
    time_left: object  # reports.queue.TimeLeft: shown like the queue's deadlines
    detail: dict
    note: str | None = None


@dataclass
class Row:
    public_id: str
    agency: str
    lead: bool  # the actor's agency leads it (else it was referred to it)
    origin: str
    stage: str
    priority: str | None
    region_code: str | None
    opened_at: datetime
    first_contact_due_at: datetime | None
    first_contact_at: datetime | None
    first_contact_overdue: bool
    overdue: list[Step] = field(default_factory=list)
    next_due: datetime | None = None
    next_left: object = None  # reports.queue.TimeLeft of next_due
    assigned_to: str | None = None  # the case worker's name; None: nobody yet


def _steps_by_case(uow: UnitOfWork, case_ids: list[int], now: datetime, *, only_open: bool,
                   notes: bool = False) -> dict[int, list[Step]]:
    query = select(CaseStep).where(CaseStep.case_id.in_(case_ids)).order_by(CaseStep.id)  # as they happened
    if only_open:
        query = query.where(CaseStep.status == "open")
    out: dict[int, list[Step]] = defaultdict(list)
    for s in uow.session.scalars(query):
        out[s.case_id].append(Step(s.id, s.kind, s.status, s.due_at, s.done_at,
                                   s.status == "open" and deadlines.is_overdue(s.due_at, s.done_at, now),
                                   time_left(s.due_at, now) if s.status == "open" else None, s.detail or {},
                                   uow.ctx.sealer.open(s.note_sealed, context="case.step.note") if notes else None))
    return out


# The caseload's views: every case the actor may list, the actor's own, and their agency's unassigned ones.
VIEWS = ("agency", "mine", "unassigned")


def caseload(*, uow: UnitOfWork, actor: Actor, closed: bool = False, view: str = "agency") -> list[Row]:
    """The cases the actor may list, open ones (or the closed ones), most urgent first; ``view`` narrows them
    to the actor's own (``mine``) or to their agency's cases nobody is assigned (``unassigned``)."""
    now = uow.now()
    query = select(Case, Agency.name).join(Agency, Agency.id == Case.agency_id).where(cases.visible(actor))
    query = query.where(Case.stage == "closed") if closed else query.where(Case.stage != "closed")
    if view == "mine":
        query = query.where(Case.assigned_to == actor.id)
    elif view == "unassigned":
        query = query.where(Case.assigned_to.is_(None), Case.agency_id == actor.agency_id)
    found = uow.session.execute(query.limit(1000)).all()
    assigned_ids = {c.assigned_to for c, _ in found if c.assigned_to}
    names = dict(uow.session.execute(select(StaffUser.id, StaffUser.display_name)
                                     .where(StaffUser.id.in_(assigned_ids))).all()) if assigned_ids else {}
    steps = _steps_by_case(uow, [c.id for c, _ in found], now, only_open=True)
    rows = []
    for case, agency in found:
        open_steps = steps.get(case.id, [])
        overdue = [s for s in open_steps if s.overdue]
        dues = [s.due_at for s in open_steps if s.due_at]
        rows.append(Row(case.public_id, agency, case.agency_id == actor.agency_id, case.origin, case.stage,
                        case.priority, case.region_code, case.opened_at, case.first_contact_due_at,
                        case.first_contact_at,
                        any(s.kind == "first_contact" for s in overdue), overdue, min(dues) if dues else None,
                        assigned_to=names.get(case.assigned_to)))
    for r in rows:
        r.next_left = time_left(r.next_due, now)
    return sorted(rows, key=lambda r: rules.urgency_key(rules.Urgency(
        r.first_contact_overdue, len(r.overdue), r.priority, r.next_due, r.opened_at)))


@dataclass
class CaseView:
    row: Row
    report_public_id: str | None
    child_age_band: str | None
    child_gender: str | None
    contact_method: str
    steps: list[Step]
    consent: object  # db CaseConsent or None (codes only are shown)
    consent_history: list
    statements: int
    statement_readable: bool
    assigned_to: str | None
    closure_requested: bool
    record: dict
    assigned_id: int | None = None


def view_case(*, uow: UnitOfWork, actor: Actor, public_id: str) -> CaseView:
    case, record = cases.load_with_record(uow, public_id=public_id, actor=actor)
    now = uow.now()
    agency = uow.session.get(Agency, case.agency_id)
    # Step notes are the lead agency's working notes: shown to those who may update the case.
    all_steps = _steps_by_case(uow, [case.id], now, only_open=False,
                               notes=policy.allowed(actor, "case.update", record)).get(case.id, [])
    overdue = [s for s in all_steps if s.overdue]
    dues = [s.due_at for s in all_steps if s.status == "open" and s.due_at]
    row = Row(case.public_id, agency.name, case.agency_id == actor.agency_id, case.origin, case.stage, case.priority,
              case.region_code, case.opened_at, case.first_contact_due_at, case.first_contact_at,
              any(s.kind == "first_contact" for s in overdue), overdue, min(dues) if dues else None)
    row.next_left = time_left(row.next_due, now)
    report = uow.session.scalar(select(Report.public_id).where(Report.id == case.report_id)) if case.report_id else None
    assigned = uow.session.scalar(select(StaffUser.display_name).where(StaffUser.id == case.assigned_to)) \
        if case.assigned_to else None
    audit.record(uow, actor_id=actor.id, action="case.view", subject_type="case", subject_id=case.public_id,
                 detail={"agency_id": actor.agency_id})
    view = CaseView(row, report, case.child_age_band, case.child_gender, case.contact_method, all_steps,
                    consent.current(uow, case.id), consent.history(uow, case.id), statements.count(uow, case.id),
                    statements.may_read(uow, actor, case, record), assigned,
                    case.stage == "closure_requested", record, case.assigned_to)
    uow.commit()
    return view


def summary_for_report(uow: UnitOfWork, report_id: int) -> dict | None:
    """What an analyst may know of a report's case: that it exists, its stage and the agency (no child data)."""
    case = cases.case_for_report(uow, report_id)
    if case is None:
        return None
    return {"stage": case.stage, "agency": uow.session.scalar(select(Agency.name).where(Agency.id == case.agency_id))}
