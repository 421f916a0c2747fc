"""Staff pages of the service directory (docs/directory.md): the list with filters, one organisation, coverage
per regency, and the HSDS export. Every staff role views it (no child data: only counts of reports per regency);
administrators export (access/rules/policy.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from safe4c.access.accounts import StaffUser
from safe4c.directory import coverage as directory_coverage
from safe4c.directory import service as directory
from safe4c.directory.rules.types import ORGANIZATION_TYPES, SERVICE_STATUSES, SERVICE_TYPES
from safe4c.kernel import regions
from safe4c.web import auth
from safe4c.web.authorization import Allowed
from safe4c.web.deps import UowDep
from safe4c.web.inputs import IdPath
from safe4c.web.pages.staff import page

router = APIRouter(prefix="/staff", include_in_schema=False, route_class=auth.StaffRoute)
COVERAGE_VIEWS = ("remote", "gaps")


def _page(request: Request, template: str, staff, **context) -> HTMLResponse:
    return page(request, template, staff=staff, active="directory", org_types=ORGANIZATION_TYPES,
                service_types=SERVICE_TYPES, statuses=SERVICE_STATUSES, provinces=regions.provinces(), region_name=regions.name_of,
                **context)


def _province(code: str | None) -> str | None:
    return code if code and regions.is_province(code) else None


@router.get("/directory", response_class=HTMLResponse)
def directory_page(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("directory.view")],
                   type: str | None = None, province: str | None = None):
    org_type = type if type in ORGANIZATION_TYPES else None
    filters = {"type": org_type, "province": _province(province)}
    orgs = directory.list_organizations(uow=uow, org_type=org_type, province=filters["province"])
    return _page(request, "directory/list.html", staff, organizations=orgs, filters=filters)


@router.get("/directory/organizations/{org_id}", response_class=HTMLResponse)
def organization_page(request: Request, org_id: IdPath, uow: UowDep,
                      staff: Annotated[StaffUser, Allowed("directory.view")]):
    org = directory.get_organization(uow=uow, org_id=org_id)
    return _page(request, "directory/organization.html", staff, org=org,
                 locations={loc.id: loc for loc in org.locations})


@router.get("/directory/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("directory.view")],
                  province: str | None = None, only: str | None = None):
    filters = {"province": _province(province), "only": only if only in COVERAGE_VIEWS else None}
    result = directory_coverage.regency_coverage(uow=uow, province=filters["province"], only=filters["only"])
    return _page(request, "directory/coverage.html", staff, coverage=result, filters=filters)


@router.get("/directory/export.json")
def export_directory(uow: UowDep, staff: Annotated[StaffUser, Allowed("directory.manage")]):
    return JSONResponse(directory.export_hsds(uow=uow),
                        headers={"Content-Disposition": 'attachment; filename="safe4c-directory-hsds.json"'})
