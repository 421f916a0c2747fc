"""One JSON error shape everywhere, in the requested language."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import AppError, FieldError, Invalid
from .i18n import translate

log = logging.getLogger(__name__)

_HTTP_MESSAGES = {
    404: "We could not find that.",
    405: "This method is not allowed here.",
}


def error_body(lang: str, code: str, message: str, fields: list[FieldError] = (), **params) -> dict:
    body = {"code": code, "message": translate(lang, message, **params)}
    if fields:
        body["fields"] = [{"field": f.field, "message": translate(lang, f.message, **f.params)} for f in fields]
    return {"error": body}


def request_language(request: Request) -> str:
    return getattr(request.state, "lang", "id")


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError):
        fields = exc.fields if isinstance(exc, Invalid) else ()
        body = error_body(request_language(request), exc.code, exc.message, fields, **exc.params)
        headers = {"Retry-After": "60"} if exc.status == 429 else None
        if exc.status == 401:  # RFC 6750: say which scheme the API expects
            headers = {"WWW-Authenticate": 'Bearer realm="safe4c"'}
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        fields = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
            msg = "The request body must be valid JSON." if err.get("type") == "json_invalid" else "This value is not valid."
            fields.append(FieldError(".".join(loc[:1]) or "body", msg))
        body = error_body(request_language(request), "invalid", Invalid.message, fields)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = _HTTP_MESSAGES.get(exc.status_code, "Something went wrong on our side. Please try again.")
        return JSONResponse(error_body(request_language(request), f"http_{exc.status_code}", message),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body(request_language(request), "internal", AppError.message), status_code=500)
