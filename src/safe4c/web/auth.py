"""Staff sign-in for pages: the session cookie, CSRF tokens, and who is signed in.

- The session cookie holds a random token (the database keeps only its SHA-256): HttpOnly, SameSite=Lax,
  path=/, Secure when ``settings.secure_cookies``.
- Signed-in forms carry ``csrf`` = HMAC(key derived from the secret for "csrf", session token).
- The login form has no session yet: a random ``csrf_pre`` cookie plus a hidden field that must match it
  (double submit). The field is an HMAC of the cookie, so a cookie planted by a neighbouring site is useless.
- Pages that need a signed-in user redirect to ``/staff/login``; a wrong or missing token gets a 403 page.
  Which user may do what is decided by the one policy, through ``Allowed(action)`` (web/authorization.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from safe4c.kernel.crypto import derive_key
from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.errors import AppError, Forbidden
from safe4c.access import accounts
from safe4c.access.accounts import StaffUser
from safe4c.web.deps import UowDep

SESSION_COOKIE = "safe4c_session"
PRE_COOKIE = "csrf_pre"
LOGIN_URL = "/staff/login"
CSRF_FAILED = N_("This form has expired or did not come from safe4c. Go back, reload the page and try again.")


class LoginRequired(Exception):
    """Raised by ``Allowed`` for a staff action without a session; StaffRoute turns it into a redirect to login."""


class StaffRoute(APIRoute):
    """Staff pages: a missing login redirects; typed errors render the staff error page in the user's language."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def staff_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                target = LOGIN_URL
                if request.method == "GET" and request.url.path != LOGIN_URL:
                    target += "?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
                return RedirectResponse(target, status_code=303)
            except AppError as exc:
                # The staff error page belongs to the pages, which import this module: the app holds it
                # (web/pages/__init__.py sets it), so this module imports no page.
                return request.app.state.staff_error_page(request, exc)

        return staff_handler


@lru_cache(maxsize=4)
def _csrf_key(secret: bytes) -> bytes:
    return derive_key(secret, "csrf")


def _mac(request: Request, message: str) -> str:
    key = _csrf_key(request.app.state.settings.resolved_secret)
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request, session_token: str | None) -> str:
    """The token every signed-in form carries; empty without a session."""
    return _mac(request, "session:" + session_token) if session_token else ""


def _cookie_kwargs(request: Request) -> dict:
    return {"httponly": True, "samesite": "lax", "secure": request.app.state.settings.secure_cookies, "path": "/"}


def login_csrf(request: Request) -> tuple[str, str]:
    """(cookie, field) for the login form; keeps an existing cookie so two open tabs both work."""
    cookie = request.cookies.get(PRE_COOKIE) or ""
    if not (20 <= len(cookie) <= 100):
        cookie = secrets.token_urlsafe(32)
    return cookie, _mac(request, "login:" + cookie)


def set_login_csrf_cookie(request: Request, response: Response, cookie: str) -> None:
    response.set_cookie(PRE_COOKIE, cookie, max_age=3600, **_cookie_kwargs(request))


def check_login_csrf(request: Request, field: str) -> None:
    cookie = request.cookies.get(PRE_COOKIE) or ""
    expected = _mac(request, "login:" + cookie)
    if not cookie or not hmac.compare_digest(expected, field or ""):
        raise Forbidden(CSRF_FAILED)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    # No max_age: the server decides expiry (sliding), and the cookie dies with the browser.
    response.set_cookie(SESSION_COOKIE, token, **_cookie_kwargs(request))
    response.delete_cookie(PRE_COOKIE, **_cookie_kwargs(request))


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, **_cookie_kwargs(request))


def optional_staff(request: Request, uow: UowDep) -> StaffUser | None:
    token = request.cookies.get(SESSION_COOKIE)
    user = accounts.session_user(uow=uow, token=token) if token else None
    request.state.staff = user
    request.state.session_token = token if user else None
    return user


async def check_csrf(request: Request) -> None:
    """The form's CSRF token must match the session (web/authorization.py calls it for ``Allowed(..., csrf=True)``)."""
    form = await request.form()
    sent = form.get("csrf")
    expected = csrf_token(request, getattr(request.state, "session_token", None))
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        raise Forbidden(CSRF_FAILED)


# Who is signed in, if anyone (the login page). What a user may do is web/authorization.py's ``Allowed(action)``.
OptionalStaff = Annotated[StaffUser | None, Depends(optional_staff)]
