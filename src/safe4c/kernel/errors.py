"""Typed errors that carry their HTTP status; the web layer renders them in one JSON shape.

Shape: ``{"error": {"code": "...", "message": "...", "fields": [{"field": "...", "message": "..."}]}}``.
Messages are English source strings, translated at the edge with gettext.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str
    message: str  # an English msgid, translated when rendered
    params: dict = field(default_factory=dict)


class AppError(Exception):
    status = 500
    code = "internal"
    message = "Something went wrong on our side. Please try again."

    def __init__(self, message: str | None = None, *, params: dict | None = None):
        super().__init__(message or self.message)
        if message:
            self.message = message
        self.params = params or {}


class Invalid(AppError):
    status = 422
    code = "invalid"
    message = "Some answers need fixing."

    def __init__(self, fields: list[FieldError], message: str | None = None):
        super().__init__(message)
        self.fields = fields


class NotFound(AppError):
    status = 404
    code = "not_found"
    message = "We could not find that."


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    message = "Please sign in."


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    message = "You are not allowed to do that."


class Conflict(AppError):
    status = 409
    code = "conflict"
    message = "That conflicts with the current state."


class TooLarge(AppError):
    status = 413
    code = "too_large"
    message = "What you sent is too large (at most {limit} bytes)."


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    message = "Too many reports from your connection. Please wait a minute and try again."
