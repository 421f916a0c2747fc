"""Staff pages of the agencies whose staff work cases (docs/cases.md, "Agencies"): the list with filters, and the
form that adds one (administrators). No child data: names, types, regions, the directory entry, staff counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from safe4c.access.accounts import StaffUser
from safe4c.cases import agencies
from safe4c.cases.rules.agencies import AGENCY_TYPES, AgencyInput
from safe4c.kernel import regions
from safe4c.kernel.errors import Invalid
from safe4c.web import auth
from safe4c.web.authorization import Allowed
from safe4c.web.deps import UowDep
from safe4c.web.pages.staff import field_errors, page

router = APIRouter(prefix="/staff", include_in_schema=False, route_class=auth.StaffRoute)


def _list_page(request: Request, uow, staff: StaffUser, *, agency_type: str | None = None,
               province: str | None = None, status_code: int = 200, **context) -> HTMLResponse:
    filters = {"type": agency_type if agency_type in AGENCY_TYPES else None,
               "province": province if province and regions.is_province(province) else None}
    rows = agencies.list_agencies(uow=uow, agency_type=filters["type"], province=filters["province"])
    return page(request, "agencies/list.html", status_code=status_code, staff=staff, active="agencies",
                agencies=rows, filters=filters, agency_types=AGENCY_TYPES, provinces=regions.provinces(),
                **{"errors": {}, "form": {}, "created": None, **context})


@router.get("/agencies", response_class=HTMLResponse)
def agencies_page(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("agency.list")],
                  type: str | None = None, province: str | None = None, created: str | None = None):
    return _list_page(request, uow, staff, agency_type=type, province=province, created=created)


@router.post("/agencies", response_class=HTMLResponse)
def create_agency(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("agency.manage", csrf=True)],
                  code: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
                  agency_type: Annotated[str, Form()] = "", region_code: Annotated[str, Form()] = "",
                  example: Annotated[str, Form()] = ""):
    try:
        made = agencies.create_agency(uow=uow, actor_id=staff.id, agency=AgencyInput(
            code=code, name=name, agency_type=agency_type, region_code=region_code, is_example=example == "1"))
    except Invalid as exc:
        form = {"code": code[:32], "name": name[:200], "agency_type": agency_type, "region_code": region_code[:8],
                "example": example == "1"}
        return _list_page(request, uow, staff, status_code=422, errors=field_errors(exc), form=form)
    return RedirectResponse(f"/staff/agencies?created={made.code}", status_code=303)
