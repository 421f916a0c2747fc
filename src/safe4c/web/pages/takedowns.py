"""Staff pages for takedown orders (analysts and admins) and platform compliance (regulators and admins); who
may do what is access/policy.py's table.

Orders: list, issue (form), one order with its history, uphold or withdraw a dispute. Compliance: the monthly
transparency table, as a page, CSV and PDF. Handlers parse, call a service, render; every view is audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from safe4c.takedowns.rules import deadlines
from safe4c.kernel import months
from safe4c.kernel.validation import parse_id
from safe4c.kernel.errors import Invalid
from safe4c.takedowns import compliance, listing, orders as takedowns
from safe4c.access import platforms
from safe4c.access.accounts import StaffUser
from safe4c.web import auth
from safe4c.web.authorization import Allowed
from safe4c.web.deps import UowDep
from safe4c.web.pages.staff import field_errors, page

router = APIRouter(prefix="/staff", include_in_schema=False, route_class=auth.StaffRoute)

def _page(request: Request, template: str, **context) -> HTMLResponse:
    return page(request, template, steps=deadlines.STEPS_BY_LEVEL, **context)


def deadline_hours(settings) -> dict[str, str]:
    """The configured deadlines as people read them: "4", "24", "1.5" (SAFE4C_TAKEDOWN_DEADLINE_HOURS)."""
    return {k: f"{float(v):g}" for k, v in settings.takedown_deadline_hours.items()}


def _list_page(request: Request, uow, staff, *, status: str | None, form: dict, errors: dict,
               status_code: int = 200, duplicate: str | None = None) -> HTMLResponse:
    return _page(request, "takedowns/list.html", status_code=status_code, staff=staff, active="takedowns",
                 duplicate=duplicate,
                 hours=deadline_hours(uow.settings),
                 orders=listing.list_orders(uow=uow, status=status), status=status,
                 statuses=takedowns.STATUS_FILTERS, platforms=platforms.list_platforms(uow=uow), form=form,
                 errors=errors, targets=takedowns.TARGET_TYPES, hash_types=list(takedowns.HASH_TYPES),
                 categories=takedowns.CATEGORIES, default_basis=takedowns.DEFAULT_LEGAL_BASIS)


@router.get("/takedowns", response_class=HTMLResponse)
def orders_page(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("takedown.view")],
                status: str | None = None):
    status = status if status in takedowns.STATUS_FILTERS else None
    return _list_page(request, uow, staff, status=status, form={}, errors={})


@router.post("/takedowns", response_class=HTMLResponse)
def issue(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("takedown.issue", csrf=True)],
          platform_id: Annotated[str, Form()] = "", target_type: Annotated[str, Form()] = "",
          target_value: Annotated[str, Form()] = "", hash_type: Annotated[str, Form()] = "",
          category: Annotated[str, Form()] = "", urgent: Annotated[str, Form()] = "",
          legal_basis: Annotated[str, Form()] = "", report_id: Annotated[str, Form()] = ""):
    form = dict(platform_id=platform_id, target_type=target_type, target_value=target_value[:2000],
                hash_type=hash_type, category=category, urgent=urgent, legal_basis=legal_basis[:300],
                report_id=report_id[:40])
    try:
        public_id = takedowns.issue_order(uow=uow, actor_id=staff.id, order=takedowns.OrderInput(
            platform_id=parse_id(platform_id), target_type=target_type,
            target_value=target_value, hash_type=hash_type or None, category=category, urgent=urgent == "yes",
            legal_basis=legal_basis or None, report_id=report_id or None))
    except Invalid as exc:
        uow.rollback()
        return _list_page(request, uow, staff, status=None, form=form, errors=field_errors(exc), status_code=422)
    except takedowns.DuplicateOrder as exc:  # one open order per platform and target: say so, link to it
        uow.rollback()
        return _list_page(request, uow, staff, status=None, form=form, errors={}, status_code=409,
                          duplicate=exc.existing)
    return RedirectResponse(f"/staff/takedowns/{public_id}?saved=issued", status_code=303)


def _order_page(request: Request, uow, staff, public_id: str, *, saved: str | None = None, form: dict | None = None,
                errors: dict | None = None, status_code: int = 200) -> HTMLResponse:
    order = listing.view_order(uow=uow, public_id=public_id, actor_id=staff.id)
    return _page(request, "takedowns/detail.html", status_code=status_code, staff=staff, active="takedowns",
                 order=order, saved=saved, open_statuses=takedowns.OPEN_STATUSES, form=form or {},
                 errors=errors or {})


@router.get("/takedowns/{public_id}", response_class=HTMLResponse)
def order_page(request: Request, public_id: str, uow: UowDep, staff: Annotated[StaffUser, Allowed("takedown.view")],
               saved: str | None = None):
    return _order_page(request, uow, staff, public_id, saved=saved)


@router.post("/takedowns/{public_id}/uphold")
def uphold(public_id: str, uow: UowDep, staff: Annotated[StaffUser, Allowed("takedown.decide", csrf=True)]):
    takedowns.uphold(uow=uow, public_id=public_id, actor_id=staff.id)
    return RedirectResponse(f"/staff/takedowns/{public_id}?saved=upheld", status_code=303)


@router.post("/takedowns/{public_id}/withdraw")
def withdraw(request: Request, public_id: str, uow: UowDep,
             staff: Annotated[StaffUser, Allowed("takedown.decide", csrf=True)],
             reason: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = ""):
    """Only a POST with a reason and the confirmation box ticked withdraws; otherwise the order page comes back
    with what is missing, and nothing changes."""
    try:
        takedowns.withdraw(uow=uow, public_id=public_id, actor_id=staff.id, reason=reason, confirmed=confirm == "yes")
    except Invalid as exc:
        uow.rollback()
        return _order_page(request, uow, staff, public_id, form={"reason": reason[:2000]}, errors=field_errors(exc),
                           status_code=422)
    return RedirectResponse(f"/staff/takedowns/{public_id}?saved=withdrawn", status_code=303)


# --- compliance and transparency ------------------------------------------------------------------------

@router.get("/compliance", response_class=HTMLResponse)
def compliance_page(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("compliance.view")],
                    month: str | None = None):
    found = compliance.period_for_staff(uow=uow, month=month, actor_id=staff.id, fmt="html")
    slowest = max((r.p90_hours or 0 for r in found.rows), default=0) or 1
    return _page(request, "takedowns/compliance.html", staff=staff, active="compliance", month=found.month,
                 period=found, rows=found.rows, slowest=slowest, hours=deadline_hours(uow.settings),
                 months=months.previous_months(months.month_of(uow.now()), 12))


@router.get("/compliance.csv")
def compliance_csv(uow: UowDep, staff: Annotated[StaffUser, Allowed("compliance.view")], month: str | None = None):
    found = compliance.period_for_staff(uow=uow, month=month, actor_id=staff.id, fmt="csv")
    m = found.month
    return Response(compliance.to_csv(found.rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="safe4c-compliance-{m}.csv"',
                             "Cache-Control": "no-store"})


@router.get("/compliance.pdf")
def compliance_pdf(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("compliance.view")],
                   month: str | None = None):
    from safe4c.web.pages import transparency_pdf  # reportlab: loaded beside serving (web/app.py warm)

    found = compliance.period_for_staff(uow=uow, month=month, actor_id=staff.id, fmt="pdf")
    m = found.month
    pdf = transparency_pdf.render_pdf(found, lang=request.state.lang, generated_at=uow.now(),
                                      hours=deadline_hours(uow.settings))
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="safe4c-transparency-{m}.pdf"',
                             "Cache-Control": "no-store"})
