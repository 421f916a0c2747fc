"""Staff access pages: sign in and out, and the users list (unlocking an account is for administrators).

The session cookie and CSRF are web/auth.py; who may do what is the one policy (web/authorization.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from safe4c.reports.rules.taxonomy import N_
from safe4c.access import accounts, login_throttle
from safe4c.access.accounts import StaffUser
from safe4c.cases import agencies
from safe4c.web import auth
from safe4c.web.authorization import Allowed, staff_home
from safe4c.web.auth import OptionalStaff
from safe4c.web.deps import UowDep, client_address
from safe4c.web.device_cookie import device_tokens, set_device_cookie
from safe4c.web.pages.staff import page

router = APIRouter(prefix="/staff", include_in_schema=False, route_class=auth.StaffRoute)


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
    if staff is not None:  # already signed in: where they asked to go, else where their work starts
        return RedirectResponse(safe_next(next) if next else staff_home(staff), status_code=303)
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


@router.get("/home", response_class=HTMLResponse)
def home_page(request: Request, staff: Annotated[StaffUser, Allowed("staff.home")]):
    """The start page of a role whose own page does not exist (yet): what the role may open."""
    return page(request, "staff/home.html", staff=staff, active="home", work_page=staff_home(staff))


# --- administration --------------------------------------------------------------------------------------

@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("user.list")],
               unlocked: str | None = None):
    users = accounts.list_users(uow=uow)
    return page(request, "staff/users.html", staff=staff, users=users, locked=accounts.locked_users(uow=uow),
                agencies=agencies.by_ids(uow=uow, ids={u.agency_id for u in users if u.agency_id}),
                unlocked=unlocked is not None)


@router.post("/users/{username}/unlock")
def unlock_user(username: str, uow: UowDep, staff: Annotated[StaffUser, Allowed("user.manage", csrf=True)]):
    accounts.unlock_user(uow=uow, username=username, actor_id=staff.id)
    return RedirectResponse("/staff/users?unlocked=1", status_code=303)
