"""What one report and one takedown order count for in the rollups (pure, plain values).

A month is a calendar month in Western Indonesia Time (WIB), as for every figure (``kernel/months.py``). A report
counts once in every dimension; a report naming several situations or platforms counts once for each of them, and
one naming none counts under ``none``. A missing answer counts under ``unknown``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

UNKNOWN, NONE, ALL = "unknown", "none", "all"
# dimension -> the field of ReportFacts it reads ("situation" and "platform" are lists).
DIMENSIONS: dict[str, str] = {
    "total": "", "province": "province", "regency": "regency", "situation": "situations",
    "platform": "platforms", "age": "age_band", "gender": "gender", "disability": "disability",
    "reporter": "reporter", "priority": "priority", "status": "status", "channel": "channel",
}
LIST_DIMENSIONS = ("situation", "platform")
LEVELS = (1, 2, 3)


@dataclass(frozen=True)
class ReportFacts:
    received_at: datetime
    province: str | None = None
    regency: str | None = None
    situations: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    age_band: str | None = None
    gender: str | None = None
    disability: str | None = None
    reporter: str | None = None
    priority: str | None = None
    status: str = "new"
    channel: str = "web"
    deadline_at: datetime | None = None
    first_action_at: datetime | None = None  # the first status change made by staff


@dataclass
class ResponseCell:
    reports: int = 0
    acted: int = 0
    within_deadline: int = 0
    action_seconds: int = 0


@dataclass
class MonthOfReports:
    counts: Counter = field(default_factory=Counter)  # (dim, key) -> reports
    response: dict[str, ResponseCell] = field(default_factory=dict)  # priority or "none" -> cell


def keys_of(facts: ReportFacts, dim: str) -> tuple[str, ...]:
    if dim == "total":
        return (ALL,)
    value = getattr(facts, DIMENSIONS[dim])
    if dim in LIST_DIMENSIONS:
        return tuple(value) or (NONE,)
    return (value or UNKNOWN,)


def add_report(month: MonthOfReports, facts: ReportFacts) -> None:
    for dim in DIMENSIONS:
        for key in keys_of(facts, dim):
            month.counts[(dim, key)] += 1
    cell = month.response.setdefault(facts.priority or NONE, ResponseCell())
    cell.reports += 1
    if facts.first_action_at is not None:
        cell.acted += 1
        cell.action_seconds += max(0, int((facts.first_action_at - facts.received_at).total_seconds()))
        if facts.deadline_at is not None and facts.first_action_at <= facts.deadline_at:
            cell.within_deadline += 1


@dataclass(frozen=True)
class OrderFacts:
    platform_id: int
    issued_at: datetime
    deadline_at: datetime
    status: str
    removed_at: datetime | None = None
    escalation_level: int = 0


@dataclass
class TakedownCell:
    orders: int = 0
    removed: int = 0
    removed_in_time: int = 0
    missed: int = 0
    removal_seconds: int = 0
    levels: list[int] = field(default_factory=lambda: [0, 0, 0])


def missed_deadline(order: OrderFacts) -> bool:
    """Removed after its deadline, or escalated (the deadline passed, docs/takedowns.md) and not removed. An order
    merely open past its deadline counts once the worker escalates it, so the figure does not move with the clock."""
    if order.removed_at is not None:
        return order.removed_at > order.deadline_at
    return order.status != "withdrawn" and order.escalation_level >= 1


def add_order(cells: dict[int, TakedownCell], order: OrderFacts) -> None:
    cell = cells.setdefault(order.platform_id, TakedownCell())
    cell.orders += 1
    if order.removed_at is not None:
        cell.removed += 1
        cell.removal_seconds += max(0, int((order.removed_at - order.issued_at).total_seconds()))
        cell.removed_in_time += order.removed_at <= order.deadline_at
    cell.missed += missed_deadline(order)
    for i, level in enumerate(LEVELS):
        cell.levels[i] += order.escalation_level >= level
