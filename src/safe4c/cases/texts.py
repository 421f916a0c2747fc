"""The free text staff type into a case's forms (reasons, notes): trimmed, required where the form needs it,
and no longer than its limit, each refusal naming the field and saying what to do, in one place."""

from __future__ import annotations

from safe4c.kernel.errors import FieldError, Invalid
from safe4c.kernel.i18n import N_

REASON_MAX = 2000  # a reason: for a referral, a decline, a withdrawal, withheld items
NOTE_MAX = 4000  # a note beside the statement or on a step
TOO_LONG = N_("This is too long (at most {max} characters).")


def problem(value: str | None, *, field: str, max_length: int, required: str | None = None) -> FieldError | None:
    """What is wrong with the text of ``field`` (``required``: the message when it is empty), or None."""
    value = (value or "").strip()
    if not value and required:
        return FieldError(field, required)
    if len(value) > max_length:
        return FieldError(field, TOO_LONG, {"max": max_length})
    return None


def text(value: str | None, *, field: str, max_length: int, required: str | None = None) -> str:
    """The trimmed text of ``field``; Invalid when ``problem`` finds something wrong."""
    found = problem(value, field=field, max_length=max_length, required=required)
    if found is not None:
        raise Invalid([found])
    return (value or "").strip()
