"""The public intake API: the same report the form takes, for every channel (apps, chatbots, partners)."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from safe4c.reports.rules.report import ReportCreate, parse_report
from safe4c.reports.rules import taxonomy
from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.errors import FieldError, Invalid, NotFound
from safe4c.reports import intake, intake_async, public_status
from safe4c.web.authorization import Allowed
from safe4c.kernel.uow import UowFactory
from safe4c.web.deps import LangDep, UowFactoryDep, get_lang
from safe4c.web.i18n import translate
from safe4c.web.inputs import ApiRoute, RequestOnlyRoute, parse_json
from safe4c.web.openapi import json_body
from safe4c.web.ratelimit import rate_check

router = APIRouter(prefix="/api/v1/public", tags=["public"], route_class=ApiRoute)

# Keys are unique across every client of this anonymous API (services/replay.py): long enough to be random.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{16,200}")
_KEY_TEXT = ("A random id for this report (16-200 letters, digits, - _ . :; a UUID is best). Retry with the same key "
             "after a timeout: the report is stored once and the answer is the same receipt, with the same follow-up "
             "code, for 24 hours.")
IDEMPOTENCY_HEADER = {"name": "Idempotency-Key", "in": "header", "required": False, "description": _KEY_TEXT,
                      "schema": {"type": "string", "title": "Idempotency-Key", "description": _KEY_TEXT,
                                 "pattern": f"^{IDEMPOTENCY_KEY.pattern}$"}}
BAD_KEY = N_("The Idempotency-Key header must have 16 to 200 letters, digits or - _ . : (a random UUID is best).")


class ReportReceipt(BaseModel):
    id: str = Field(description="The report's id.")
    followup_code: str = Field(description="The reporter keeps it to check the status later. Shown again only to a "
                                           "retry with the same Idempotency-Key and report, within 24 hours.")
    status: str
    advice: list[str] = Field(description="Safety advice matched to what was reported, in the requested language.")


class StatusQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=40, description="The follow-up code, e.g. ABCD-EFGH-JKMN-PQRS.")


class ReportStatus(BaseModel):
    status: str = Field(description="new, in_review, actioned or closed.")
    status_text: str = Field(description="What has happened to the report, in plain words, in the requested "
                                         "language (it follows the stage, not only the status).")
    stage: str = Field(description="received, in_review, takedown_requested, content_removed, passed_on, "
                                   "action_taken, help_arranged, closed_after_action, closed_not_actionable "
                                   "or closed.")
    steps: list[str] = Field(description="What has happened so far, in order, in plain words in the requested "
                                         "language.")
    received_at: datetime
    updated_at: datetime


async def read_json(request: Request, *, stored: bool = True) -> object:
    return parse_json(await request.body(), stored=stored)


def advice_for(situations, lang: str) -> list[str]:
    return [translate(lang, msgid) for msgid in taxonomy.advice_for(situations)]


async def submit(request: Request) -> ReportReceipt:
    # The busiest route takes only the request (RequestOnlyRoute): its language, its factories and its header are
    # read here; the header is described for /openapi.json by IDEMPOTENCY_HEADER.
    lang = get_lang(request)
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise Invalid([FieldError("Idempotency-Key", BAD_KEY)])
    rate = rate_check(request, "report")
    report = parse_report(await read_json(request))
    receipt = None
    fast = request.app.state.async_uow_factory
    if fast is not None and fast.ready:  # PostgreSQL: the transaction on the event loop (kernel/async_uow.py)
        async with fast() as uow:
            receipt = await intake_async.submit_report(uow=uow, report=report, channel="api", language=lang,
                                                       idempotency_key=idempotency_key, rate=rate)
    if receipt is None:  # SQLite, or a replay the fast path left to the reference path
        receipt = await run_in_threadpool(_submit, request.app.state.uow_factory, report, lang, idempotency_key,
                                          rate)
    # Built by hand (the schema above documents it): re-validating our own output costs time on the hot path.
    return JSONResponse({"id": receipt.report_id, "followup_code": receipt.followup_code, "status": "new",
                         "advice": advice_for(receipt.situations, lang)}, status_code=200 if receipt.replayed else 201)


# The busiest route: served without FastAPI's dependency solving (web/inputs.py, RequestOnlyRoute).
router.add_api_route(
    "/reports", submit, methods=["POST"], route_class_override=RequestOnlyRoute, status_code=201,
    response_model=ReportReceipt, dependencies=[Allowed("public.report.create")],
    summary="Submit a report (anonymous allowed; text only, never files)",
    openapi_extra={**json_body(ReportCreate), "parameters": [IDEMPOTENCY_HEADER]},
    responses={200: {"description": "Replay: this Idempotency-Key was seen with the same report; its first receipt, "
                                    "with the same follow-up code", "model": ReportReceipt},
               413: {"description": "Body larger than SAFE4C_MAX_BODY_BYTES (64 KiB by default)"},
               422: {"description": "One error per field, in the requested language; also an Idempotency-Key "
                                    "used for a different report, or more than 24 hours ago"},
               429: {"description": "Too many reports from this address in a minute (shared by every server)"}},
)


def _submit(uow_factory: UowFactory, report: ReportCreate, lang: str, key: str | None, rate) -> intake.Receipt:
    with uow_factory() as uow:
        return intake.submit_report(uow=uow, report=report, channel="api", language=lang, idempotency_key=key,
                                    rate=rate)


def lookup_status(factory: UowFactory, code: str, rate) -> public_status.PublicStatus:
    """Read only; a code that finds nothing is then counted against the sender's limit (guessing): two
    transactions, the second one only then, hence the factory."""
    try:
        with factory().reading() as uow:
            return public_status.status_for_code(uow=uow, code=code, rate=rate)
    except NotFound:
        if rate is not None:
            with factory() as uow:
                public_status.count_missed_lookup(uow=uow, rate=rate)
        raise


@router.post("/reports/status", response_model=ReportStatus, dependencies=[Allowed("followup.status")],
             summary="See a report's progress with its follow-up code (sent in the body, never in the URL)",
             responses={404: {"description": "No report has this follow-up code"},
                        429: {"description": "Too many codes that found nothing from this address in a minute"}})
def status(query: StatusQuery, request: Request, lang: LangDep, uow_factory: UowFactoryDep) -> ReportStatus:
    found = lookup_status(uow_factory, query.code, rate_check(request, "status"))
    stage = found.progress.stage
    return ReportStatus(status=found.status, status_text=translate(lang, stage.text), stage=stage.code,
                        steps=[translate(lang, text) for text in found.progress.step_texts],
                        received_at=found.received_at, updated_at=found.updated_at)
