"""GET /healthz: is the database reachable, is a worker keeping up, and does this process match yet?"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from safe4c.kernel import jobs
from safe4c.web.authorization import Allowed
from safe4c.web.deps import UowFactoryDep

router = APIRouter()


@router.get("/healthz", tags=["operations"], summary="Database and worker health",
            dependencies=[Allowed("health.view")])
def healthz(request: Request, uow_factory: UowFactoryDep):
    # hash_list: "ready" once this process matches; "loading" at start-up (a load balancer that sends platform
    # match requests should wait for "ready"); "not_loaded" if start-up could not load it (the first match does).
    shared = getattr(request.app.state, "shared_matcher", None)
    body = {"status": "ok", "database": "ok", "worker": "unknown",
            "hash_list": shared.status if shared is not None else "not_loaded"}
    try:  # the whole transaction, opening and closing it too, is what is probed: hence the factory
        with uow_factory().reading() as uow:
            figures = jobs.backlog(uow=uow)
            now = uow.now()
    except Exception:  # noqa: BLE001 - backlog's queries failing is what "unreachable" means here
        body.update(status="error", database="unreachable")
        return JSONResponse(body, status_code=503)
    last_seen = figures["last_seen"]
    if last_seen is not None and now - last_seen < timedelta(seconds=30):
        body["worker"] = "ok"
    elif figures["waiting"]:
        body["worker"] = "stalled"  # work is waiting and nobody has shown life for 30 s
    body["jobs_waiting"] = figures["waiting"]
    body["jobs_failed"] = figures["failed"]
    return body
