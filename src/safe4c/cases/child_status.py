"""What the child's follow-up status page says about a case opened from their report (docs/cases.md,
*The child's status page*): that someone is taking care of it, and how they will be contacted, only if they
gave a way. Plain codes out, never a name, an agency, a case id or anything about another report; the words
are in ``web/templates/public/_care.html`` (id + en, written for a 13-year-old). Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass

from safe4c.cases import cases
from safe4c.kernel.uow import UnitOfWork
from safe4c.reports.rules.taxonomy import CONTACT_METHOD_CODES

# How the child may be reached: the report form's contact methods but "none" (taxonomy.CONTACT_METHODS).
CONTACT_WAYS = tuple(code for code in CONTACT_METHOD_CODES if code != "none")


@dataclass(frozen=True)
class Care:
    state: str  # "caring": a case is open; "done": the case is closed
    contact: str | None  # how they will be contacted (a CONTACT_WAYS code), None when they gave no way


def care_for_report(*, uow: UnitOfWork, report_id: int) -> Care | None:
    """None when no case was opened from this report (the page then says nothing about cases)."""
    case = cases.case_for_report(uow, report_id)
    if case is None:
        return None
    # The case's own record of how the child may be reached (copied from the report when the case was opened,
    # changed if the child asked): "none" means they gave no way, or asked not to be contacted.
    method = case.contact_method if case.contact_method in CONTACT_WAYS else None
    return Care("done" if case.closed_at is not None else "caring", method)
