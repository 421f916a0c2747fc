"""The takedown order's lifecycle as a table: for each status and action, what happens (pure, no I/O).

``TABLE[status][action]`` is one of:

- a ``Move``: the new status, the event and audit action to write, the timestamps to set, whether the
  platform hears of it by webhook, whether a new deadline is counted and whether the next escalation step
  is scheduled;
- ``NOTHING``: the action was done already (a repeat answers as the first time did, nothing is written);
- a ``Refuse``: the action is not allowed from this status; its message is the ``Conflict`` the caller sees;
- ``When(test, then, otherwise)``: the answer depends on a fact of the order besides its status (was it
  acknowledged, was a dispute already upheld).

``decide(order, action)`` reads the table and returns the ``Move`` or None, or raises ``Conflict``;
``takedowns/orders.py`` applies a move to the row (status, timestamps, event, audit, webhook, next step).
To add a status: one row in ``TABLE`` (an answer for every action), the status in ``OPEN_STATUSES`` or
``CLOSED_STATUSES``, and in ``deadlines.ESCALATING_STATUSES`` if it waits on the platform; then a case in
tests/unit/test_lifecycle.py. The escalation ladder's timing is ``deadlines.py``; ``escalation`` below
combines both for the worker's step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence, Union

from safe4c.kernel.errors import Conflict
from safe4c.reports.rules.taxonomy import N_
from safe4c.takedowns.rules import deadlines

# Actions: the platform's (acknowledge, remove, dispute), staff's (uphold, withdraw) and the worker's (escalate).
ACKNOWLEDGE, REMOVE, DISPUTE, UPHOLD, WITHDRAW, ESCALATE = (
    "acknowledge", "remove", "dispute", "uphold", "withdraw", "escalate")
ACTIONS = (ACKNOWLEDGE, REMOVE, DISPUTE, UPHOLD, WITHDRAW, ESCALATE)
KEEP = None  # a Move's ``to`` that leaves the status as it is


@dataclass(frozen=True)
class Order:
    """The facts of an order the rules look at."""

    status: str
    acknowledged: bool = False  # acknowledged_at is set
    dispute_outcome: str | None = None  # "upheld" or "withdrawn" once staff decided a dispute


@dataclass(frozen=True)
class Move:
    to: str | None  # the new status; KEEP leaves it
    event: str  # takedown_events.kind
    audit: str  # audit action
    stamps: tuple[str, ...] = ()  # timestamp columns set to now (acknowledged_at only once: the first stands)
    webhook: str | None = None  # the webhook event type the platform receives, if any
    outcome: str | None = None  # dispute_outcome to record
    new_deadline: bool = False  # count a new deadline from now
    schedule: bool = False  # schedule the next escalation step
    seal_reason: bool = False  # the platform's dispute reason is kept, sealed


@dataclass(frozen=True)
class Refuse:
    message: str  # English msgid of the Conflict


@dataclass(frozen=True)
class When:
    test: Callable[[Order], bool]
    then: "Rule"
    otherwise: "Rule"


class _Nothing:
    def __repr__(self) -> str:
        return "NOTHING"


NOTHING = _Nothing()
Rule = Union[Move, Refuse, When, _Nothing]

CLOSED = Refuse(N_("This order is closed: nothing more can be done on it."))
ALREADY_DECIDED = Refuse(N_("A dispute of this order was already decided: the order stands."))
ONLY_DISPUTED = Refuse(N_("Only a disputed order can be upheld."))


def _acknowledged(order: Order) -> bool:
    return order.acknowledged


def _upheld_before(order: Order) -> bool:
    return order.dispute_outcome == "upheld"


ISSUE = Move("issued", "issued", "takedown.issue", webhook="takedown.issued", schedule=True)
_ACKNOWLEDGE = Move("acknowledged", "acknowledged", "takedown.acknowledge", stamps=("acknowledged_at",))
_REMOVE = Move("removed", "removed", "takedown.removed", stamps=("acknowledged_at", "removed_at", "closed_at"))
_DISPUTE = When(_upheld_before, ALREADY_DECIDED,
                Move("disputed", "disputed", "takedown.dispute", stamps=("disputed_at",), seal_reason=True))
_WITHDRAW = Move("withdrawn", "withdrawn", "takedown.withdraw", stamps=("closed_at",), webhook="takedown.withdrawn")
_ESCALATE = Move(KEEP, "escalated", "takedown.escalate", stamps=("escalated_at",), webhook="takedown.escalated",
                 schedule=True)
_UPHOLD = dict(event="dispute_upheld", audit="takedown.uphold", webhook="takedown.upheld", outcome="upheld",
               new_deadline=True, schedule=True)

TABLE: dict[str, dict[str, Rule]] = {
    "issued": {
        ACKNOWLEDGE: When(_acknowledged, NOTHING, _ACKNOWLEDGE), REMOVE: _REMOVE, DISPUTE: _DISPUTE, UPHOLD: ONLY_DISPUTED,
        WITHDRAW: _WITHDRAW, ESCALATE: _ESCALATE,
    },
    "acknowledged": {
        ACKNOWLEDGE: NOTHING, REMOVE: _REMOVE, DISPUTE: _DISPUTE, UPHOLD: ONLY_DISPUTED,
        WITHDRAW: _WITHDRAW, ESCALATE: _ESCALATE,
    },
    "disputed": {  # waits on staff: no escalation; upholding goes back to where it was, with a new deadline
        ACKNOWLEDGE: When(_acknowledged, NOTHING, Move(KEEP, "acknowledged", "takedown.acknowledge",
                                                       stamps=("acknowledged_at",))),
        REMOVE: _REMOVE, DISPUTE: NOTHING,
        UPHOLD: When(_acknowledged, Move("acknowledged", **_UPHOLD), Move("issued", **_UPHOLD)),
        WITHDRAW: Move("withdrawn", "withdrawn", "takedown.withdraw", stamps=("closed_at",),
                       webhook="takedown.withdrawn", outcome="withdrawn"),
        ESCALATE: NOTHING,
    },
    "removed": {  # final; removing acknowledged it
        ACKNOWLEDGE: NOTHING, REMOVE: NOTHING, DISPUTE: CLOSED, UPHOLD: ONLY_DISPUTED, WITHDRAW: CLOSED,
        ESCALATE: NOTHING,
    },
    "withdrawn": {  # final
        ACKNOWLEDGE: When(_acknowledged, NOTHING, CLOSED), REMOVE: CLOSED, DISPUTE: CLOSED, UPHOLD: ONLY_DISPUTED,
        WITHDRAW: CLOSED, ESCALATE: NOTHING,
    },
}
STATUSES = tuple(TABLE)
OPEN_STATUSES = ("issued", "acknowledged", "disputed")
CLOSED_STATUSES = ("removed", "withdrawn")


def rule(order: Order, action: str) -> Move | Refuse | _Nothing:
    """The table's answer for this order, its ``When`` conditions resolved."""
    found = TABLE[order.status][action]
    while isinstance(found, When):
        found = found.then if found.test(order) else found.otherwise
    return found


