"""What a report says, validated the same way for the form, the public API and every other channel.

Validation errors become ``Invalid`` with one ``FieldError`` per field; the messages are English msgids.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from safe4c.kernel.errors import FieldError, Invalid
from safe4c.kernel import regions
from safe4c.reports.rules.taxonomy import AGE_BAND_CODES, CONTACT_METHOD_CODES, DISABILITY_CODES, GENDER_CODES, N_, PLATFORM_CODES, REPORTER_ROLE_CODES, SITUATION_CODES, URGENT_SIGNAL_CODES, WHEN_CODES
from safe4c.kernel.validation import message_for

MAX_STORY_CHARS = 5000
MAX_ACCOUNTS = 20
MAX_ACCOUNT_CHARS = 300

SituationCode = Literal[SITUATION_CODES]  # type: ignore[valid-type]
PlatformCode = Literal[PLATFORM_CODES]  # type: ignore[valid-type]
UrgentCode = Literal[URGENT_SIGNAL_CODES]  # type: ignore[valid-type]
Account = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ACCOUNT_CHARS)]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{6,19}$")


def _custom(msgid: str, **params) -> PydanticCustomError:
    return PydanticCustomError("safe4c", msgid, params)


def _schema_rules(schema: dict) -> None:
    """The validators' rules in the JSON schema too, so a client (or a fuzzer) can tell valid input from the
    schema alone: known region codes, and a contact for a contact method. That the regency lies in the
    province stays in words: forty more alternatives are more than schema-driven generators can combine."""
    props = schema["properties"]
    blank = ["", None]
    props["province_code"]["enum"] = [r.code for r in regions.provinces()] + blank
    props["regency_code"]["enum"] = [r.code for r in regions.all_regencies()] + blank
    props["regency_code"]["description"] += " It must lie in province_code when both are given."
    contacts = [{"properties": {"contact_method": {"const": "none"}}}]
    contacts += [{"properties": {"contact_method": {"enum": methods},
                                 "contact_value": {"type": "string", "pattern": pattern}},
                  "required": ["contact_method", "contact_value"]}
                 for methods, pattern in ((["email"], _EMAIL.pattern), (["phone", "whatsapp"], _PHONE.pattern))]
    schema["anyOf"] = contacts


class ReportCreate(BaseModel):
    """A report of online sexual exploitation or abuse of a child. Nothing but text: no files, ever."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_schema_rules)

    situations: list[SituationCode] = Field(min_length=1, max_length=len(SITUATION_CODES),
                                            description="What happened; several allowed.")
    story: str | None = Field(None, max_length=MAX_STORY_CHARS, description="The story in the reporter's own words.")
    platforms: list[PlatformCode] = Field(default_factory=list, max_length=len(PLATFORM_CODES))
    platform_other: str | None = Field(None, max_length=100, description="The app or website when 'other'.")
    accounts: list[Account] = Field(default_factory=list, max_length=MAX_ACCOUNTS,
                                    description="The other person's accounts, usernames, phone numbers or links.")
    when: Literal[WHEN_CODES] | None = None  # type: ignore[valid-type]
    province_code: str | None = Field(None, max_length=2, description="Kemendagri province code, e.g. \"32\".")
    regency_code: str | None = Field(None, max_length=5, description="Kemendagri regency/city code, e.g. \"32.76\".")
    age_band: Literal[AGE_BAND_CODES] | None = None  # type: ignore[valid-type]
    gender: Literal[GENDER_CODES] | None = None  # type: ignore[valid-type]
    disability: Literal[DISABILITY_CODES] | None = None  # type: ignore[valid-type]
    reporter_role: Literal[REPORTER_ROLE_CODES] | None = None  # type: ignore[valid-type]
    urgent_signals: list[UrgentCode] = Field(default_factory=list, max_length=len(URGENT_SIGNAL_CODES))
    contact_method: Literal[CONTACT_METHOD_CODES] = "none"  # type: ignore[valid-type]
    contact_value: str | None = Field(None, max_length=254, description="Phone number or e-mail, unless anonymous.")
    # Strict: JSON true or false only (lax pydantic would read 0, 1 or "yes"; the form sends a real bool).
    consent_services: StrictBool = Field(False, description="The reporter agrees that the report is passed to "
                                                            "services.")

    @field_validator("situations", "platforms", "urgent_signals", "accounts")
    @classmethod
    def _unique(cls, values: list) -> list:
        return list(dict.fromkeys(values))

    @field_validator("story", "platform_other", "contact_value", "province_code", "regency_code")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("province_code")
    @classmethod
    def _province(cls, value: str | None) -> str | None:
        if value is not None and not regions.is_province(value):
            raise _custom(N_("This is not a province code we know."))
        return value

    @field_validator("regency_code")
    @classmethod
    def _regency(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = regions.normalise_code(value)
        if regions.get(code) is None or code.count(".") != 1:
            raise _custom(N_("This is not a regency or city code we know."))
        return code

    @model_validator(mode="after")
    def _consistent(self) -> "ReportCreate":
        if self.regency_code and self.province_code and not regions.regency_in_province(self.regency_code, self.province_code):
            raise _field_error("regency_code", N_("This regency or city is not in the chosen province."))
        if self.regency_code and not self.province_code:
            self.province_code = self.regency_code.split(".")[0]
        if self.contact_method == "none":
            self.contact_value = None
        elif not self.contact_value:
            raise _field_error("contact_value", N_("Tell us how to reach you, or choose to stay anonymous."))
        elif self.contact_method == "email" and not _EMAIL.match(self.contact_value):
            raise _field_error("contact_value", N_("This does not look like an e-mail address."))
        elif self.contact_method in ("phone", "whatsapp") and not _PHONE.match(self.contact_value):
            raise _field_error("contact_value", N_("This does not look like a phone number."))
        return self


class _ModelFieldError(ValueError):
    def __init__(self, field: str, msgid: str):
        super().__init__(msgid)
        self.field, self.msgid = field, msgid


def _field_error(field: str, msgid: str) -> _ModelFieldError:
    return _ModelFieldError(field, msgid)


# The public report is the whole body: "not an object" is said of the report itself.
_OVERRIDES = {"model_type": N_("The report must be a JSON object.")}


def parse_report(data: object) -> ReportCreate:
    """Validate raw input (a dict from JSON or from a form) or raise ``Invalid`` with one error per field."""
    try:
        return ReportCreate.model_validate(data)
    except ValidationError as exc:
        raise Invalid(_field_errors(exc)) from None


def _field_errors(exc: ValidationError) -> list[FieldError]:
    errors: dict[str, FieldError] = {}
    for err in exc.errors(include_url=False):
        ctx = err.get("ctx") or {}
        original = ctx.get("error")
        if isinstance(original, _ModelFieldError):
            field, message, params = original.field, original.msgid, {}
        else:
            loc = [str(p) for p in err["loc"]]
            # "situations.0" and "situations" are one field for the person who fills the form
            field = loc[0] if loc else "body"
            message, params = message_for(err, _OVERRIDES)
        errors.setdefault(field, FieldError(field, message, params))
    return list(errors.values())
