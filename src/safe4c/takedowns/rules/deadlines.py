"""Takedown deadlines and the escalation ladder, from configuration and an injected time (no I/O).

- Permenkominfo 5/2020: a platform removes content within 24 hours of an order; urgent orders (child sexual
  abuse material, terrorism) within 4 hours. The hours are settings (``SAFE4C_TAKEDOWN_DEADLINE_HOURS``).
- Kepmen 522/2024: a missed deadline escalates step by step: warning 1, warning 2 (commitment to pay a
  fine), warning 3 with a recommendation to block access. ``SAFE4C_TAKEDOWN_ESCALATION_HOURS`` says when:
  hours from the missed deadline to warning 1, then from each warning to the next.

Each step's due time is computed from the deadline, never from when the previous step happened to run, so a
worker that was down catches up one step at a time and every step keeps its own timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Sequence

from safe4c.reports.rules.taxonomy import N_

# An order in these states is waiting on the platform: it can be overdue and it escalates. A disputed order
# waits on staff (paused); removed and withdrawn orders are closed.
ESCALATING_STATUSES = ("issued", "acknowledged")


@dataclass(frozen=True)
class Step:
    level: int
    code: str
    title: str  # English msgid
    consequence: str  # English msgid


LADDER: tuple[Step, ...] = (
    Step(1, "warning_1", N_("Warning 1"), N_("First written warning: the deadline was missed.")),
    Step(2, "warning_2", N_("Warning 2: fine commitment"),
         N_("Second warning: the platform must commit to paying an administrative fine.")),
    Step(3, "warning_3", N_("Warning 3: access blocking recommended"),
         N_("Third warning: blocking access to the platform is recommended.")),
)
MAX_LEVEL = len(LADDER)
STEPS_BY_LEVEL = {s.level: s for s in LADDER}


def order_deadline(issued_at: datetime, *, urgent: bool, hours: Mapping[str, float]) -> datetime:
    """When the content must be gone: issued time plus the configured hours for the urgency."""
    return issued_at + timedelta(hours=float(hours["urgent" if urgent else "standard"]))


def preservation_until(issued_at: datetime, *, days: int) -> datetime:
    """How long the platform keeps the evidence of what it removes."""
    return issued_at + timedelta(days=days)


def step_due_at(deadline_at: datetime, level: int, *, intervals: Sequence[float]) -> datetime:
    """When step ``level`` (1..MAX_LEVEL) is due: the deadline plus the intervals up to that step."""
    if not 1 <= level <= MAX_LEVEL:
        raise ValueError(f"no escalation step {level}")
    if len(intervals) < MAX_LEVEL:
        raise ValueError(f"the escalation ladder needs {MAX_LEVEL} intervals")
    return deadline_at + timedelta(hours=float(sum(intervals[:level])))


def next_step(deadline_at: datetime, level: int, *, intervals: Sequence[float]) -> tuple[Step, datetime] | None:
    """The step after ``level`` and when it is due; None at the top of the ladder."""
    if level >= MAX_LEVEL:
        return None
    step = STEPS_BY_LEVEL[level + 1]
    return step, step_due_at(deadline_at, step.level, intervals=intervals)


def is_overdue(deadline_at: datetime, now: datetime, *, status: str | None = None) -> bool:
    """Past its deadline and, given a ``status``, still waiting on the platform (ESCALATING_STATUSES)."""
    return (status is None or status in ESCALATING_STATUSES) and now > deadline_at