def decide(order: Order, action: str) -> Move | None:
    """What ``action`` does to ``order``: a Move to apply, None when there is nothing to do, or ``Conflict``."""
    found = rule(order, action)
    if isinstance(found, Refuse):
        raise Conflict(found.message)
    return found if isinstance(found, Move) else None


@dataclass(frozen=True)
class Escalation:
    result: str  # "skipped", "rescheduled" (the deadline moved: try again at ``due``) or "escalated"
    move: Move | None = None
    step: deadlines.Step | None = None
    due: datetime | None = None


def escalation(order: Order, *, current_level: int, level: int, deadline_at: datetime, now: datetime,
               intervals: Sequence[float]) -> Escalation:
    """The worker's job for step ``level``: take it if it is due and the order still waits on the platform.
    Skipped when the order is closed or paused by a dispute (upholding re-schedules), the step was taken
    already, or the job is stale (the chain from the current level is scheduled)."""
    move = decide(order, ESCALATE)
    if move is None or current_level >= level or level != current_level + 1:
        return Escalation("skipped")
    due = deadlines.step_due_at(deadline_at, level, intervals=intervals)
    if now < due:
        return Escalation("rescheduled", due=due)
    return Escalation("escalated", move, deadlines.STEPS_BY_LEVEL[level], due)
