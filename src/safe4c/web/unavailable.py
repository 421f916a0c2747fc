"""The app safe4c serves when it must not serve: the master key is missing or does not match the database.

Nothing is read or written (there is no usable key): every request gets 503 in the one JSON error shape, and
``/healthz`` says why, so an operator or a load balancer sees the cause instead of a healthy-looking service
that fails on every report.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from safe4c.kernel.settings import KeyProblem, Settings
from safe4c.reports.rules.taxonomy import N_
from safe4c.web.deps import get_lang
from safe4c.web.errors import error_body
from safe4c.web.middleware import SafetyMiddleware

UNAVAILABLE = N_("safe4c is not available right now. Please try again later.")
# What /healthz says for each KeyProblem code (the operator's log has the details, e.g. the key file's path).
REASONS = {
    "key_missing": "the secret key is missing and the database holds data sealed with a key: restore the key "
                   "(docs/operations.md, Backup and restore)",
    "key_mismatch": "the secret key is not the key that sealed this database's data: use the key that belongs "
                    "to it (docs/operations.md, Backup and restore)",
    "key_empty": "the secret key file is empty: restore it from the backup (docs/operations.md)",
}


def unavailable_app(settings: Settings, problem: KeyProblem) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.key_problem = problem
    body = {"status": "error", "database": "unknown", "worker": "stopped", "key": problem.code,
            "reason": REASONS.get(problem.code, "the secret key cannot be used")}

    @app.get("/healthz")
    def healthz():
        return JSONResponse(body, status_code=503)

    @app.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    def refuse(request: Request, path: str):
        return JSONResponse(error_body(get_lang(request), "unavailable", UNAVAILABLE), status_code=503,
                            headers={"Retry-After": "60"})

    app.add_middleware(SafetyMiddleware, max_body_bytes=settings.max_body_bytes,
                       default_language=settings.default_language)
    return app
