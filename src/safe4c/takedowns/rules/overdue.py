"""Overdue now, per platform: every order still waiting on its platform past its deadline, whatever month it
was issued in, with the escalation step each has reached (Kepmen 522/2024). Plain values in, plain values out.

The regulator reads this apart from a month's figures: a month shows what happened to the orders issued in
it, while a platform that ignores orders piles them up across months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from safe4c.takedowns.rules.deadlines import MAX_LEVEL, is_overdue


@dataclass(frozen=True)
class OpenOrder:
    platform_id: int
    status: str
    urgent: bool
    deadline_at: datetime
    escalation_level: int


@dataclass(frozen=True)
class PlatformOverdue:
    platform_id: int
    platform: str
    overdue: int
    urgent: int
    by_level: tuple[int, ...]  # how many at each step: index 0 = not warned yet, 1..MAX_LEVEL = warning n
    highest_level: int
    oldest_deadline: datetime


def overdue_by_platform(orders: Iterable[OpenOrder], *, now: datetime,
                        names: Mapping[int, str]) -> list[PlatformOverdue]:
    """One row per platform with at least one overdue order: the highest step first, then the most overdue."""
    grouped: dict[int, list[OpenOrder]] = {}
    for o in orders:
        if is_overdue(o.deadline_at, now, status=o.status):
            grouped.setdefault(o.platform_id, []).append(o)
    rows = []
    for platform_id, late in grouped.items():
        levels = [min(max(o.escalation_level, 0), MAX_LEVEL) for o in late]
        rows.append(PlatformOverdue(
            platform_id=platform_id, platform=names.get(platform_id, "?"), overdue=len(late),
            urgent=sum(1 for o in late if o.urgent),
            by_level=tuple(levels.count(level) for level in range(MAX_LEVEL + 1)),
            highest_level=max(levels), oldest_deadline=min(o.deadline_at for o in late)))
    return sorted(rows, key=lambda r: (-r.highest_level, -r.overdue, r.platform))
