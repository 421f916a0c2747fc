"""How urgent a network is, and which of its reports a network raises or lowers.

A network (cluster) is urgent when it holds a report that is P1 for a reason of its own, or confirmed material
(a ``match.known_material`` reason, an analyst's ``confirm_material`` decision, or a hash or link in an enabled
confirmed bank). Then every open report of it is raised to P1 with the reason ``link.urgent_cluster``; when a
cut leaves a part no longer urgent, the reports it raised are triaged again on their own facts.

Plain values in (priorities, reasons as stored, statuses), decisions out; the queries that find the decisions
and listed material are the use cases' (``networks/urgency.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from safe4c.kernel.priority import PRIORITIES
from safe4c.reports.rules.triage import KNOWN_MATERIAL, LINKED_TO_URGENT

REASON_CODE = LINKED_TO_URGENT  # the reason a network raises its reports for


@dataclass(frozen=True)
class Source:
    """What one report brings to its network's urgency."""

    own_p1: bool  # P1 for a reason of its own
    material: bool  # confirmed material (a hash-list match)


@dataclass(frozen=True)
class Urgency:
    p1_reports: tuple[int, ...]
    confirmed_material: bool

    @property
    def urgent(self) -> bool:
        return bool(self.p1_reports or self.confirmed_material)

    def as_dict(self) -> dict:
        return {"p1_reports": list(self.p1_reports), "confirmed_material": self.confirmed_material,
                "urgent": self.urgent}


def own_priority(priority: str | None, reasons) -> str | None:
    """The priority a report has on its own facts: its reasons without the network's raise, read as triage
    does (the most urgent reason, then one level up for vulnerability, the ``+1`` reasons). A P1 reached by
    a vulnerability raise (sextortion of an 11-year-old: P2, +1) is a P1 of its own. Without stored reasons
    the priority stands as it is (nothing says a network raised it)."""
    reasons = [r for r in reasons or () if isinstance(r, dict)]
    if not reasons:
        return priority
    own = [r for r in reasons if r.get("code") != REASON_CODE]
    levels = [r.get("priority") for r in own if r.get("priority") in PRIORITIES]
    if not levels:
        return None
    best = min(levels, key=PRIORITIES.index)
    if best != "P1" and any(r.get("priority") == "+1" for r in own):
        best = PRIORITIES[PRIORITIES.index(best) - 1]
    return best


def source(priority: str | None, reasons) -> Source:
    """A report that is P1 only because of its network does not make the network urgent: otherwise a cut link
    could never calm a network down."""
    own_p1 = priority == "P1" and own_priority(priority, reasons) == "P1"
    return Source(own_p1, any(isinstance(r, dict) and r.get("code") == KNOWN_MATERIAL for r in reasons or ()))


def makes_urgent(priority: str | None, reasons) -> bool:
    """Would this report alone make its network urgent (listed material aside)?"""
    found = source(priority, reasons)
    return found.own_p1 or found.material


def of_reports(members: Iterable[tuple[int, str | None, object]], *, material_elsewhere: bool = False) -> Urgency:
    """A network's urgency from its reports ``(id, priority, reasons)``; ``material_elsewhere``: confirmed
    material found beside the reasons (a decision, a listed hash or link)."""
    p1, material = [], material_elsewhere
    for rid, priority, reasons in members:
        found = source(priority, reasons)
        if found.own_p1:
            p1.append(rid)
        material = material or found.material
    return Urgency(tuple(p1), material)


def needs_raise(priority: str | None, reasons) -> bool:
    """An open report of an urgent network is raised unless it is P1 already or was raised by a network."""
    return not (priority == "P1" or any(r.get("code") == REASON_CODE for r in reasons or ()))


def to_raise(urgency: Urgency, reports: Iterable[tuple[int, str, str | None, object]]) -> list[int]:
    """The reports ``(id, status, priority, reasons)`` an urgent network raises: its open ones that need it."""
    if not urgency.urgent:
        return []
    return [rid for rid, status, priority, reasons in reports if status != "closed" and needs_raise(priority, reasons)]


def to_lower(urgency: Urgency, reports: Iterable[tuple[int, str, object]]) -> list[int]:
    """The reports ``(id, status, reasons)`` a network that is no longer urgent lowers: its open ones it raised."""
    if urgency.urgent:
        return []
    return [rid for rid, status, reasons in reports
            if status != "closed" and any(r.get("code") == REASON_CODE for r in reasons or ())]
