"""Staff pages for the hash list: banks, entries, enable/disable, CSV import and export, and the small form
on a report's page where an analyst adds the hashes they confirmed.

Analysts (and administrators) view, add, import, export and disable or enable entries; only administrators create
banks or switch a whole bank on or off; a regulator none of it (access/policy.py). Every change is audited by
services/hashlist.py.
"""

from __future__ import annotations

import io

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.errors import Invalid
from safe4c.kernel.signals import SIGNAL_KINDS
from safe4c.hashlist import banks as hashlist, csv_io
from safe4c.access.accounts import StaffUser
from safe4c.web import auth
from safe4c.web.authorization import Allowed
from safe4c.web.deps import UowDep
from safe4c.web.inputs import IdPath
from safe4c.web.pages.render import environment
from safe4c.web.pages.staff import field_errors, page

router = APIRouter(prefix="/staff", include_in_schema=False, route_class=auth.StaffRoute)

HASHLIST_LABELS = {
    "classification": {"csam": N_("Child sexual abuse material"), "exploitation": N_("Sexual exploitation of a child"),
                       "other": N_("Other")},
    "source": {"analyst": N_("Confirmed by an analyst"), "partner": N_("Imported from a partner list")},
}
SIGNAL_TYPE_NAMES = SIGNAL_KINDS


def hl_label(kind: str, code: str) -> str:
    return HASHLIST_LABELS.get(kind, {}).get(code, code)


environment().globals.update(hl_label=hl_label,
                             hashlist_signal_types=SIGNAL_TYPE_NAMES,
                             hashlist_classifications=hashlist.CLASSIFICATIONS)


def _page(request: Request, template: str, staff, *, status_code: int = 200, **context) -> HTMLResponse:
    return page(request, template, status_code=status_code, staff=staff, active="hashlist", hl_label=hl_label,
                signal_types=SIGNAL_TYPE_NAMES, classifications=hashlist.CLASSIFICATIONS, **context)


# --- banks ----------------------------------------------------------------------------------------------

@router.get("/hashlist", response_class=HTMLResponse)
def banks_page(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("hashlist.view")]):
    return _page(request, "hashlist/banks.html", staff, banks=hashlist.list_banks(uow=uow), errors={}, form={})


@router.post("/hashlist/banks", response_class=HTMLResponse)
def create_bank(request: Request, uow: UowDep,
                staff: Annotated[StaffUser, Allowed("hashlist.bank.manage", csrf=True)],
                name: Annotated[str, Form()] = "", description: Annotated[str, Form()] = "",
                confirmed: Annotated[str, Form()] = ""):
    try:
        bank_id = hashlist.create_bank(uow=uow, name=name, description=description, confirmed=confirmed == "1",
                                       actor_id=staff.id)
    except Invalid as exc:
        return _page(request, "hashlist/banks.html", staff, status_code=422, banks=hashlist.list_banks(uow=uow),
                     errors=field_errors(exc), form={"name": name[:100], "description": description[:500],
                                                     "confirmed": confirmed == "1"})
    return RedirectResponse(f"/staff/hashlist/banks/{bank_id}", status_code=303)


@router.get("/hashlist/banks/{bank_id}", response_class=HTMLResponse)
def bank_page(request: Request, bank_id: IdPath, uow: UowDep, staff: Annotated[StaffUser, Allowed("hashlist.view")],
              page_number: int = 1, type: str | None = None, state: str | None = None, saved: str | None = None):
    return _bank_page(request, uow, staff, bank_id, page_number=page_number, signal_type=type, state=state,
                      saved=saved)


def _bank_page(request, uow, staff, bank_id: int, *, page_number: int = 1, signal_type: str | None = None,
               state: str | None = None, saved: str | None = None, errors: dict | None = None,
               form: dict | None = None, status_code: int = 200):
    bank = hashlist.get_bank(uow=uow, bank_id=bank_id)
    enabled = {"enabled": True, "disabled": False}.get(state or "")
    entries = hashlist.list_entries(uow=uow, bank_id=bank_id, page=page_number, signal_type=signal_type,
                                    enabled=enabled)
    filters = {k: v for k, v in (("type", signal_type), ("state", state)) if v}

    def page_link(n: int) -> str:
        query = "&".join(f"{k}={v}" for k, v in {**filters, "page_number": n}.items())
        return f"/staff/hashlist/banks/{bank_id}?{query}"

    return _page(request, "hashlist/bank.html", staff, status_code=status_code, bank=bank, entries=entries,
                 filters=filters, page_link=page_link, saved=saved, errors=errors or {}, form=form or {})


