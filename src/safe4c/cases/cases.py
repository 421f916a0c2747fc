"""Opening a case, and the one access check every case use case goes through (docs/cases.md).

A case is opened (1) by an analyst's "open a case" decision on a report (workspace/decisions.py), (2)
automatically by the worker for a report whose reporter consented to services (job ``case.open``, enqueued by
intake in the report's own transaction), routed by ``rules/routing.py``, or (3) by a case worker for a walk-in
or a SAPA 129 call. Opening writes the case, its first two steps (first contact, assessment) with their due
dates, takes up the report's "refer the child" referrals that were waiting for case management, and is audited.

Access: ``record_of`` gives a case's fields as the policy's conditions read them (the lead agency, every agency
it is referred to, the police units it is referred to); ``load`` decides one case and ``visible`` turns the same
filter into a WHERE for lists, so a list never shows a case its page would refuse. Another agency's case is
404 (not even confirmed); a case one may see but not change is 403.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy import case as sql_case
from sqlalchemy.exc import IntegrityError

from safe4c.access.rules import policy
from safe4c.access.rules.policy import Actor
from safe4c.cases.rules import deadlines, routing
from safe4c.cases.rules.workflow import ORIGINS
from safe4c.db.cases import Agency, Case, CaseReferral, CaseStep
from safe4c.db.linking import Referral
from safe4c.db.tables import Report
from safe4c.kernel import audit, regions
from safe4c.kernel.errors import FieldError, Forbidden, Invalid, NotFound
from safe4c.kernel.i18n import N_
from safe4c.kernel.priority import PRIORITIES
from safe4c.kernel.uow import UnitOfWork
from safe4c.reports.rules.taxonomy import AGE_BAND_CODES, CONTACT_METHOD_CODES, GENDER_CODES

log = logging.getLogger(__name__)

# Referrals that give the receiving agency access to the case (h10c's referrals.py sets the statuses).
LIVE_REFERRALS = ("sent", "accepted", "delivered")
CASE_NOT_FOUND = N_("We could not find this case.")
NO_AGENCY = N_("No agency can take up this case: there is no active UPTD PPA for the child's region and no "
               "national hotline. Ask an administrator to add the agencies (safe4c agency seed).")
CHOOSE = N_("This choice is not one of the allowed options.")
WALK_IN_ORIGINS = ("walk_in", "hotline")
NEEDS_AGENCY = N_("Your account is not linked to an agency, so you cannot open a case. Ask an administrator.")
NOT_ALLOWED = N_("Your role does not allow this.")


# --- access -----------------------------------------------------------------------------------------------

def record_of(uow: UnitOfWork, case: Case) -> dict:
    referred = uow.session.execute(select(CaseReferral.to_agency_id, CaseReferral.kind).where(
        CaseReferral.case_id == case.id, CaseReferral.status.in_(LIVE_REFERRALS),
        CaseReferral.to_agency_id.is_not(None))).all()
    return {"agency_id": case.agency_id, "agencies": {case.agency_id, *(a for a, _ in referred)},
            "police_agencies": {a for a, kind in referred if kind == "police"}}


def check(actor: Actor, action: str, record: dict, *, seen_with: str = "case.view", refused: str = NOT_ALLOWED,
          not_found: str = CASE_NOT_FOUND) -> None:
    """The one access check of a case (and of a referral, with its own record): 404 when the actor may neither
    see the record (``seen_with``) nor do ``action`` to it, 403 (``refused``) when it sees it but may not act."""
    if not policy.allowed(actor, action, record):
        if not policy.allowed(actor, seen_with, record):
            raise NotFound(not_found)
        raise Forbidden(refused)


def load_with_record(uow: UnitOfWork, *, public_id: str, actor: Actor, action: str = "case.view",
                     seen_with: str = "case.view", refused: str = NOT_ALLOWED, lock: bool = False
                     ) -> tuple[Case, dict]:
    """The case and its record (as the policy reads it) if ``actor`` may do ``action`` to it (``check``)."""
    query = select(Case).where(Case.public_id == public_id)
    case = uow.session.scalar(query.with_for_update() if lock else query)
    if case is None:
        raise NotFound(CASE_NOT_FOUND)
    record = record_of(uow, case)
    check(actor, action, record, seen_with=seen_with, refused=refused)
    return case, record


def load(uow: UnitOfWork, *, public_id: str, actor: Actor, action: str = "case.view", seen_with: str = "case.view",
         refused: str = NOT_ALLOWED, lock: bool = False) -> Case:
    """The case if ``actor`` may do ``action`` to it: 404 when the actor may not even see it, 403 when it may
    see it but not do this. Every use case of a case, and of its referrals, loads it here."""
    return load_with_record(uow, public_id=public_id, actor=actor, action=action, seen_with=seen_with,
                            refused=refused, lock=lock)[0]


def visible(actor: Actor, action: str = "case.list"):
    """The WHERE clause for the cases ``actor`` may reach for ``action`` (the policy's filter as SQL)."""
    found = policy.record_filter(actor, action)
    if found is None:
        return false()
    clauses = []
    if (values := found.values("agency_id")) is not None:
        clauses.append(Case.agency_id.in_(_ids(values)))
    if (values := found.values("agencies")) is not None:
        clauses.append(or_(Case.agency_id.in_(_ids(values)), Case.id.in_(_referred(values))))
    if (values := found.values("police_agencies")) is not None:
        clauses.append(Case.id.in_(_referred(values, kind="police")))
    return and_(*clauses) if clauses else true()


def _ids(values) -> list[int]:
    return [v for v in values if v is not None]  # staff without an agency match no case


def _referred(values, kind: str | None = None):
    query = select(CaseReferral.case_id).where(CaseReferral.to_agency_id.in_(_ids(values)),
                                               CaseReferral.status.in_(LIVE_REFERRALS))
    return query.where(CaseReferral.kind == kind) if kind else query


# --- opening ----------------------------------------------------------------------------------------------

def place_case(uow: UnitOfWork, *, agency_id: int, origin: str, actor_id: int | None, report_id: int | None = None,
               region_code: str | None = None, priority: str | None = None, age_band: str | None = None,
               gender: str | None = None, contact_method: str = "none", contact_sealed: bytes | None = None) -> Case:
    """Write a new case and its first steps into the caller's transaction (no commit)."""
    now = uow.now()
    case = Case(public_id=str(uuid.uuid4()), report_id=report_id, agency_id=agency_id, origin=origin,
                region_code=region_code, priority=priority, stage="registration", assigned_to=None,
                opened_by=actor_id, opened_at=now,
                first_contact_due_at=deadlines.first_contact_due(now, priority, uow.settings.case_first_contact_hours),
                first_contact_at=None, child_age_band=age_band, child_gender=gender, contact_method=contact_method,
                contact_sealed=contact_sealed, updated_at=now)
    try:
        with uow.session.begin_nested():  # a report's case: another transaction may have opened it meanwhile
            uow.session.add(case)
            uow.session.flush()
    except IntegrityError:
        if report_id is None:
            raise
        raise _AlreadyOpen() from None
    uow.session.add(CaseStep(case_id=case.id, kind="first_contact", status="open", due_at=case.first_contact_due_at,
                             created_at=now, detail={}))
    open_step(uow, case, "assessment")
    taken_up = _take_up_referrals(uow, report_id) if report_id else 0
    audit.record(uow, actor_id=actor_id, action="case.open", subject_type="case", subject_id=case.public_id,
                 detail={"origin": origin, "agency_id": agency_id, "priority": priority, "referrals": taken_up})
    return case


def open_step(uow: UnitOfWork, case: Case, kind: str) -> CaseStep:
    now = uow.now()
    step = CaseStep(case_id=case.id, kind=kind, status="open", created_at=now, detail={},
                    due_at=deadlines.step_due(now, kind, uow.settings.case_step_days))
    uow.session.add(step)
    return step


def _take_up_referrals(uow: UnitOfWork, report_id: int) -> int:
    """The analyst's "refer the child for help" referrals of this report were waiting for case management."""
    rows = list(uow.session.scalars(select(Referral).where(Referral.report_id == report_id,
                                                           Referral.kind == "child_help",
                                                           Referral.status == "awaiting_handover")))
    for row in rows:
        row.status = "handed_over"
    return len(rows)


def case_for_report(uow: UnitOfWork, report_id: int) -> Case | None:
    """The case of a report (at most one: ``uq_cases_report``). Every reader of "the report's case" asks here."""
    return uow.session.scalar(select(Case).where(Case.report_id == report_id))


def route_report(uow: UnitOfWork, report: Report) -> int | None:
    """The agency nearest the child (``routing.preferences``: regency, province, hotline), the oldest active one
    of the first pair that has one, in one query."""
    wanted = routing.preferences(regency_code=report.regency_code, province_code=report.province_code)
    pairs = [and_(Agency.region_code == region, Agency.agency_type == kind) for region, kind in wanted]
    if not pairs:
        return None
    nearest = sql_case(*((pair, rank) for rank, pair in enumerate(pairs)), else_=len(pairs))
    return uow.session.scalar(select(Agency.id).where(Agency.active.is_(True), or_(*pairs))
                              .order_by(nearest, Agency.id).limit(1))


def place_case_for_report(uow: UnitOfWork, *, report: Report, origin: str,
                          actor_id: int | None) -> tuple[Case, bool]:
    """The report's case and whether this call opened it: the existing one if it has one, else a new one routed
    to the agency nearest the child.
    Two transactions opening one at the same moment (an analyst's decision and the ``case.open`` job) both get
    the one case: the second one's write meets ``uq_cases_report`` and gives way to the first."""
    existing = case_for_report(uow, report.id)
    if existing is not None:
        return existing, False
    agency_id = route_report(uow, report)
    if agency_id is None:
        raise Invalid([FieldError("reason", NO_AGENCY)])
    contact = uow.ctx.sealer.open(report.contact_sealed, context="report.contact")
    try:
        return place_case(uow, agency_id=agency_id, origin=origin, actor_id=actor_id, report_id=report.id,
                          region_code=report.regency_code or report.province_code, priority=report.priority,
                          age_band=report.age_band, gender=report.gender, contact_method=report.contact_method,
                          contact_sealed=uow.ctx.sealer.seal(contact, context="case.contact")), True
    except _AlreadyOpen:
        return case_for_report(uow, report.id), False


class _AlreadyOpen(Exception):
    """Another transaction opened the report's case since this one looked."""


def open_for_report_job(*, uow: UnitOfWork, report_id: int) -> None:
    """Worker job ``case.open``: a report whose reporter consented to services gets a case. Idempotent; a report
    with no agency to route to is logged (its "refer the child" referral, if any, keeps waiting)."""
    report = uow.session.get(Report, report_id)
    if report is None or not report.consent_services:
        return
    try:
        place_case_for_report(uow, report=report, origin="auto", actor_id=None)
    except Invalid:
        log.warning("no agency to route report %s to; no case opened", report_id)
        return
    uow.commit()


def open_walk_in(*, uow: UnitOfWork, actor: Actor, origin: str, priority: str, age_band: str, gender: str,
                 region_code: str, contact_method: str, contact_value: str) -> str:
    """A case worker opens a case for a child who came in or called SAPA 129; returns the case's public id."""
    if actor.agency_id is None:
        raise Invalid([FieldError("origin", NEEDS_AGENCY)])
    errors = []
    for name, value, allowed in (("origin", origin, WALK_IN_ORIGINS), ("priority", priority, PRIORITIES),
                                 ("age_band", age_band, AGE_BAND_CODES), ("gender", gender, GENDER_CODES),
                                 ("contact_method", contact_method, CONTACT_METHOD_CODES)):
        if value not in allowed:
            errors.append(FieldError(name, CHOOSE))
    region = regions.normalise_code(region_code or "")
    if region and regions.get(region) is None:
        errors.append(FieldError("region_code", N_("Choose a province or regency from the list.")))
    contact_value = (contact_value or "").strip()
    if contact_method != "none" and not contact_value:
        errors.append(FieldError("contact_value", N_("Write how the child can be reached, or choose \"Anonymous\".")))
    if len(contact_value) > 200:
        errors.append(FieldError("contact_value", N_("This is too long (at most {max} characters)."), {"max": 200}))
    if errors:
        raise Invalid(errors)
    case = place_case(uow, agency_id=actor.agency_id, origin=origin, actor_id=actor.id, region_code=region or None,
                      priority=priority, age_band=age_band, gender=gender, contact_method=contact_method,
                      contact_sealed=uow.ctx.sealer.seal(contact_value if contact_method != "none" else None,
                                                         context="case.contact"))
    case.assigned_to = actor.id
    uow.commit()
    return case.public_id


assert set(WALK_IN_ORIGINS) <= set(ORIGINS)
