"""Find the one report a staff member names by its id or its short id (rules/refs.py says what may be given).

Refusals are field errors in the person's language: not an id, no such report, or a short id that more than one
report starts with (then more characters, or the whole id, tell them apart).
"""

from __future__ import annotations

from sqlalchemy import select

from safe4c.db.tables import Report
from safe4c.kernel.errors import FieldError, Invalid
from safe4c.kernel.uow import UnitOfWork
from safe4c.reports.rules.refs import AMBIGUOUS, NOT_A_REF, SHORT_LENGTH, UNKNOWN, parse_report_ref


def resolve_report(uow: UnitOfWork, text: str, *, field: str = "report_id") -> int:
    """The row id of the report ``text`` names; ``Invalid`` with one error on ``field`` otherwise."""
    ref = parse_report_ref(text)
    if ref is None:
        raise Invalid([FieldError(field, NOT_A_REF, {"length": SHORT_LENGTH})])
    if ref.whole:
        found = list(uow.session.scalars(select(Report.id).where(Report.public_id == ref.text)))
    else:
        # The prefix is hexadecimal and hyphens only (parse_report_ref): nothing LIKE would read as a wildcard.
        found = list(uow.session.scalars(select(Report.id).where(Report.public_id.like(ref.text + "%")).limit(2)))
    if not found:
        raise Invalid([FieldError(field, UNKNOWN)])
    if len(found) > 1:
        raise Invalid([FieldError(field, AMBIGUOUS, {"ref": ref.text})])
    return found[0]
