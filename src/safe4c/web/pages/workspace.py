"""The workspace on the queue and the report page: assignment, bulk actions, saved filters, and decisions on
one report. Analysts and administrators may use them, not regulators (access/policy.py); the services audit each
change."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from safe4c.kernel.validation import parse_id
from safe4c.kernel.errors import Invalid
from safe4c.workspace import assignment, saved_filters, queries as workspace
from safe4c.access.accounts import StaffUser
from safe4c.web import auth
from safe4c.web.deps import UowDep
from safe4c.web.authorization import Allowed
from safe4c.web.inputs import IdPath
from safe4c.web.pages.clusters import assign_in, decide_in, refused

router = APIRouter(prefix="/staff", include_in_schema=False, route_class=auth.StaffRoute)


@router.post("/reports/{public_id}/assign")
def assign_report(request: Request, public_id: str, uow: UowDep,
                  staff: Annotated[StaffUser, Allowed("report.update", csrf=True)],
                  assignee: Annotated[str, Form()] = ""):
    where = workspace.scope(uow, report_public_id=public_id)
    back = f"/staff/reports/{public_id}"
    return assign_in(request, uow, staff, where, assignee=assignee, back=back, done=f"{back}?saved=assign")


@router.post("/reports/{public_id}/decisions/{kind}")
def report_decision(request: Request, public_id: str, kind: str, uow: UowDep,
                    staff: Annotated[StaffUser, Allowed("report.decide", csrf=True)],
                    reason: Annotated[str, Form()] = "", identifiers: Annotated[list[str], Form()] = [],
                    platform: Annotated[str, Form()] = "", category: Annotated[str, Form()] = "csam"):
    where = workspace.scope(uow, report_public_id=public_id)
    back = f"/staff/reports/{public_id}"
    return decide_in(request, uow, staff, where, kind, reason=reason, identifiers=identifiers, platform=platform,
                     category=category, back=back, done=f"{back}?saved={kind}")


@router.post("/queue/bulk")
def bulk(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("report.update", csrf=True)],
         reports: Annotated[list[str], Form()] = [],
         action: Annotated[str, Form()] = "", assignee: Annotated[str, Form()] = "",
         status: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
         back: Annotated[str, Form()] = ""):
    target = back if back.startswith("/staff") and not back.startswith("//") else "/staff"
    try:
        result = assignment.bulk(uow=uow, actor_id=staff.id, public_ids=reports, action=action,
                                assignee_id=parse_id(assignee), to_status=status or None,
                                note=note)
    except Invalid as exc:
        return refused(request, staff, exc, target)
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}{urlencode({'bulk_done': result.done, 'bulk_refused': result.refused})}",
                            status_code=303)


@router.post("/filters")
def save_filter(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("queue.filters", csrf=True)],
                name: Annotated[str, Form()] = "",
                query: Annotated[str, Form()] = ""):
    try:
        normalised = saved_filters.save_filter(uow=uow, owner_id=staff.id, name=name, query=query)
    except Invalid as exc:
        return refused(request, staff, exc, "/staff")
    return RedirectResponse("/staff" + (f"?{normalised}" if normalised else ""), status_code=303)


@router.post("/filters/{filter_id}/delete")
def delete_filter(request: Request, filter_id: IdPath, uow: UowDep,
                  staff: Annotated[StaffUser, Allowed("queue.filters", csrf=True)]):
    saved_filters.delete_filter(uow=uow, owner_id=staff.id, filter_id=filter_id)
    return RedirectResponse("/staff", status_code=303)