@router.post("/hashlist/banks/{bank_id}/enabled")
def set_bank_enabled(bank_id: IdPath, uow: UowDep,
                     staff: Annotated[StaffUser, Allowed("hashlist.bank.manage", csrf=True)],
                     enabled: Annotated[str, Form()] = ""):
    hashlist.set_bank_enabled(uow=uow, bank_id=bank_id, enabled=enabled == "1", actor_id=staff.id)
    return RedirectResponse(f"/staff/hashlist/banks/{bank_id}?saved=bank", status_code=303)


# --- entries --------------------------------------------------------------------------------------------

@router.post("/hashlist/banks/{bank_id}/entries", response_class=HTMLResponse)
def add_entry(request: Request, bank_id: IdPath, uow: UowDep,
              staff: Annotated[StaffUser, Allowed("hashlist.change", csrf=True)],
              signal_type: Annotated[str, Form()] = "", value: Annotated[str, Form()] = "",
              classification: Annotated[str, Form()] = "csam", tags: Annotated[str, Form()] = ""):
    try:
        hashlist.add_entry(uow=uow, bank_id=bank_id, signal_type=signal_type, value=value,
                           classification=classification, tags=tags, source="analyst", actor_id=staff.id)
    except Invalid as exc:
        uow.rollback()
        return _bank_page(request, uow, staff, bank_id, errors=field_errors(exc), status_code=422,
                          form={"signal_type": signal_type, "value": value[:8192], "classification": classification,
                                "tags": tags[:500]})
    return RedirectResponse(f"/staff/hashlist/banks/{bank_id}?saved=entry", status_code=303)


@router.post("/hashlist/entries/{entry_id}/enabled")
def set_entry_enabled(entry_id: IdPath, uow: UowDep, staff: Annotated[StaffUser, Allowed("hashlist.change", csrf=True)],
                      enabled: Annotated[str, Form()] = "", bank_id: Annotated[int, Form()] = 0):
    hashlist.set_entry_enabled(uow=uow, entry_id=entry_id, enabled=enabled == "1", actor_id=staff.id)
    return RedirectResponse(f"/staff/hashlist/banks/{bank_id}?saved=entry_state", status_code=303)


# --- CSV ------------------------------------------------------------------------------------------------

@router.post("/hashlist/banks/{bank_id}/import", response_class=HTMLResponse)
def import_csv(request: Request, bank_id: IdPath, uow: UowDep,
               staff: Annotated[StaffUser, Allowed("hashlist.change", csrf=True)],
               file: Annotated[UploadFile, File()], classification: Annotated[str, Form()] = "csam"):
    # The request's own unit of work: on SQLite a second one would wait for this one's write lock.
    text = file.file.read().decode("utf-8-sig", errors="replace")
    try:
        result = csv_io.import_csv(uow=uow, bank_id=bank_id, lines=io.StringIO(text, newline=""),
                                     classification=classification,
                                     source="partner", actor_id=staff.id)
    except Invalid as exc:
        uow.rollback()
        return _bank_page(request, uow, staff, bank_id, errors=field_errors(exc), status_code=422)
    return _page(request, "hashlist/import_result.html", staff, bank=hashlist.get_bank(uow=uow, bank_id=bank_id),
                 result=result)


@router.get("/hashlist/banks/{bank_id}/export.csv")
def export_csv(bank_id: IdPath, uow: UowDep, staff: Annotated[StaffUser, Allowed("hashlist.export")]):
    """Built in memory (about 100 bytes a line): fine for a bank on a staff page; `safe4c hashlist export`
    streams any size."""
    body = "".join(csv_io.export_csv(uow=uow, bank_id=bank_id, actor_id=staff.id))
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="safe4c-hashlist-{bank_id}.csv"'})


# --- from a report's page -------------------------------------------------------------------------------

@router.post("/reports/{public_id}/hashes", response_class=HTMLResponse)
def add_from_report(request: Request, public_id: str, uow: UowDep,
                    staff: Annotated[StaffUser, Allowed("hashlist.change", csrf=True)],
                    bank_id: Annotated[int, Form()] = 0, signal_type: Annotated[str, Form()] = "",
                    value: Annotated[str, Form()] = "", classification: Annotated[str, Form()] = "csam"):
    try:
        result = hashlist.add_entry(uow=uow, bank_id=bank_id, signal_type=signal_type, value=value,
                                    classification=classification, source="analyst", actor_id=staff.id,
                                    report_public_id=public_id)
    except Invalid as exc:
        return _page(request, "hashlist/add_from_report_error.html", staff, status_code=422, public_id=public_id,
                     errors=field_errors(exc))
    flag = "added" if result.created else "already"
    return RedirectResponse(f"/staff/reports/{public_id}?hash={flag}#hashlist-add", status_code=303)
