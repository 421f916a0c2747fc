"""One JSON error shape everywhere, in the requested language."""

from __future__ import annotations

import logging
import traceback

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from safe4c.kernel.validation import message_for
from safe4c.kernel.errors import AppError, FieldError, Invalid, NotFound, TooLarge
from safe4c.kernel.jobs import error_summary
from safe4c.web.deps import get_lang
from safe4c.web.i18n import translate

log = logging.getLogger(__name__)

# What a person reads for the errors the framework raises itself (page routes use it too).
HTTP_MESSAGES = {
    400: "We could not read what you sent. Check it and send it again.",
    404: "We could not find that.",
    405: "This method is not allowed here.",
}


class BodyTooLarge(HTTPException):
    """Raised by the middleware while a body is read, once it passes the limit.

    An HTTPException because FastAPI turns any other failure while parsing a body into a 400; this one it
    passes on, and install() renders it as TooLarge (413) for API and page routes alike.
    """

    def __init__(self, limit: int):
        super().__init__(status_code=TooLarge.status)
        self.limit = limit


def error_body(lang: str, code: str, message: str, fields: list[FieldError] = (), **params) -> dict:
    body = {"code": code, "message": translate(lang, message, **params)}
    if fields:
        body["fields"] = [{"field": f.field, "message": translate(lang, f.message, **f.params)} for f in fields]
    return {"error": body}


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError):
        fields = exc.fields if isinstance(exc, Invalid) else ()
        body = error_body(get_lang(request), exc.code, exc.message, fields, **exc.params)
        headers = {"Retry-After": "60"} if exc.status == 429 else None
        if exc.status == 401:  # RFC 6750: say which scheme the API expects
            headers = {"WWW-Authenticate": 'Bearer realm="safe4c"'}
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        if any(err.get("loc", ("",))[0] == "path" for err in exc.errors()):
            # An id in the URL that no row can have (web/inputs.py IdPath): there is nothing at that address.
            return await request.app.exception_handlers[AppError](request, NotFound())
        fields = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
            if err.get("type") == "json_invalid":
                msg, params = "The request body must be valid JSON.", {}
            else:
                msg, params = message_for(err)
            fields.append(FieldError(".".join(loc[:1]) or "body", msg, params))
        body = error_body(get_lang(request), "invalid", Invalid.message, fields)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge):
        # Looked up now, not at install: page routes replace the AppError handler with an HTML one.
        return await request.app.exception_handlers[AppError](request, TooLarge(params={"limit": exc.limit}))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = HTTP_MESSAGES.get(exc.status_code, AppError.message)
        return JSONResponse(error_body(get_lang(request), f"http_{exc.status_code}", message),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        if isinstance(exc, StatementError):  # its text may quote a report's data (see jobs.error_summary)
            log.error("unhandled error on %s %s: %s\n%s", request.method, request.url.path, error_summary(exc),
                      "".join(traceback.format_tb(exc.__traceback__)))
        else:
            log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body(get_lang(request), "internal", AppError.message), status_code=500)


# --- the shape above as OpenAPI models (web/openapi.py documents every error response with ErrorResponse) ---

class FieldProblem(BaseModel):
    field: str = Field(description="The input, by name or path (incident.time, items.0.value, body).")
    message: str = Field(description="What is wrong with it, in the requested language.")


class ErrorDetail(BaseModel):
    code: str = Field(description="invalid, not_found, unauthorized, forbidden, conflict, too_large, rate_limited, "
                                  "http_<status> or internal.")
    message: str = Field(description="What went wrong and what to do, in the requested language.")
    fields: list[FieldProblem] = Field(default_factory=list, description="One entry per input that needs fixing "
                                                                         "(only with code invalid).")


class ErrorResponse(BaseModel):
    error: ErrorDetail
