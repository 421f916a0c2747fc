"""Staff pages: sign in and out, the triage queue, a report with its status form, and the users list.

Handlers parse the form, call a use case in services/ and render. Everything works without JavaScript.
Each route declares its action with ``Allowed`` (web/authorization.py, the policy in access/policy.py); auditing lives in
the services.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from safe4c.kernel import regions
from safe4c.reports.rules.taxonomy import N_, PLATFORMS, STATUSES
from safe4c.reports.rules.triage import PRIORITIES
from safe4c.kernel.errors import AppError, Invalid
from safe4c.access import accounts, login_throttle
from safe4c.reports import queue, report_page as report_view, status as report_status, workspace
from safe4c.access.accounts import StaffUser
from safe4c.web import auth
from safe4c.web.authorization import Allowed, can, staff_home
from safe4c.web.auth import OptionalStaff
from safe4c.web.deps import UowDep, client_address
from safe4c.web.device_cookie import device_tokens, set_device_cookie
from safe4c.web.i18n import translate
from safe4c.web.pages.render import render

router = APIRouter(prefix="/staff", include_in_schema=False, route_class=auth.StaffRoute)

# Admin-only form posts (unlocking an account), as in pages/hashlist.py.

# Hotline staff work on Western Indonesia Time, the national reference.
WIB = ZoneInfo("Asia/Jakarta")

# The analysts' vocabulary: short professional labels, not the child-facing wording of the public pages.
LABELS: dict[str, dict[str, str]] = {
    "situation": {
        "grooming": N_("Grooming"),
        "sextortion": N_("Sextortion"),
        "image_sharing": N_("Images shared without consent"),
        "unwanted_content": N_("Unwanted sexual content"),
        "gaming": N_("Exploitation in online games"),
        "live_streaming": N_("Live-streamed abuse"),
        "trafficking": N_("Trafficking or \"open BO\" offers"),
        "abuse_material": N_("Child sexual abuse material"),
        "other": N_("Other concern"),
    },
    "platform": {**dict(PLATFORMS), "other": N_("Other platform")},
    "status": dict(STATUSES),
    "urgent": {
        "danger_now": N_("Child in danger now"),
        "meeting_planned": N_("Meeting planned"),
        "threat_deadline": N_("Threat with a deadline"),
        "live_now": N_("Live stream or call now"),
        "self_harm": N_("Risk of self-harm"),
    },
    "when": {
        "now": N_("Happening now"), "today": N_("Today"), "this_week": N_("This week"),
        "this_month": N_("This month"), "earlier": N_("Earlier"),
    },
    "age": {"under_10": N_("Under 10"), "10_12": "10–12", "13_15": "13–15", "16_17": "16–17",
            "unknown": N_("Unknown")},
    "gender": {"girl": N_("Girl"), "boy": N_("Boy"), "prefer_not": N_("Not stated")},
    "disability": {"yes": N_("Yes"), "no": N_("No"), "unknown": N_("Unknown")},
    "reporter": {
        "child": N_("The child"), "parent": N_("Parent or guardian"), "teacher": N_("Teacher or school staff"),
        "other_adult": N_("Another adult"), "other_child": N_("A friend or another child"),
    },
    "contact": {"none": N_("Anonymous"), "phone": N_("Phone call"), "whatsapp": "WhatsApp", "email": N_("E-mail")},
    "channel": {"web": N_("Web form"), "api": N_("Public API"), "platform": N_("Platform")},
    "event": {"created": N_("Report received"), "triaged": N_("Triaged"), "status": N_("Status changed"),
              "linked": N_("Linked to a network"), "matched": N_("Matched known material"), "raised": N_("Priority raised: linked to an urgent network")},
    "role": accounts.ROLE_LABELS,
    "language": {"id": "Bahasa Indonesia", "en": "English"},
}


def label(kind: str, code: str | None) -> str:
    """The msgid for a code (translated in the template); unknown codes show as they are."""
    if code is None:
        return ""
    return LABELS.get(kind, {}).get(code, code)


def when(value: datetime | None) -> str:
    return value.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB") if value else ""


def page(request: Request, template: str, *, status_code: int = 200, staff=None, **context) -> HTMLResponse:
    lang = request.state.lang

    def errtext(message: str, params: dict | None = None) -> str:
        """Error messages (errors.py, FieldError) use {name} placeholders, unlike template strings."""
        return translate(lang, message, **(params or {}))

    return render(request, template, status_code=status_code, public_page=False, staff=staff,
                  csrf=auth.csrf_token(request, getattr(request.state, "session_token", None)),
                  can=lambda action: can(staff, action), label=label, when=when, errtext=errtext, **context)


def error_page(request: Request, exc: AppError) -> HTMLResponse:
    return page(request, "staff/error.html", status_code=exc.status, staff=getattr(request.state, "staff", None),
                message=exc.message, params=exc.params)


def field_errors(exc: Invalid) -> dict[str, tuple[str, dict]]:
    return {f.field: (f.message, f.params) for f in exc.fields}


def safe_next(target: str | None) -> str:
    """Only ever go back to a staff page of our own after login: never an open redirect."""
    if target and target.startswith("/staff") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff"


# --- sign in and out -------------------------------------------------------------------------------------

def _login_page(request: Request, *, error: str | None = None, error_params: dict | None = None,
                username: str = "", next_url: str = "/staff", status_code: int = 200) -> HTMLResponse:
    cookie, field = auth.login_csrf(request)
    response = page(request, "staff/login.html", status_code=status_code, login_csrf=field, error=error,
                    error_params=error_params or {}, username=username, next_url=safe_next(next_url))
    auth.set_login_csrf_cookie(request, response, cookie)
    return response


@router.get("/login", response_class=HTMLResponse, dependencies=[Allowed("staff.login")])
def login_form(request: Request, staff: OptionalStaff, next: str | None = None):
    if staff is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_url=next or "/staff")


@router.post("/login", response_class=HTMLResponse, dependencies=[Allowed("staff.login")])
def login(request: Request, uow: UowDep, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/staff"):
    auth.check_login_csrf(request, csrf)
    devices = device_tokens(request)
    try:
        user = accounts.authenticate(uow=uow, username=username, password=password,
                                     address=client_address(request), devices=devices)
    except (login_throttle.SignInWait, login_throttle.AccountLocked) as exc:
        response = _login_page(request, error=exc.message, error_params=exc.params, username=username[:64],
                               next_url=next, status_code=exc.status)
        if "seconds" in exc.params:
            response.headers["Retry-After"] = str(exc.params["seconds"])
        return response
    if user is None:
        # One message whether the name or the password was wrong: never reveal which accounts exist.
        return _login_page(request, error=N_("The username or password is not correct."), username=username[:64],
                           next_url=next, status_code=401)
    token = accounts.start_session(uow=uow, user_id=user.id)
    target = safe_next(next)
    if target == "/staff":
        target = staff_home(user)  # a regulator's home is compliance: the queue holds children's reports
    response = RedirectResponse(target, status_code=303)
    auth.set_session_cookie(request, response, token)
    set_device_cookie(request, response, login_throttle.device_tokens(uow, name=user.username, tokens=devices))
    return response


@router.post("/logout")
def logout(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("staff.logout", csrf=True)]):
    accounts.end_session(uow=uow, token=request.state.session_token)
    response = RedirectResponse(auth.LOGIN_URL, status_code=303)
    auth.clear_session_cookie(request, response)
    return response


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
def report_page(request: Request, public_id: str, uow: UowDep, staff: Annotated[StaffUser, Allowed("report.view")],
                saved: str | None = None):
    report = report_view.view_report(uow=uow, public_id=public_id, actor_id=staff.id)
    return page(request, "staff/report.html", staff=staff, report=report, full=True, errors={},
                form={}, saved=saved == "status")


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


# --- administration --------------------------------------------------------------------------------------

@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("user.list")],
               unlocked: str | None = None):
    return page(request, "staff/users.html", staff=staff, users=accounts.list_users(uow=uow),
                locked=accounts.locked_users(uow=uow), unlocked=unlocked is not None)


@router.post("/users/{username}/unlock")
def unlock_user(username: str, uow: UowDep, staff: Annotated[StaffUser, Allowed("user.manage", csrf=True)]):
    accounts.unlock_user(uow=uow, username=username, actor_id=staff.id)
    return RedirectResponse("/staff/users?unlocked=1", status_code=303)
