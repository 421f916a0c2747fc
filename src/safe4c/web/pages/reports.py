"""Staff report pages: the triage queue, a report with its status form (and, for those who may change the hash
list, the form that adds what it carries to a bank).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from safe4c.kernel import regions
from safe4c.reports.rules.taxonomy import PLATFORMS, STATUSES
from safe4c.reports.rules.triage import PRIORITIES
from safe4c.kernel.errors import Invalid
from safe4c.reports import queue, status as report_status
from safe4c.workspace import report_page as report_view, queries as workspace
from safe4c.access.accounts import StaffUser
from safe4c.hashlist import banks as hashlist
from safe4c.web import auth
from safe4c.web.authorization import Allowed
from safe4c.web.deps import ReadingUowDep, UowDep
from safe4c.web.pages.staff import LABELS, field_errors, page

router = APIRouter(prefix="/staff", include_in_schema=False, route_class=auth.StaffRoute)


# --- the queue and a report ------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def queue_page(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("report.list")]):
    filters = queue.QueueFilters.parse(request.query_params)
    result = replace(queue.list_queue(uow=uow, filters=filters, viewer_id=staff.id),  # the workspace adds its own
                     analysts=workspace.analysts(uow=uow),
                     saved_filters=workspace.list_filters(uow=uow, owner_id=staff.id))

    def page_link(n: int) -> str:
        query = urlencode(filters.query(page=n))
        return "/staff" + (f"?{query}" if query else "")

    return page(request, "staff/queue.html", staff=staff, result=result, filters=filters, page_link=page_link,
                statuses=[code for code, _ in STATUSES], priorities=PRIORITIES,
                situations=list(LABELS["situation"]), platforms=[code for code, _ in PLATFORMS],
                provinces=regions.provinces())


@router.get("/reports/{public_id}", response_class=HTMLResponse)
def report_page(request: Request, public_id: str, uow: UowDep, reading: ReadingUowDep,
                staff: Annotated[StaffUser, Allowed("report.view")], saved: str | None = None):
    report = report_view.view_report(uow=uow, public_id=public_id, actor_id=staff.id)
    # The banks for the hash-list form (templates/hashlist/_add_from_report.html), read only when it is shown,
    # without a write lock: this runs on every view of a report.
    return page(request, "staff/report.html", staff=staff, report=report, full=True, errors={},
                form={}, saved=saved == "status", hashlist_banks=partial(hashlist.enabled_bank_choices, uow=reading))


@router.post("/reports/{public_id}/status", response_class=HTMLResponse)
def change_status(request: Request, public_id: str, uow: UowDep,
                  staff: Annotated[StaffUser, Allowed("report.update", csrf=True)],
                  status: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
                  current: Annotated[str, Form()] = ""):
    try:
        report_status.change_status(uow=uow, public_id=public_id, actor_id=staff.id, to_status=status, note=note,
                                    expected_status=current or None)
    except Invalid as exc:
        # Re-show the form with what was typed, but nothing sealed: a refused change must not be a way
        # to read a report without the view being audited. The analyst's note is kept.
        report = report_view.report_summary(uow=uow, public_id=public_id)
        return page(request, "staff/report.html", status_code=422, staff=staff, report=report, full=False,
                    errors=field_errors(exc), form={"status": status, "note": note[:report_status.MAX_NOTE]},
                    saved=False)
    return RedirectResponse(f"/staff/reports/{public_id}?saved=status", status_code=303)
