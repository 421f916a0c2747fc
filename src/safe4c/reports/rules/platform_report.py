"""A report from a platform, shaped like an NCMEC CyberTipline report so platforms reuse what they send.

Validated here (pure); ``to_report_create`` maps it onto the shared ``ReportCreate`` so it goes through the
same triage and storage as a report from a child. What only a platform sends (IP capture events, hashes,
e-mails of the reported account...) is kept whole, sealed, in ``platform_reports``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from safe4c.kernel.errors import FieldError, Invalid
from safe4c.reports.rules.report import _EMAIL, _PHONE, MAX_ACCOUNT_CHARS, MAX_ACCOUNTS, ReportCreate, SituationCode
from safe4c.reports.rules.taxonomy import AGE_BAND_CODES, N_, PLATFORM_CODES
from safe4c.kernel.signals import HASH_KINDS, InvalidSignal, get_signal_type, normalise_signal
from safe4c.kernel.validation import JsonDatetime, json_integer, message_for

ANNOTATIONS = (
    "sextortion", "minor_to_minor", "csam_solicitation", "sadistic_online_exploitation", "generative_ai",
    "possible_trafficking", "viral", "spam",
)
# ESP industry classification (Technology Coalition): A = prepubescent, B = pubescent; 1 = sex act, 2 = lascivious.
INDUSTRY_CLASSES = ("A1", "A2", "B1", "B2", "unclassified")
IP_EVENTS = ("login", "registration", "upload", "purchase", "other")

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]  # column size
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000,
                                       pattern=r"^https?://\S+$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=_EMAIL.pattern)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=_PHONE.pattern)]
IpAddress = Annotated[str, StringConstraints(strip_whitespace=True, max_length=45, pattern=r"^[0-9A-Fa-f:.]{2,45}$")]
HASH_ERROR = N_("This is not a {hash_type} hash (hexadecimal, {length} characters).")


def hash_error(hash_type: str) -> tuple[str, dict]:
    """(msgid, params) for a value that is not a ``hash_type`` hash: the same words for reports and orders."""
    return HASH_ERROR, {"hash_type": hash_type, "length": get_signal_type(hash_type).hex_length}


def _hash(hash_type: str):
    """A hash field checked and normalised (lower case) by the signal registry, the one place that knows."""
    def check(value: str) -> str:
        try:
            return normalise_signal(hash_type, value)
        except InvalidSignal:
            message, params = hash_error(hash_type)
            raise PydanticCustomError("safe4c", message, params) from None
    length = get_signal_type(hash_type).hex_length  # the schema says it too (surrounding spaces are also read)
    return Annotated[str, AfterValidator(check),
                     Field(json_schema_extra={"pattern": rf"^\s*[0-9a-fA-F]{{{length}}}\s*$"})]




class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# What _reason checks, in the schema too: a client (or a fuzzer) can tell valid input from the schema alone.
_URGENT_NEEDS_REASON = {"allOf": [{
    "if": {"properties": {"escalate_to_urgent": {"const": True}}, "required": ["escalate_to_urgent"]},
    "then": {"properties": {"escalation_reason": {"type": "string", "pattern": r"\S"}},
             "required": ["escalation_reason"]}}]}


class Incident(_Strict):
    model_config = ConfigDict(json_schema_extra=_URGENT_NEEDS_REASON)

    situation: SituationCode = Field(description="What happened, from the shared taxonomy (e.g. sextortion).")
    time: JsonDatetime = Field(description="When it happened or was detected, with a time zone (ISO 8601).")
    escalate_to_urgent: StrictBool = Field(False, description="The platform believes a child is in imminent danger.")
    escalation_reason: str | None = Field(None, max_length=1000, description="Why, required when escalating.")
    annotations: list[Literal[ANNOTATIONS]] = Field(default_factory=list, max_length=len(ANNOTATIONS))  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _reason(self) -> "Incident":
        if self.escalate_to_urgent and not (self.escalation_reason or "").strip():
            raise ValueError(N_("Say why the report is urgent."))
        return self


class IpCaptureEvent(_Strict):
    ip_address: IpAddress
    event_type: Literal[IP_EVENTS] = "other"  # type: ignore[valid-type]
    at: JsonDatetime


class ReportedAccount(_Strict):
    platform_user_id: Short | None = None
    screen_name: Short | None = None
    display_names: list[Short] = Field(default_factory=list, max_length=10)
    profile_urls: list[Url] = Field(default_factory=list, max_length=10)
    emails: list[Email] = Field(default_factory=list, max_length=10)
    phones: list[Phone] = Field(default_factory=list, max_length=10)
    ip_capture_events: list[IpCaptureEvent] = Field(default_factory=list, max_length=50)


class Victim(_Strict):
    age: Annotated[int, Field(ge=0, le=17), json_integer] | None = Field(None, description="Age in years, when known.")
    estimated_age_band: Literal[AGE_BAND_CODES] | None = None  # type: ignore[valid-type]
    platform_user_id: Short | None = None
    screen_name: Short | None = None


# One optional field per hash kind of the registry (md5, sha1, sha256, pdq): a new kind is accepted here too.
ContentItem = create_model(
    "ContentItem", __base__=_Strict, __module__=__name__,
    url=(Url | None, None),
    **{kind: (_hash(kind) | None, None) for kind in HASH_KINDS},
    file_name=(Short | None, None),
    industry_classification=(Literal[INDUSTRY_CLASSES] | None, None),  # type: ignore[valid-type]
)


class PlatformReportCreate(_Strict):
    """A report from a platform (CyberTipline-shaped). Never the content itself: hashes, URLs, identifiers."""

    external_id: ExternalId | None = Field(None, description="The platform's own id for this report "
                                                             "(at most 100 characters).")
    incident: Incident
    reported_accounts: list[ReportedAccount] = Field(default_factory=list, max_length=20)
    victims: list[Victim] = Field(default_factory=list, max_length=20)
    content: list[ContentItem] = Field(default_factory=list, max_length=100)
    additional_information: str | None = Field(None, max_length=5000)


def age_band(age: int) -> str:
    return "under_10" if age < 10 else "10_12" if age <= 12 else "13_15" if age <= 15 else "16_17"


def youngest_band(victims: list[Victim]) -> str | None:
    bands = [age_band(v.age) if v.age is not None else v.estimated_age_band for v in victims]
    known = [b for b in bands if b and b != "unknown"]
    if known:
        return min(known, key=AGE_BAND_CODES.index)
    return "unknown" if bands and any(bands) else None


def when_code(incident_time: datetime, received_at: datetime) -> str:
    age = received_at - incident_time.astimezone(timezone.utc)
    if age <= timedelta(hours=1):
        return "now"
    if age <= timedelta(days=1):
        return "today"
    if age <= timedelta(days=7):
        return "this_week"
    return "this_month" if age <= timedelta(days=31) else "earlier"


def identifiers(report: PlatformReportCreate) -> list[str]:
    """Accounts an analyst can act on, as the shared report keeps them (at most MAX_ACCOUNTS)."""
    found: list[str] = []
    for account in report.reported_accounts:
        for value in (account.screen_name, *account.profile_urls, *account.emails, *account.phones):
            if value and len(value) <= MAX_ACCOUNT_CHARS and value not in found:
                found.append(value)
    return found[:MAX_ACCOUNTS]


def content_hashes(report: PlatformReportCreate) -> list[dict]:
    out = []
    for item in report.content:
        for kind in HASH_KINDS:
            value = getattr(item, kind)
            if value and {"type": kind, "value": value} not in out:
                out.append({"type": kind, "value": value})
    return out


def to_report_create(report: PlatformReportCreate, *, platform_code: str | None, platform_name: str,
                     received_at: datetime) -> ReportCreate:
    """The shared report, so the platform's report is triaged exactly like a child's.

    Built without validating again (the hot path): every value is valid by construction. The situation, the
    age band and the accounts were validated by ``PlatformReportCreate`` against the same taxonomy and limits;
    the platform code is checked here; ``when`` is one of ``when_code``'s answers. A test pins that the result
    equals ``ReportCreate.model_validate`` of the same values (tests/integration/test_platform_reports.py).
    """
    code = platform_code if platform_code in PLATFORM_CODES and platform_code != "other" else None
    return ReportCreate.model_construct(
        situations=[report.incident.situation],
        story=report.additional_information or None,  # same limit (5000) as a child's story
        platforms=[code or "other"],
        platform_other=None if code else platform_name[:100],
        accounts=identifiers(report),
        when=when_code(report.incident.time, received_at),
        age_band=youngest_band(report.victims),
        contact_method="none",
    )


def parse_platform_report(data: object) -> PlatformReportCreate:
    """Validate or raise ``Invalid`` with one error per field, named by its path (``incident.time``)."""
    try:
        return PlatformReportCreate.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, FieldError] = {}
        for err in exc.errors(include_url=False):
            field = ".".join(str(p) for p in err["loc"]) or "body"
            message, params = message_for(err)
            errors.setdefault(field, FieldError(field, message, params))
        raise Invalid(list(errors.values())) from None
