"""Staff pages of the case core (docs/cases.md): the caseload, a walk-in or SAPA 129 case, one case with its
consent, statement (revealed on request, audited), notes, steps and closure.

Each route declares its action (access/rules/policy.py); which case an actor may reach is decided by the use
cases (cases/cases.py ``load``: another agency's case is 404). Forms work without JavaScript; a refused form
records nothing and says why in the user's language.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from safe4c.access.accounts import StaffUser
from safe4c.access.rules import policy
from safe4c.cases import assignment, caseload, cases, consent, statements, workflow
from safe4c.cases import referral_views
from safe4c.cases.rules import consent as consent_rules
from safe4c.cases.rules import referrals as referral_rules
from safe4c.cases.rules import workflow as workflow_rules
from safe4c.directory.rules.types import SERVICE_TYPES
from safe4c.kernel import regions
from safe4c.kernel.errors import Invalid
from safe4c.kernel.i18n import N_
from safe4c.kernel.priority import PRIORITIES
from safe4c.reports.rules.taxonomy import AGE_BAND_CODES, CONTACT_METHOD_CODES, GENDER_CODES
from safe4c.web import auth
from safe4c.web.authorization import Allowed, actor_of
from safe4c.web.deps import UowDep
from safe4c.web.inputs import IdPath
from safe4c.web.pages.clusters import refused
from safe4c.web.pages.staff import page

router = APIRouter(prefix="/staff", include_in_schema=False, route_class=auth.StaffRoute)

DONE_MESSAGES = {
    "opened": N_("The case was opened. Contact the child before the first-contact deadline."),
    "consent": N_("The consent was recorded."),
    "withdrawn": N_("The consent was withdrawn. It took effect at once: agencies it no longer covers cannot read "
                    "the statement."),
    "statement": N_("The statement was recorded and sealed."),
    "note": N_("The note was added."),
    "step": N_("The step was marked done."),
    "follow_up": N_("The follow-up was added."),
    "closure": N_("The closure request was sent to a supervisor."),
    "closed": N_("The case was closed."),
    "returned": N_("The case was returned to the case worker."),
    "assigned": N_("The case worker was assigned."),
}
CASE_ACTIONS = ("case.assign", "case.update", "case.statement.read", "case.statement.record", "case.note.add",
                "case.consent.manage", "case.close.approve")

def _page(request: Request, template: str, staff, **context) -> HTMLResponse:
    return page(request, template, staff=staff, active="cases", stages=workflow_rules.STAGES,
                step_kinds=workflow_rules.STEP_KINDS, origins=workflow_rules.ORIGINS, risks=workflow_rules.RISKS,
                needs=workflow_rules.NEEDS, safety=workflow_rules.SAFETY, legal_bases=consent_rules.LEGAL_BASES,
                region_name=regions.name_of, statuses=referral_rules.STATUSES, service_types=SERVICE_TYPES,
                **context)


def _act(request: Request, staff, public_id: str, done, change):
    """Make a change to a case (``change()``), then back to its page saying ``done`` (a message key, or a function
    of what the change returned); answers that need fixing show what to fix, and nothing was changed."""
    try:
        result = change()
    except Invalid as exc:
        return refused(request, staff, exc, f"/staff/cases/{public_id}")
    return _back(public_id, done(result) if callable(done) else done)


def _back(public_id: str, done: str | None = None) -> RedirectResponse:
    return RedirectResponse(f"/staff/cases/{public_id}" + (f"?done={done}" if done else ""), status_code=303)


@router.get("/cases", response_class=HTMLResponse)
def caseload_page(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("case.list")],
                  closed: str | None = None, view: str | None = None):
    actor = actor_of(staff)
    view = view if view in caseload.VIEWS else "agency"
    rows = caseload.caseload(uow=uow, actor=actor, closed=closed == "1", view=view)
    waiting = referral_views.waiting(uow=uow, actor=actor) if policy.allowed(actor, "case.referral.view") else None
    return _page(request, "cases/list.html", staff, rows=rows, closed=closed == "1", view=view, waiting=waiting)


def _choices() -> dict:
    return dict(priorities=PRIORITIES, age_bands=AGE_BAND_CODES, genders=GENDER_CODES,
                contact_methods=CONTACT_METHOD_CODES,
                region_groups=[(p, regions.regencies(p.code)) for p in regions.provinces()])


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_page(request: Request, staff: Annotated[StaffUser, Allowed("case.open")]):
    return _page(request, "cases/new.html", staff, values={}, errors={}, **_choices())


@router.post("/cases")
def open_case(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("case.open", csrf=True)],
              origin: Annotated[str, Form()] = "", priority: Annotated[str, Form()] = "",
              age_band: Annotated[str, Form()] = "", gender: Annotated[str, Form()] = "",
              region_code: Annotated[str, Form()] = "", contact_method: Annotated[str, Form()] = "none",
              contact_value: Annotated[str, Form()] = ""):
    values = dict(origin=origin, priority=priority, age_band=age_band, gender=gender, region_code=region_code,
                  contact_method=contact_method)  # the contact is never written back into a page
    try:
        public_id = cases.open_walk_in(uow=uow, actor=actor_of(staff), origin=origin, priority=priority,
                                       age_band=age_band, gender=gender, region_code=region_code,
                                       contact_method=contact_method, contact_value=contact_value)
    except Invalid as exc:
        return _page(request, "cases/new.html", staff, status_code=422, values=values,
                     errors={f.field: (f.message, f.params) for f in exc.fields}, **_choices())
    return _back(public_id, "opened")


def _case_page(request: Request, uow, staff, public_id: str, *, reading=None, done: str | None = None):
    actor = actor_of(staff)
    view = caseload.view_case(uow=uow, actor=actor, public_id=public_id)
    may = {action: policy.allowed(actor, action, view.record) for action in CASE_ACTIONS}
    people = assignment.assignable(uow, view.record["agency_id"]) if may["case.assign"] else []
    return _page(request, "cases/detail.html", staff, c=view, may=may, reading=reading,
                 done=DONE_MESSAGES.get(done or ""), targets=consent.targets(uow), assignable=people)


@router.get("/cases/{public_id}", response_class=HTMLResponse)
def case_page(request: Request, public_id: str, uow: UowDep, staff: Annotated[StaffUser, Allowed("case.view")],
              done: str | None = None):
    return _case_page(request, uow, staff, public_id, done=done)


@router.post("/cases/{public_id}/assign")
def assign_case(request: Request, public_id: str, uow: UowDep,
                staff: Annotated[StaffUser, Allowed("case.assign", csrf=True)],
                assignee: Annotated[str, Form()] = ""):
    return _act(request, staff, public_id, "assigned",
                lambda: assignment.assign(uow=uow, actor=actor_of(staff), case_public_id=public_id,
                                          assignee=assignee))


@router.post("/cases/{public_id}/statement/read", response_class=HTMLResponse)
def read_statement(request: Request, public_id: str, uow: UowDep,
                   staff: Annotated[StaffUser, Allowed("case.statement.read", csrf=True)]):
    reading = statements.read_statement(uow=uow, actor=actor_of(staff), case_public_id=public_id)
    return _case_page(request, uow, staff, public_id, reading=reading)


@router.post("/cases/{public_id}/statement")
def record_statement(request: Request, public_id: str, uow: UowDep,
                     staff: Annotated[StaffUser, Allowed("case.statement.record", csrf=True)],
                     body: Annotated[str, Form()] = "", language: Annotated[str, Form()] = "id",
                     reason: Annotated[str, Form()] = ""):
    return _act(request, staff, public_id, "statement",
                lambda: statements.record_statement(uow=uow, actor=actor_of(staff), case_public_id=public_id,
                                                    body=body, language=language, reason=reason))


@router.post("/cases/{public_id}/notes")
def add_note(request: Request, public_id: str, uow: UowDep,
             staff: Annotated[StaffUser, Allowed("case.note.add", csrf=True)],
             note: Annotated[str, Form()] = ""):
    return _act(request, staff, public_id, "note",
                lambda: statements.add_note(uow=uow, actor=actor_of(staff), case_public_id=public_id, body=note))


@router.post("/cases/{public_id}/consent")
def record_consent(request: Request, public_id: str, uow: UowDep,
                   staff: Annotated[StaffUser, Allowed("case.consent.manage", csrf=True)],
                   legal_basis: Annotated[str, Form()] = "consent", covers: Annotated[list[str], Form()] = [],
                   share_with: Annotated[list[str], Form()] = [],
                   withhold_statement: Annotated[list[str], Form()] = [],
                   withhold_contact: Annotated[list[str], Form()] = [],
                   withheld_reason: Annotated[str, Form()] = ""):
    given = consent_rules.ConsentInput(
        child_assent="child_assent" in covers, guardian_consent="guardian_consent" in covers,
        services="services" in covers, share_statement="share_statement" in covers, police="police" in covers,
        statistics="statistics" in covers, legal_basis=legal_basis, share_with=tuple(share_with),
        withheld=tuple([(w, "statement") for w in withhold_statement] + [(w, "contact") for w in withhold_contact]),
        withheld_reason=withheld_reason)
    return _act(request, staff, public_id, "consent",
                lambda: consent.record_consent(uow=uow, actor=actor_of(staff), case_public_id=public_id, given=given))


@router.post("/cases/{public_id}/consent/withdraw")
def withdraw_consent(request: Request, public_id: str, uow: UowDep,
                     staff: Annotated[StaffUser, Allowed("case.consent.manage", csrf=True)],
                     reason: Annotated[str, Form()] = ""):
    return _act(request, staff, public_id, "withdrawn",
                lambda: consent.withdraw_consent(uow=uow, actor=actor_of(staff), case_public_id=public_id,
                                                 reason=reason))


@router.post("/cases/{public_id}/steps/{step_id}/done")
def complete_step(request: Request, public_id: str, step_id: IdPath, uow: UowDep,
                  staff: Annotated[StaffUser, Allowed("case.update", csrf=True)],
                  note: Annotated[str, Form()] = "", risks: Annotated[list[str], Form()] = [],
                  needs: Annotated[list[str], Form()] = [], safety: Annotated[str, Form()] = ""):
    return _act(request, staff, public_id, "step",
                lambda: workflow.complete_step(uow=uow, actor=actor_of(staff), case_public_id=public_id,
                                               step_id=step_id, note=note, risks=risks, needs=needs, safety=safety))


@router.post("/cases/{public_id}/follow-ups")
def add_follow_up(request: Request, public_id: str, uow: UowDep,
                  staff: Annotated[StaffUser, Allowed("case.update", csrf=True)], days: Annotated[str, Form()] = ""):
    return _act(request, staff, public_id, "follow_up",
                lambda: workflow.add_follow_up(uow=uow, actor=actor_of(staff), case_public_id=public_id, days=days))


@router.post("/cases/{public_id}/closure")
def request_closure(request: Request, public_id: str, uow: UowDep,
                    staff: Annotated[StaffUser, Allowed("case.update", csrf=True)], note: Annotated[str, Form()] = ""):
    return _act(request, staff, public_id, "closure",
                lambda: workflow.request_closure(uow=uow, actor=actor_of(staff), case_public_id=public_id, note=note))


@router.post("/cases/{public_id}/closure/decide")
def decide_closure(request: Request, public_id: str, uow: UowDep,
                   staff: Annotated[StaffUser, Allowed("case.close.approve", csrf=True)],
                   decision: Annotated[str, Form()] = "", note: Annotated[str, Form()] = ""):
    return _act(request, staff, public_id, lambda stage: "closed" if stage == "closed" else "returned",
                lambda: workflow.decide_closure(uow=uow, actor=actor_of(staff), case_public_id=public_id,
                                                approve=decision == "approve", note=note))
