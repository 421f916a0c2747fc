"""The frame of every staff page: ``page()`` (layout, CSRF token, ``can``, labels, times in WIB), the staff error
page, form errors, and the analysts' labels for codes. The pages themselves follow the areas: access.py (sign in,
users), reports.py (the queue and a report), takedowns.py, hashlist.py, clusters.py, workspace.py.

Handlers parse the form, call a use case and render. Everything works without JavaScript. Each route declares
its action with ``Allowed`` (web/authorization.py, the policy in access/rules/policy.py); auditing lives in the
use cases.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse

from safe4c.reports.rules.taxonomy import N_, PLATFORMS, STATUSES
from safe4c.kernel.errors import AppError, Invalid
from safe4c.access import accounts
from safe4c.web import auth
from safe4c.web.authorization import can
from safe4c.web.i18n import translate
from safe4c.web.pages.render import render

# Hotline staff work on Western Indonesia Time, the national reference.
WIB = ZoneInfo("Asia/Jakarta")

# The analysts' vocabulary: short professional labels, not the child-facing wording of the public pages.
LABELS: dict[str, dict[str, str]] = {
    "situation": {
        "grooming": N_("Grooming"),
        "sextortion": N_("Sextortion"),
        "image_sharing": N_("Images shared without consent"),
        "unwanted_content": N_("Unwanted sexual content"),
        "gaming": N_("Exploitation in online games"),
        "live_streaming": N_("Live-streamed abuse"),
        "trafficking": N_("Trafficking or \"open BO\" offers"),
        "abuse_material": N_("Child sexual abuse material"),
        "other": N_("Other concern"),
    },
    "platform": {**dict(PLATFORMS), "other": N_("Other platform")},
    "status": dict(STATUSES),
    "urgent": {
        "danger_now": N_("Child in danger now"),
        "meeting_planned": N_("Meeting planned"),
        "threat_deadline": N_("Threat with a deadline"),
        "live_now": N_("Live stream or call now"),
        "self_harm": N_("Risk of self-harm"),
    },
    "when": {
        "now": N_("Happening now"), "today": N_("Today"), "this_week": N_("This week"),
        "this_month": N_("This month"), "earlier": N_("Earlier"),
    },
    "age": {"under_10": N_("Under 10"), "10_12": "10–12", "13_15": "13–15", "16_17": "16–17",
            "unknown": N_("Unknown")},
    "gender": {"girl": N_("Girl"), "boy": N_("Boy"), "prefer_not": N_("Not stated")},
    "disability": {"yes": N_("Yes"), "no": N_("No"), "unknown": N_("Unknown")},
    "reporter": {
        "child": N_("The child"), "parent": N_("Parent or guardian"), "teacher": N_("Teacher or school staff"),
        "other_adult": N_("Another adult"), "other_child": N_("A friend or another child"),
    },
    "contact": {"none": N_("Anonymous"), "phone": N_("Phone call"), "whatsapp": "WhatsApp", "email": N_("E-mail")},
    "channel": {"web": N_("Web form"), "api": N_("Public API"), "platform": N_("Platform")},
    "event": {"created": N_("Report received"), "triaged": N_("Triaged"), "status": N_("Status changed"),
              "linked": N_("Linked to a network"), "matched": N_("Matched known material"), "raised": N_("Priority raised: linked to an urgent network")},
    "role": accounts.ROLE_LABELS,
    "language": {"id": "Bahasa Indonesia", "en": "English"},
}


def label(kind: str, code: str | None) -> str:
    """The msgid for a code (translated in the template); unknown codes show as they are."""
    if code is None:
        return ""
    return LABELS.get(kind, {}).get(code, code)


def when(value: datetime | None) -> str:
    return value.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB") if value else ""


def page(request: Request, template: str, *, status_code: int = 200, staff=None, **context) -> HTMLResponse:
    lang = request.state.lang

    def errtext(message: str, params: dict | None = None) -> str:
        """Error messages (errors.py, FieldError) use {name} placeholders, unlike template strings."""
        return translate(lang, message, **(params or {}))

    return render(request, template, status_code=status_code, public_page=False, staff=staff,
                  csrf=auth.csrf_token(request, getattr(request.state, "session_token", None)),
                  can=lambda action: can(staff, action), label=label, when=when, errtext=errtext, **context)


def error_page(request: Request, exc: AppError) -> HTMLResponse:
    return page(request, "staff/error.html", status_code=exc.status, staff=getattr(request.state, "staff", None),
                message=exc.message, params=exc.params)


def field_errors(exc: Invalid) -> dict[str, tuple[str, dict]]:
    return {f.field: (f.message, f.params) for f in exc.fields}
