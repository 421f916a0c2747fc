"""Escalation after intake: the raise to P1 for something learnt later, and its undo.

A hash-list match (``match.known_material``) or an urgent network (``link.urgent_cluster``) can make a stored
report urgent hours after it arrived. These functions say what its triage columns become; the use case
(``reports/escalation.py``) writes them, with a report event, into the caller's transaction.

The one deadline rule: the first action is due at the earlier of the deadline the report already had and the
P1 time from *now*. The analyst still gets the P1 time to act on what was learnt late, and a deadline that was
already earlier stays.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Mapping

from safe4c.reports.rules.triage import KNOWN_MATERIAL, LINKED_TO_URGENT, Reason, TriageFacts, p1_reason, triage

# The fact that stands for each reason a report can be raised for after intake.
RAISE_FACTS = {KNOWN_MATERIAL: "known_material", LINKED_TO_URGENT: "linked_to_urgent"}


@dataclass(frozen=True)
class Retriage:
    """A report's new triage columns: priority, reasons (as stored: dicts) and first-action deadline.
    ``triaged_at`` is set when the change is also a triage on the report's facts, else None."""

    priority: str
    reasons: tuple[dict, ...]
    deadline_at: datetime
    triaged_at: datetime | None = None


def stored(reason: Reason) -> dict:
    """A reason as ``reports.triage_reasons`` holds it."""
    return {"code": reason.code, "text": reason.text, "priority": reason.priority}


def has_reason(reasons, code: str) -> bool:
    return any(r.get("code") == code for r in reasons or ())


def raise_to_p1(*, reason_code: str, priority: str | None, reasons, deadline_at: datetime | None,
                received_at: datetime, now: datetime, deadline_minutes: Mapping[str, int],
                facts: TriageFacts | None = None) -> Retriage | None:
    """The raise of a stored report for ``reason_code`` (a key of ``RAISE_FACTS``); None when the report has
    this reason already. A report not triaged yet (``priority`` None) is triaged now on ``facts`` (all of them:
    a platform's escalation included) plus the new one; ``facts`` is needed only then."""
    if has_reason(reasons, reason_code):
        return None
    first_action = now + timedelta(minutes=deadline_minutes["P1"])
    if priority is None:
        if facts is None:
            raise ValueError("an untriaged report is raised on its facts")
        current = triage(facts, received_at=received_at, deadline_minutes=deadline_minutes).deadline_at
        result = triage(replace(facts, **{RAISE_FACTS[reason_code]: True}), received_at=received_at,
                        deadline_minutes=deadline_minutes)
        return Retriage(result.priority, tuple(stored(r) for r in result.reasons), min(current, first_action),
                        triaged_at=now)
    return Retriage("P1", (stored(p1_reason(reason_code)), *(reasons or ())),
                    min(deadline_at, first_action) if deadline_at else first_action)


def lower(*, dropped_code: str, reasons, facts: TriageFacts, received_at: datetime, now: datetime,
          deadline_minutes: Mapping[str, int]) -> Retriage | None:
    """Undo a raise: without the reason ``dropped_code`` the report is triaged again on its own facts (priority,
    reasons and deadline as at intake). None when it does not have the reason."""
    if not has_reason(reasons, dropped_code):
        return None
    result = triage(facts, received_at=received_at, deadline_minutes=deadline_minutes)
    return Retriage(result.priority, tuple(stored(r) for r in result.reasons), result.deadline_at, triaged_at=now)


def triaged(facts: TriageFacts, *, received_at: datetime, now: datetime,
            deadline_minutes: Mapping[str, int]) -> Retriage:
    """A report's triage columns from its facts (at intake, or later by the ``report.triage`` job)."""
    result = triage(facts, received_at=received_at, deadline_minutes=deadline_minutes)
    return Retriage(result.priority, tuple(stored(r) for r in result.reasons), result.deadline_at, triaged_at=now)
