"""Staff pages of referrals (docs/cases.md, *Referrals*) and of the case figures: a case's referrals with the
form to send one, an agency's referrals in and out, one referral with its answer forms, a police unit's
evidence package, and the figures per agency and month.

Handlers parse the form, call a use case (cases/referrals.py, cases/referral_views.py, cases/figures.py) and
render; which records an actor reaches is decided there, by the same policy rule as the route's ``Allowed``.
This router is installed before the cases pages, so ``/staff/cases/figures`` is not taken for a case id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from safe4c.access.accounts import StaffUser
from safe4c.cases import figures as case_figures
from safe4c.cases import referral_views as views
from safe4c.cases import referrals
from safe4c.cases.rules.referrals import STATUSES
from safe4c.directory.rules.types import ORGANIZATION_TYPES, SERVICE_TYPES
from safe4c.kernel.errors import Invalid
from safe4c.web import auth
from safe4c.web.authorization import Allowed, actor_of
from safe4c.web.deps import ReadingUowDep, UowDep
from safe4c.kernel.validation import parse_id
from safe4c.web.pages.staff import field_errors, page

router = APIRouter(prefix="/staff", include_in_schema=False, route_class=auth.StaffRoute)


def _page(request: Request, template: str, staff, **context) -> HTMLResponse:
    return page(request, template, staff=staff, active="referrals", statuses=STATUSES, service_types=SERVICE_TYPES,
                org_types=ORGANIZATION_TYPES, **context)


@router.get("/cases/figures", response_class=HTMLResponse)
def figures_page(request: Request, uow: ReadingUowDep, staff: Annotated[StaffUser, Allowed("case.figures.view")],
                 month: str | None = None):
    try:
        result = case_figures.figures(uow=uow, month=month, actor=actor_of(staff))
        errors = {}
    except Invalid as exc:
        result, errors = case_figures.figures(uow=uow, actor=actor_of(staff)), field_errors(exc)
    return page(request, "case_referrals/figures.html", staff=staff, active="figures", figures=result,
                errors=errors, status_code=422 if errors else 200)


def _case_page(request: Request, uow, staff, case_id: str, *, errors=None, form=None, status_code: int = 200):
    data = views.for_case(uow=uow, actor=actor_of(staff), case_public_id=case_id)
    return _page(request, "case_referrals/case.html", staff, data=data, errors=errors or {}, form=form or {},
                 status_code=status_code)


@router.get("/cases/{case_id}/referrals", response_class=HTMLResponse)
def case_referrals_page(request: Request, case_id: str, uow: ReadingUowDep,
                        staff: Annotated[StaffUser, Allowed("case.referral.view")]):
    return _case_page(request, uow, staff, case_id)


def _provider(value: str) -> tuple[int | None, int | None]:
    kind, _, raw = (value or "").partition(":")
    ident = parse_id(raw)
    return (ident, None) if kind == "agency" else (None, ident) if kind == "organization" else (None, None)


@router.post("/cases/{case_id}/referrals")
def send_referral(request: Request, case_id: str, uow: UowDep,
                  staff: Annotated[StaffUser, Allowed("case.referral.send", csrf=True)],
                  kind: Annotated[str, Form()] = "services", provider: Annotated[str, Form()] = "",
                  service_type: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""):
    to_agency, to_org = _provider(provider)
    data = referrals.ReferralInput(kind=kind, to_agency_id=to_agency, to_organization_id=to_org,
                                   service_type=service_type or None, reason=reason)
    try:
        public_id = referrals.send(uow=uow, actor=actor_of(staff), case_public_id=case_id, data=data)
    except Invalid as exc:
        uow.rollback()
        return _case_page(request, uow, staff, case_id, errors=field_errors(exc), status_code=422,
                          form={"kind": kind, "provider": provider, "service_type": service_type, "reason": reason})
    return RedirectResponse(f"/staff/case-referrals/{public_id}?saved=sent", status_code=303)


@router.get("/case-referrals", response_class=HTMLResponse)
def inbox_page(request: Request, uow: ReadingUowDep, staff: Annotated[StaffUser, Allowed("case.referral.view")]):
    return _page(request, "case_referrals/list.html", staff, referrals=views.inbox(uow=uow, actor=actor_of(staff)))


def _detail(request: Request, uow, staff, referral_id: str, *, errors=None, status_code: int = 200, saved=None):
    data = views.detail(uow=uow, actor=actor_of(staff), referral_id=referral_id)
    return _page(request, "case_referrals/detail.html", staff, r=data, errors=errors or {}, saved=saved,
                 status_code=status_code)


@router.get("/case-referrals/{referral_id}", response_class=HTMLResponse)
def referral_page(request: Request, referral_id: str, uow: UowDep,
                  staff: Annotated[StaffUser, Allowed("case.referral.view")], saved: str | None = None):
    return _detail(request, uow, staff, referral_id, saved=saved if saved in ("sent", "accepted", "declined",
                                                                              "delivered", "withdrawn") else None)


def _done(referral_id: str, what: str) -> RedirectResponse:
    return RedirectResponse(f"/staff/case-referrals/{referral_id}?saved={what}", status_code=303)


def _answer(request: Request, uow, staff, referral_id: str, what: str, change):
    """Make a change to a referral (``change()``), then back to it saying ``what``; answers that need fixing are
    shown on the referral's page, and nothing was changed."""
    try:
        change()
    except Invalid as exc:
        uow.rollback()
        return _detail(request, uow, staff, referral_id, errors=field_errors(exc), status_code=422)
    return _done(referral_id, what)


@router.post("/case-referrals/{referral_id}/accept")
def accept(referral_id: str, uow: UowDep, staff: Annotated[StaffUser, Allowed("case.referral.respond", csrf=True)]):
    referrals.accept(uow=uow, actor=actor_of(staff), referral_id=referral_id)
    return _done(referral_id, "accepted")


@router.post("/case-referrals/{referral_id}/decline")
def decline(request: Request, referral_id: str, uow: UowDep,
            staff: Annotated[StaffUser, Allowed("case.referral.respond", csrf=True)],
            reason: Annotated[str, Form()] = ""):
    return _answer(request, uow, staff, referral_id, "declined",
                   lambda: referrals.decline(uow=uow, actor=actor_of(staff), referral_id=referral_id, reason=reason))


@router.post("/case-referrals/{referral_id}/delivered")
def delivered(request: Request, referral_id: str, uow: UowDep,
              staff: Annotated[StaffUser, Allowed("case.referral.respond", csrf=True)],
              services: Annotated[list[str], Form()] = []):
    return _answer(request, uow, staff, referral_id, "delivered",
                   lambda: referrals.deliver(uow=uow, actor=actor_of(staff), referral_id=referral_id,
                                             services=services))


@router.post("/case-referrals/{referral_id}/withdraw")
def withdraw(request: Request, referral_id: str, uow: UowDep,
             staff: Annotated[StaffUser, Allowed("case.referral.withdraw", csrf=True)],
             reason: Annotated[str, Form()] = ""):
    return _answer(request, uow, staff, referral_id, "withdrawn",
                   lambda: referrals.withdraw(uow=uow, actor=actor_of(staff), referral_id=referral_id, reason=reason))


@router.get("/case-referrals/{referral_id}/package.json")
def package(referral_id: str, uow: UowDep, staff: Annotated[StaffUser, Allowed("case.referral.package")]):
    data = views.package(uow=uow, actor=actor_of(staff), referral_id=referral_id)
    return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="evidence-{referral_id}.json"'})
