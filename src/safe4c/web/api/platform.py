"""The platform API: reports in (CyberTipline-shaped), takedown orders out, compliance figures.

Every route needs ``Authorization: Bearer <key>``; a platform sees only its own reports and orders (another
platform's order is 404). Guide for platform engineers: docs/platform-api.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from safe4c.reports.rules.platform_report import PlatformReportCreate, parse_platform_report
from safe4c.takedowns import compliance, orders as takedowns
from safe4c.takedowns.rules import lifecycle
from safe4c.reports import intake_async, platform_intake, platform_readback
from safe4c.kernel import months
from safe4c.kernel.clock import rfc3339
from safe4c.kernel.signals import HASH_KINDS
from safe4c.access.platforms import PlatformPrincipal
from safe4c.kernel.uow import UowFactory
from safe4c.web.authorization import Allowed, PlatformKey
from safe4c.web.deps import ReadingUowDep, UowDep, UowFactoryDep
from safe4c.web.inputs import ApiRoute
from safe4c.web.openapi import json_body
from safe4c.web.api.public import read_json

router = APIRouter(prefix="/api/v1", tags=["platform"], route_class=ApiRoute)

UNAUTHORIZED = {401: {"description": "Missing, unknown or revoked API key"}}
ERRORS = {**UNAUTHORIZED,
          404: {"description": "No such order for this platform"},
          422: {"description": "One error per field, in the requested language"}}
REPORT_ERRORS = {**UNAUTHORIZED, 404: {"description": "No such report among those this platform sent (another "
                                                     "platform's report is not found either)"}}


class PlatformReportReceipt(BaseModel):
    id: str = Field(description="safe4c's id for the report.")
    received_at: datetime
    status: str = Field(description="Always \"received\": the report is stored and triaged.")


class OrderRef(BaseModel):
    id: str
    status: Literal[lifecycle.STATUSES]  # type: ignore[valid-type]


class PlatformReportPublic(BaseModel):
    id: str = Field(description="safe4c's id for the report (the receipt's id).")
    external_id: str | None = Field(description="Your own reference, as you sent it.")
    idempotency_key: str | None
    received_at: datetime
    status: Literal["new", "in_review", "actioned", "closed"] = Field(
        description="new (waiting to be read), in_review, actioned (acted on) or closed.")
    takedown_orders: list[OrderRef] = Field(description="The orders issued to your platform from this report.")
    received: PlatformReportCreate = Field(description="What we received: your report after parsing.")


class PlatformReportsPage(BaseModel):
    items: list[PlatformReportPublic] = Field(description="Your reports with this external_id, oldest first "
                                                          "(none: an empty list).")


class OwnReport(BaseModel):
    id: str = Field(description="safe4c's id for your report (GET /api/v1/reports/{id}).")
    external_id: str | None = Field(description="Your own reference for it, as you sent it.")


class TakedownTarget(BaseModel):
    type: Literal[takedowns.TARGET_TYPES]  # type: ignore[name-defined]
    value: str
    hash_type: Literal[HASH_KINDS] | None = None  # type: ignore[valid-type]


class Escalation(BaseModel):
    level: int = Field(description="0 none; 1 warning 1; 2 warning 2 (fine commitment); 3 warning 3 "
                                   "(access blocking recommended). Kepmen 522/2024.")
    step: str | None = None
    escalated_at: datetime | None = None
    next_step_due_at: datetime | None = None


class OrderEvent(BaseModel):
    at: datetime
    kind: str = Field(description="issued, delivered, acknowledged, removed, disputed, dispute_upheld, withdrawn, "
                                  "escalated")
    level: int | None = None
    step: str | None = None


class Takedown(BaseModel):
    id: str
    status: Literal[lifecycle.STATUSES]  # type: ignore[valid-type] - the lifecycle table is the one list
    report: OwnReport | None = Field(description="The report your platform sent that this order arose from; "
                                                 "null when it arose from another source.")
    target: TakedownTarget
    category: Literal[takedowns.CATEGORIES]  # type: ignore[valid-type]
    legal_basis: str
    urgent: bool
    issued_at: datetime
    deadline_at: datetime
    preserve_until: datetime = Field(description="Keep the evidence of what you remove until then.")
    acknowledged_at: datetime | None = None
    removed_at: datetime | None = None
    disputed_at: datetime | None = None
    dispute_outcome: str | None = None
    escalation: Escalation
    events: list[OrderEvent] | None = None


class TakedownsPage(BaseModel):
    items: list[Takedown]
    next: str | None = Field(description="Pass as ?after= to get the next page; null on the last page.")


class DisputeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=takedowns.MAX_REASON,
                        description="Why the order should not stand (e.g. the content is not on our service).")


class ComplianceMonth(BaseModel):
    month: str
    platform: str
    received: int
    acknowledged: int
    removed: int
    removed_within_deadline: int
    share_within_deadline: float | None
    median_hours: float | None
    p90_hours: float | None
    overdue_now: int
    escalation_level: int
    disputes: int
    withdrawn: int


@router.post(
    "/reports", status_code=201, response_model=PlatformReportReceipt,
    summary="Submit a report (CyberTipline-shaped; hashes and URLs, never content)",
    openapi_extra=json_body(PlatformReportCreate),
    responses={200: {"description": "Replay: the Idempotency-Key was seen with the same body; the first report",
                     "model": PlatformReportReceipt},
               409: {"description": "The Idempotency-Key was used with a different body"},
               413: {"description": "Body larger than SAFE4C_MAX_BODY_BYTES"}, **ERRORS},
)
async def submit_report(request: Request, uow_factory: UowFactoryDep,
                        key: Annotated[PlatformKey, Allowed("platform.report.create", in_transaction=True)],
                        idempotency_key: Annotated[str | None, Header(
                            alias="Idempotency-Key",
                            description="Your unique id for this report (1-200 characters); retries with the same "
                                        "key and body never create a duplicate.",
                            # checked by services/platforms.py after the key, so documented here only
                            json_schema_extra={"minLength": 1, "maxLength": 200, "pattern": r"\S"})] = None):
    data = await read_json(request)
    receipt = None
    fast = request.app.state.async_uow_factory
    # PostgreSQL, with a key this process checked moments ago: the report's transaction on the event loop
    # (kernel/async_uow.py, reports/intake_async.py), no trip to a worker thread.
    platform = key.authorize_remembered() if fast is not None and fast.ready else None
    if platform is not None:
        report = parse_platform_report(data)
        async with fast() as uow:
            receipt = await intake_async.submit_platform_report(uow=uow, platform=platform, report=report,
                                                                idempotency_key=idempotency_key,
                                                                language=request.state.lang)
    if receipt is None:  # else one trip to a worker thread, one transaction for the key check and the report
        receipt = await run_in_threadpool(_submit, request, uow_factory, key, data, idempotency_key)
    return JSONResponse({"id": receipt.report_id, "received_at": rfc3339(receipt.received_at),
                         "status": "received"}, status_code=201 if receipt.created else 200)


def _submit(request: Request, uow_factory: UowFactory, key: PlatformKey, data: object, idempotency_key: str | None):
    with uow_factory() as uow:
        platform = key.authorize(uow)
        report = parse_platform_report(data)
        return platform_intake.submit_platform_report(uow=uow, platform=platform, report=report,
                                                idempotency_key=idempotency_key, language=request.state.lang)


@router.get("/reports/{report_id}", response_model=PlatformReportPublic, responses=REPORT_ERRORS,
            summary="Read back a report you sent, by our id: what we received, its status, the orders from it")
def get_report(report_id: Annotated[str, Path(max_length=36)], uow: UowDep,
               platform: Annotated[PlatformPrincipal, Allowed("platform.report.view")]):
    return platform_readback.report_by_id(uow=uow, platform_id=platform.id, public_id=report_id)


@router.get("/reports", response_model=PlatformReportsPage, responses=UNAUTHORIZED,
            summary="Read back the reports you sent with your own reference (external_id)")
def find_reports(uow: UowDep, platform: Annotated[PlatformPrincipal, Allowed("platform.report.view")],
                 external_id: Annotated[str, Query(min_length=1, max_length=100,
                                                   description="Your own reference, as sent in external_id.")]):
    return {"items": platform_readback.reports_by_external_id(uow=uow, platform_id=platform.id,
                                                              external_id=external_id)}


@router.get("/takedowns", response_model=TakedownsPage, responses=ERRORS,
            summary="Your takedown orders, oldest first (status=open for those that need action)")
def list_takedowns(uow: ReadingUowDep, platform: Annotated[PlatformPrincipal, Allowed("platform.takedown.view")],
                   status: Annotated[Literal[takedowns.STATUS_FILTERS] | None, Query()] = None,  # type: ignore[valid-type]
                   after: Annotated[str | None, Query(max_length=36, description="The next value of the previous "
                                                      "page: the id of its last order.")] = None,
                   limit: Annotated[int, Query(ge=1, le=100)] = 50):
    items, nxt = takedowns.list_for_platform(uow=uow, platform_id=platform.id, status=status, after=after,
                                             limit=limit)
    return {"items": items, "next": nxt}


@router.get("/takedowns/{order_id}", response_model=Takedown, responses=ERRORS,
            summary="One order with its history (every step timestamped, escalations included)")
def get_takedown(order_id: str, uow: ReadingUowDep,
                 platform: Annotated[PlatformPrincipal, Allowed("platform.takedown.view")]):
    return takedowns.get_for_platform(uow=uow, platform_id=platform.id, public_id=order_id)


@router.post("/takedowns/{order_id}/acknowledge", response_model=Takedown,
             responses={409: {"description": "The order is closed"}, **ERRORS},
             summary="You have received the order and are acting on it")
def acknowledge(order_id: str, uow: UowDep,
                platform: Annotated[PlatformPrincipal, Allowed("platform.takedown.respond")]):
    return takedowns.acknowledge(uow=uow, platform_id=platform.id, public_id=order_id)


@router.post("/takedowns/{order_id}/removed", response_model=Takedown,
             responses={409: {"description": "The order was withdrawn"}, **ERRORS},
             summary="The content is removed (keep the evidence until preserve_until)")
def removed(order_id: str, uow: UowDep,
            platform: Annotated[PlatformPrincipal, Allowed("platform.takedown.respond")]):
    return takedowns.mark_removed(uow=uow, platform_id=platform.id, public_id=order_id)


@router.post("/takedowns/{order_id}/dispute", response_model=Takedown,
             responses={409: {"description": "The order is closed or a dispute was already decided"}, **ERRORS},
             summary="Dispute the order with a reason; staff uphold or withdraw it (no escalation meanwhile)")
def dispute(order_id: str, body: DisputeCreate, uow: UowDep,
            platform: Annotated[PlatformPrincipal, Allowed("platform.takedown.respond")]):
    return takedowns.dispute(uow=uow, platform_id=platform.id, public_id=order_id, reason=body.reason)


@router.get("/compliance", response_model=list[ComplianceMonth], responses=ERRORS,
            summary="Your compliance figures for one month (WIB), as the regulator sees them")
def own_compliance(uow: ReadingUowDep, platform: Annotated[PlatformPrincipal, Allowed("platform.compliance.view")],
                   month: Annotated[str | None, Query(pattern=months.MONTH_PATTERN, description="YYYY-MM")] = None):
    m = months.parse_month(month, now=uow.now())
    rows = compliance.monthly(uow=uow, month=m, platform_id=platform.id)
    return [{k: v for k, v in r.__dict__.items() if k != "platform_id"} for r in rows]


def install(app: FastAPI) -> None:
    """Include the router (its report body is published under components by web/openapi.py). The webhook's
    settings, tests and the webhooks' own description are web/api/platform_webhook.py."""
    app.include_router(router)
