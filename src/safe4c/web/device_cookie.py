"""The device cookie: proof that this browser signed in to an account before (services/login_throttle.py).

It holds up to five signed tokens, one per account signed in on this browser, each ``nonce.mac`` where the MAC
binds the nonce to the account name; the name itself is not in the cookie. Sent only to /staff pages,
HttpOnly, SameSite=Strict, Secure when ``SAFE4C_SECURE_COOKIES``; kept 180 days, renewed at each sign-in.
"""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import Response

from safe4c.access.login_throttle import MAX_DEVICE_TOKENS

DEVICE_COOKIE = "safe4c_device"
DEVICE_COOKIE_DAYS = 180
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,40}\.[0-9a-f]{32}")


def device_tokens(request: Request) -> list[str]:
    raw = request.cookies.get(DEVICE_COOKIE) or ""
    return [t for t in raw.split("~") if _TOKEN.fullmatch(t)][:MAX_DEVICE_TOKENS]


def set_device_cookie(request: Request, response: Response, tokens: list[str]) -> None:
    response.set_cookie(DEVICE_COOKIE, "~".join(tokens), max_age=DEVICE_COOKIE_DAYS * 86400, httponly=True,
                        samesite="strict", secure=request.app.state.settings.secure_cookies, path="/staff")
