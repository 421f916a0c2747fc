"""GET /healthz: is the database reachable, and is a worker keeping up?"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from safe4c.kernel import jobs
from safe4c.web.authorization import Allowed
from safe4c.web.deps import UowFactoryDep

router = APIRouter()


@router.get("/healthz", tags=["operations"], summary="Database and worker health",
            dependencies=[Allowed("health.view")])
def healthz(uow_factory: UowFactoryDep):
    body = {"status": "ok", "database": "ok", "worker": "unknown"}
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
