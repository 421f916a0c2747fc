"""What a person reads when input fails validation: pydantic's error types mapped to English msgids.

Shared by every validated input (public reports, platform reports), so one wording is translated once.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

from safe4c.kernel.text import N_

_DATETIME = N_("Give a date and time with a time zone, e.g. 2026-01-05T08:00:00+07:00.")
MESSAGES = {
    "missing": N_("This is required."),
    "extra_forbidden": N_("This field is not allowed."),
    "literal_error": N_("This choice is not one of the allowed options."),
    "string_too_long": N_("This is too long (at most {max_length} characters)."),
    "string_too_short": N_("This cannot be empty."),
    "string_pattern_mismatch": N_("This does not have the expected format."),
    "too_long": N_("Too many items (at most {max_length})."),
    "too_short": N_("Choose at least {min_length}."),
    "list_type": N_("This must be a list."),
    "string_type": N_("This must be text."),
    "bool_type": N_("This must be true or false."),
    "bool_parsing": N_("This must be true or false."),
    "int_type": N_("This must be a whole number."),
    "int_parsing": N_("This must be a whole number."),
    "less_than_equal": N_("This must be at most {le}."),
    "greater_than_equal": N_("This must be at least {ge}."),
    "timezone_aware": _DATETIME,
    "datetime_type": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "model_type": N_("This must be a JSON object."),
    "model_attributes_type": N_("This must be a JSON object."),
}
FALLBACK = N_("This value is not valid.")
_PARAMS = re.compile(r"\{(\w+)\}")


def message_for(err: dict, overrides: dict[str, str] | None = None) -> tuple[str, dict]:
    """The msgid and its parameters for one pydantic error (an item of ``ValidationError.errors()``)."""
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind == "safe4c":  # PydanticCustomError from our own checks: the msgid is the message
        message = err["msg"]
    elif kind == "value_error":  # ValueError raised by our own validators with a msgid
        message = str(ctx["error"]) if "error" in ctx else FALLBACK
    else:
        message = (overrides or {}).get(kind) or MESSAGES.get(kind, FALLBACK)
    params = {k: v for k, v in ctx.items() if isinstance(v, (int, str))}
    if set(_PARAMS.findall(message)) - set(params):  # never show a placeholder we cannot fill
        message = FALLBACK
    return message, params


# --- rules every input shares (web/inputs.py applies them to every request) -----------------------------

# PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded as UTF-8 for either database.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_TEXT = N_("This contains a character we cannot accept (a NUL character or a broken Unicode "
                     "character). Remove it and try again.")
# The largest id either database stores: PostgreSQL BIGINT; SQLite's INTEGER is 64-bit too.
MAX_ID = 2**63 - 1


def storable(text: str) -> bool:
    """False for text a database cannot store as it is (see ``_UNSTORABLE``)."""
    return _UNSTORABLE.search(text) is None


def parse_id(text: str | None) -> int | None:
    """A row id typed in a form or a query string: ASCII digits from 1 to ``MAX_ID``; anything else is None.

    ``str.isdigit`` is not enough: it accepts "²" (which ``int`` refuses) and numbers no database column holds.
    """
    if not text or not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


# --- JSON types as the schema says them (pydantic alone would also read true, 0, "12" or 1700000000) ----------

def _json_integer(value: object) -> object:
    if isinstance(value, (bool, str)):
        raise PydanticCustomError("int_type", MESSAGES["int_type"])
    return value


def _json_datetime(value: object) -> object:
    if not isinstance(value, (str, datetime)):
        raise PydanticCustomError("datetime_type", MESSAGES["datetime_type"])
    return value


json_integer = BeforeValidator(_json_integer)  # after any Field(ge=...), or the schema loses those bounds
JsonDatetime = Annotated[AwareDatetime, BeforeValidator(_json_datetime)]
