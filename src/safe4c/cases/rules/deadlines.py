"""Due dates of a case's steps (docs/cases.md "Deadlines"), from settings and an injected clock.

The first contact with the child is due within ``case_first_contact_hours`` of the case being opened, by
priority: 24 hours for a P1 report by default, as police temporary protection under UU TPKS Art. 42 is due
within 1 x 24 hours. Other steps are due ``case_step_days`` after the step opens. A case without a priority
(none triaged yet) gets the strictest deadline, P1's: a child is never made to wait by a missing triage.

A deadline is met when the step is done at or before it, and missed (overdue) only once the clock is past it:
``is_met`` and ``is_overdue`` are the one comparison the caseload, the case figures and the statistics use.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Mapping

from safe4c.kernel.priority import PRIORITIES

STRICTEST = PRIORITIES[0]


def first_contact_due(opened_at: datetime, priority: str | None, hours: Mapping[str, float]) -> datetime:
    return opened_at + timedelta(hours=hours[priority if priority in hours else STRICTEST])


def step_due(opened_at: datetime, kind: str, days: Mapping[str, float]) -> datetime | None:
    """A step's due date, or None for a kind without a deadline (a service follows its referral's own)."""
    return opened_at + timedelta(days=days[kind]) if kind in days else None


def is_met(due_at: datetime | None, done_at: datetime | None) -> bool:
    """Done by its deadline: at the due moment itself still counts."""
    return due_at is not None and done_at is not None and done_at <= due_at


def is_overdue(due_at: datetime | None, done_at: datetime | None, now: datetime) -> bool:
    """Not done and past its deadline (at the due moment it can still be met)."""
    return done_at is None and due_at is not None and now > due_at
