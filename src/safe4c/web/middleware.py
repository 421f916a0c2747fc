"""ASGI middleware: body size limit (413 before the body is read), language, security headers."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from safe4c.kernel.errors import TooLarge
from safe4c.web.errors import BodyTooLarge, error_body
from safe4c.web.i18n import pick_language

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

    def __init__(self, app, *, max_body_bytes: int, default_language: str):
        self.app = app
        self.max_body = max_body_bytes
        self.default_language = default_language

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        lang = pick_language(
            query=_query_param(scope, "lang"), cookie=_cookie(headers, "lang"),
            accept=headers.get(b"accept-language", b"").decode("latin-1"), default=self.default_language,
        )
        scope.setdefault("state", {})["lang"] = lang

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
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:  # read outside a route's handling (the routes' errors are rendered in web/errors.py)
            if not started:
                await self._reject(scope, send, lang)

    async def _reject(self, scope, send, lang):
        body = json.dumps(error_body(lang, TooLarge.code, TooLarge.message, limit=self.max_body)).encode()
        await send({"type": "http.response.start", "status": TooLarge.status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")] + SECURITY_HEADERS})
        await send({"type": "http.response.body", "body": body})


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
