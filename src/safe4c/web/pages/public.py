"""The child-friendly public portal: home, one page per situation, the report form and the status page.

Server-rendered and complete without JavaScript. The form posts to the same intake service as the public
API. The follow-up code appears in the body of the POST response (again if the same form is sent again, for a day:
services/replay.py): never in a URL, never stored in clear.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from safe4c.cases import child_status
from safe4c.kernel import regions
from safe4c.reports.rules import taxonomy
from safe4c.reports.rules.public_status import STAGES
from safe4c.reports.rules.report import parse_report
from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.errors import FieldError, Invalid, NotFound, RateLimited
from safe4c.reports import intake
from safe4c.reports import replay
from safe4c.web.api.public import advice_for, lookup_status
from safe4c.kernel.uow import UowFactory
from safe4c.web.authorization import Allowed
from safe4c.web.deps import UowFactoryDep
from safe4c.web.i18n import translate
from safe4c.web.ratelimit import rate_check
from safe4c.web.pages.render import render

router = APIRouter(include_in_schema=False)

# Dates a reporter reads are in Western Indonesia Time, the national reference (WIB).
WIB = ZoneInfo("Asia/Jakarta")

LIST_FIELDS = ("situations", "platforms", "urgent_signals")
FORM_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
TEXT_FIELDS = ("story", "platform_other", "when", "province_code", "regency_code", "age_band", "gender",
               "disability", "reporter_role", "contact_method", "contact_value")
# Where the error summary sends the focus for each field (the id of its first control).
FIELD_ANCHORS = {
    "situations": "situations-" + taxonomy.SITUATION_CODES[0],
    "platforms": "platforms-" + taxonomy.PLATFORM_CODES[0],
    "urgent_signals": "urgent_signals-" + taxonomy.URGENT_SIGNAL_CODES[0],
    "when": "when-" + taxonomy.WHEN_CODES[0],
    "age_band": "age_band-" + taxonomy.AGE_BAND_CODES[0],
    "gender": "gender-" + taxonomy.GENDER_CODES[0],
    "disability": "disability-" + taxonomy.DISABILITY_CODES[0],
    "reporter_role": "reporter_role-" + taxonomy.REPORTER_ROLE_CODES[0],
    "contact_method": "contact_method-" + taxonomy.CONTACT_METHOD_CODES[0],
    "consent_services": "consent_services",
}
FIELD_ORDER = ("situations", "urgent_signals", "story", "platforms", "platform_other", "accounts", "when",
               "province_code", "regency_code", "age_band", "gender", "disability", "reporter_role",
               "contact_method", "contact_value", "consent_services")


def page(request: Request, template: str, *, status_code: int = 200, **context) -> HTMLResponse:
    """Render a public page (an explicit ?lang= choice is remembered by web/middleware.py, for every page)."""
    return render(request, template, status_code=status_code, public_page=True, taxonomy=taxonomy, **context)


@router.get("/", response_class=HTMLResponse, dependencies=[Allowed("public.view")])
def home(request: Request):
    return page(request, "public/home.html")


@router.get("/situasi/{code}", response_class=HTMLResponse, dependencies=[Allowed("public.view")])
def situation(request: Request, code: str):
    found = taxonomy.SITUATIONS_BY_CODE.get(code)
    if found is None:
        raise NotFound()
    return page(request, "public/situation.html", situation=found)


@router.get("/lapor", response_class=HTMLResponse, dependencies=[Allowed("public.view")])
def report_form(request: Request, situasi: str | None = None):
    answers = {"situations": [situasi]} if situasi in taxonomy.SITUATIONS_BY_CODE else {}
    return _form(request, answers)


@router.post("/lapor", response_class=HTMLResponse, dependencies=[Allowed("public.report.create")])
async def report_submit(request: Request, uow_factory: UowFactoryDep):
    lang = request.state.lang
    answers = form_answers(await request.form())
    try:
        rate = rate_check(request, "report")
    except RateLimited as exc:
        return _form(request, answers, notice=translate(lang, exc.message), status_code=exc.status)
    try:
        report = parse_report(report_data(answers))
    except Invalid as exc:
        return _form(request, answers, errors=field_errors(lang, exc.fields), status_code=exc.status)
    try:
        receipt = await run_in_threadpool(_submit, uow_factory, report, lang, answers["form_id"], rate)
    except replay.KeyReused:
        # This form was sent before with other answers (Back, a change, Send), or more than a day ago: nothing was
        # stored now. A new form id, so that sending these answers again is a new report, as the notice says.
        answers["form_id"] = None
        return _form(request, answers, notice=translate(lang, FORM_SENT_BEFORE), status_code=409)
    except RateLimited as exc:  # the shared count, in the same transaction as the report: nothing was stored
        return _form(request, answers, notice=translate(lang, exc.message), status_code=exc.status)
    # The same form sent twice (a second tap, Back then Send, a lost answer): the same report and the same code.
    return page(request, "public/thanks.html", code=receipt.followup_code, received=STAGES["received"],
                advice=advice_for(receipt.situations, lang), show_language_switch=False)


FORM_SENT_BEFORE = N_("This form was already sent, and that report is with us. To send these answers as a new "
                      "report, press \"Send report\" again.")


def _submit(uow_factory: UowFactory, report, lang: str, form_id: str | None, rate) -> intake.Receipt:
    with uow_factory() as uow:  # the whole transaction in the one worker-thread trip of the hot path
        return intake.submit_report(uow=uow, report=report, channel="web", language=lang, idempotency_key=form_id,
                                    rate=rate)


def _form(request: Request, answers: dict, *, errors: dict | None = None, notice: str | None = None,
          status_code: int = 200) -> HTMLResponse:
    errors = errors or {}
    summary = [(field, FIELD_ANCHORS.get(field, field), message)
               for field, message in sorted(errors.items(), key=lambda kv: _order(kv[0]))]
    # One id per form shown, kept through error re-renders: sending the same form twice stores one report.
    answers.setdefault("form_id", None)
    answers["form_id"] = answers["form_id"] or secrets.token_urlsafe(16)
    return page(request, "public/report.html", status_code=status_code, answers=answers, errors=errors,
                summary=summary, notice=notice, provinces=regions.provinces(), regencies=regions.regencies,
                situation_options=[(s.code, s.title) for s in taxonomy.SITUATIONS],
                situation_hints={s.code: s.explanation for s in taxonomy.SITUATIONS})


def _order(field: str) -> int:
    return FIELD_ORDER.index(field) if field in FIELD_ORDER else len(FIELD_ORDER)


def form_answers(form: FormData) -> dict:
    """What the person entered, kept as typed so the form can show it again."""
    answers: dict = {}
    for key in LIST_FIELDS:
        answers[key] = [v for v in form.getlist(key) if isinstance(v, str) and v]
    for key in TEXT_FIELDS:
        value = form.get(key)
        answers[key] = value.strip() if isinstance(value, str) else ""
    # Accounts come from a textarea (one per line) and/or several inputs with the same name.
    lines = [line.strip() for v in form.getlist("accounts") if isinstance(v, str) for line in v.splitlines()]
    answers["accounts"] = [line for line in lines if line]
    answers["consent_services"] = form.get("consent_services") not in (None, "")
    form_id = form.get("form_id")
    answers["form_id"] = form_id if isinstance(form_id, str) and FORM_ID.fullmatch(form_id) else None
    return answers


def report_data(answers: dict) -> dict:
    """The dict shape ReportCreate expects: lists for multi-value fields, empty answers left out."""
    data = {key: value for key, value in answers.items() if value not in ("", [], None) and key != "form_id"}
    data["consent_services"] = bool(answers.get("consent_services"))
    data.setdefault("contact_method", "none")
    return data


def field_errors(lang: str, fields: list[FieldError]) -> dict[str, str]:
    return {f.field: translate(lang, f.message, **f.params) for f in fields}


@router.get("/status", response_class=HTMLResponse, dependencies=[Allowed("public.view")])
def status_form(request: Request):
    return page(request, "public/status.html", code="")


@router.post("/status", response_class=HTMLResponse, dependencies=[Allowed("followup.status")])
async def status_lookup(request: Request, uow_factory: UowFactoryDep):
    lang = request.state.lang
    form = await request.form()
    code = form.get("code")
    code = code.strip()[:40] if isinstance(code, str) else ""
    if not code:
        return page(request, "public/status.html", code=code, status_code=422,
                    error=translate(lang, N_("Type your follow-up code.")))
    try:
        found = await run_in_threadpool(lookup_status, uow_factory, code, rate_check(request, "status"))
    except RateLimited as exc:
        return page(request, "public/status.html", code=code, status_code=exc.status,
                    notice=translate(lang, exc.message))
    except NotFound as exc:
        return page(request, "public/status.html", code=code, status_code=exc.status,
                    error=translate(lang, exc.message))
    care = await run_in_threadpool(_care, uow_factory, found.report_id)
    return page(request, "public/status_result.html", stage=found.progress.stage, steps=found.progress.step_texts,
                received=_date(found.received_at, lang), updated=_date(found.updated_at, lang), care=care)


def _care(factory, report_id: int | None) -> child_status.Care | None:
    """Whether someone took the report up in a case, and how they will reach the child (cases/child_status.py)."""
    if report_id is None:
        return None
    with factory().reading() as uow:
        return child_status.care_for_report(uow=uow, report_id=report_id)


def _date(value: datetime, lang: str) -> str:
    return format_date(value.astimezone(WIB).date(), format="long", locale=lang)
