"""ASGI middleware: body size limit (413 before the body is read), language, security headers.

The language is picked once here for every request (web/i18n.py). An explicit choice (``?lang=en`` from the
language switch) is remembered in a cookie on the response when it is a page or a redirect (public or staff; an
API answer, a CSV or a PDF sets none), so every next page stays in that language.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from safe4c.kernel.errors import TooLarge
from safe4c.web.errors import BodyTooLarge, error_body
from safe4c.web.i18n import LANGUAGES, pick_language

LANG_COOKIE = "lang"
LANG_COOKIE_SECONDS = 365 * 24 * 3600

SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                 b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SafetyMiddleware:
    """Picks the language, enforces the body limit, and adds security headers to every response."""

    def __init__(self, app, *, max_body_bytes: int, default_language: str, secure_cookies: bool = False):
        self.app = app
        self.max_body = max_body_bytes
        self.default_language = default_language
        self.secure_cookies = secure_cookies

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        chosen, remembered = _query_param(scope, "lang"), _cookie(headers, LANG_COOKIE)
        lang = pick_language(
            query=chosen, cookie=remembered,
            accept=headers.get(b"accept-language", b"").decode("latin-1"), default=self.default_language,
        )
        scope.setdefault("state", {})["lang"] = lang
        remember = chosen in LANGUAGES and chosen != remembered

        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return await self._reject(scope, send, lang)

        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                sent = list(message.get("headers", []))
                message["headers"] = sent + SECURITY_HEADERS
                if remember and _is_page(message.get("status", 200), sent):
                    message["headers"].append((b"set-cookie", self._language_cookie(chosen)))
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:  # read outside a route's handling (the routes' errors are rendered in web/errors.py)
            if not started:
                await self._reject(scope, send, lang)

    def _language_cookie(self, lang: str) -> bytes:
        cookie = f"{LANG_COOKIE}={lang}; Max-Age={LANG_COOKIE_SECONDS}; Path=/; SameSite=lax; HttpOnly"
        return (cookie + ("; Secure" if self.secure_cookies else "")).encode("latin-1")

    async def _reject(self, scope, send, lang):
        body = json.dumps(error_body(lang, TooLarge.code, TooLarge.message, limit=self.max_body)).encode()
        await send({"type": "http.response.start", "status": TooLarge.status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")] + SECURITY_HEADERS})
        await send({"type": "http.response.body", "body": body})


def _is_page(status: int, headers: list) -> bool:
    """A page or a redirect (what a person follows), not an API answer or a download."""
    kind = dict(headers).get(b"content-type", b"")
    return 300 <= status < 400 or kind.startswith(b"text/html")


def _query_param(scope, name: str) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    return values[0] if values else None


def _cookie(headers: dict, name: str) -> str | None:
    raw = headers.get(b"cookie", b"").decode("latin-1")
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
