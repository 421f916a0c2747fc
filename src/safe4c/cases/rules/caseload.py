"""The order of a caseload (docs/cases.md "Caseload"): most urgent first.

A case whose first contact is overdue comes first, then one with any other overdue step, then by priority
(P1 first; none last), then by the earliest due date of an open step, then the oldest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from safe4c.kernel.priority import PRIORITIES

FAR = datetime.max


@dataclass(frozen=True)
class Urgency:
    first_contact_overdue: bool
    overdue_steps: int
    priority: str | None
    next_due: datetime | None
    opened_at: datetime


def urgency_key(u: Urgency) -> tuple:
    rank = PRIORITIES.index(u.priority) if u.priority in PRIORITIES else len(PRIORITIES)
    next_due = u.next_due.replace(tzinfo=None) if u.next_due else FAR
    return (not u.first_contact_overdue, u.overdue_steps == 0, rank, next_due, u.opened_at.replace(tzinfo=None))
