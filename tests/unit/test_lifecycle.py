"""The takedown lifecycle table (takedowns/rules/lifecycle.py): every status and action, and an order's target
from an identifier (rules/targets.py), with plain values."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from safe4c.kernel.errors import Conflict
from safe4c.takedowns.rules import deadlines, lifecycle
from safe4c.takedowns.rules.lifecycle import Order
from safe4c.takedowns.rules.targets import Target, order_target

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
LADDER = [0, 24, 24]
CLOSED = "This order is closed: nothing more can be done on it."
DECIDED = "A dispute of this order was already decided: the order stands."
ONLY_DISPUTED = "Only a disputed order can be upheld."

# (order, action) -> the new status (None: the status stays), "nothing", or the Conflict's message.
# Written out by hand from docs/takedowns.md, not derived from the table.
EXPECTED = [
    (Order("issued"), "acknowledge", "acknowledged"),
    (Order("issued"), "remove", "removed"),
    (Order("issued"), "dispute", "disputed"),
    (Order("issued", dispute_outcome="upheld"), "dispute", DECIDED),
    (Order("issued"), "uphold", ONLY_DISPUTED),
    (Order("issued"), "withdraw", "withdrawn"),
    (Order("issued"), "escalate", None),
    (Order("acknowledged", True), "acknowledge", "nothing"),
    (Order("acknowledged", True), "remove", "removed"),
    (Order("acknowledged", True), "dispute", "disputed"),
    (Order("acknowledged", True, "upheld"), "dispute", DECIDED),
    (Order("acknowledged", True), "uphold", ONLY_DISPUTED),
    (Order("acknowledged", True), "withdraw", "withdrawn"),
    (Order("acknowledged", True), "escalate", None),
    (Order("disputed"), "acknowledge", None),  # acknowledged while disputed: still disputed
    (Order("disputed", True), "acknowledge", "nothing"),
    (Order("disputed"), "remove", "removed"),
    (Order("disputed"), "dispute", "nothing"),
    (Order("disputed"), "uphold", "issued"),
    (Order("disputed", True), "uphold", "acknowledged"),
    (Order("disputed"), "withdraw", "withdrawn"),
    (Order("disputed"), "escalate", "nothing"),  # paused: waits on staff
    (Order("removed", True), "acknowledge", "nothing"),
    (Order("removed", True), "remove", "nothing"),
    (Order("removed", True), "dispute", CLOSED),
    (Order("removed", True), "uphold", ONLY_DISPUTED),
    (Order("removed", True), "withdraw", CLOSED),
    (Order("removed", True), "escalate", "nothing"),
    (Order("withdrawn"), "acknowledge", CLOSED),
    (Order("withdrawn", True), "acknowledge", "nothing"),
    (Order("withdrawn"), "remove", CLOSED),
    (Order("withdrawn"), "dispute", CLOSED),
    (Order("withdrawn"), "uphold", ONLY_DISPUTED),
    (Order("withdrawn"), "withdraw", CLOSED),
    (Order("withdrawn"), "escalate", "nothing"),
]


@pytest.mark.parametrize("order,action,expected", EXPECTED, ids=lambda v: str(v) if isinstance(v, str) else None)
def test_every_status_and_action(order, action, expected):
    if expected in (CLOSED, DECIDED, ONLY_DISPUTED):
        with pytest.raises(Conflict) as refused:
            lifecycle.decide(order, action)
        assert refused.value.message == expected
    elif expected == "nothing":
        assert lifecycle.decide(order, action) is None
    else:
        move = lifecycle.decide(order, action)
        assert move is not None and move.to == expected


def test_the_expectations_cover_every_status_and_action():
    covered = {(order.status, action) for order, action, _ in EXPECTED}
    assert covered == {(s, a) for s in lifecycle.STATUSES for a in lifecycle.ACTIONS}
    assert set(lifecycle.STATUSES) == set(lifecycle.OPEN_STATUSES) | set(lifecycle.CLOSED_STATUSES)
    assert not set(lifecycle.OPEN_STATUSES) & set(lifecycle.CLOSED_STATUSES)


def test_closed_statuses_have_no_moves_and_escalation_follows_the_deadline_rules():
    for status in lifecycle.CLOSED_STATUSES:
        for action in lifecycle.ACTIONS:
            for facts in (Order(status), Order(status, True)):
                assert not isinstance(lifecycle.rule(facts, action), lifecycle.Move)
    escalating = {s for s in lifecycle.STATUSES if lifecycle.decide(Order(s, s != "issued"), "escalate")}
    assert escalating == set(deadlines.ESCALATING_STATUSES)


def test_what_each_move_writes():
    removed = lifecycle.decide(Order("issued"), "remove")
    assert (removed.event, removed.audit, removed.webhook, removed.schedule) == (
        "removed", "takedown.removed", None, False)
    assert set(removed.stamps) == {"acknowledged_at", "removed_at", "closed_at"}
    upheld = lifecycle.decide(Order("disputed"), "uphold")
    assert (upheld.event, upheld.webhook, upheld.outcome, upheld.new_deadline, upheld.schedule) == (
        "dispute_upheld", "takedown.upheld", "upheld", True, True)
    assert lifecycle.decide(Order("disputed"), "withdraw").outcome == "withdrawn"
    assert lifecycle.decide(Order("issued"), "withdraw").outcome is None
    disputed = lifecycle.decide(Order("issued"), "dispute")
    assert disputed.seal_reason and disputed.webhook is None and not disputed.schedule
    assert lifecycle.ISSUE.to == "issued" and lifecycle.ISSUE.webhook == "takedown.issued" and lifecycle.ISSUE.schedule
    escalated = lifecycle.decide(Order("acknowledged", True), "escalate")
    assert escalated.to is lifecycle.KEEP and escalated.webhook == "takedown.escalated" and escalated.schedule


def _escalation(status="issued", *, current=0, level=1, now=T0 + timedelta(hours=5)):
    return lifecycle.escalation(Order(status), current_level=current, level=level,
                                deadline_at=T0 + timedelta(hours=4), now=now, intervals=LADDER)


def test_escalation_takes_the_next_step_when_it_is_due():
    plan = _escalation()
    assert plan.result == "escalated" and plan.step.code == "warning_1" and plan.due == T0 + timedelta(hours=4)
    second = _escalation(current=1, level=2, now=T0 + timedelta(hours=28))
    assert second.result == "escalated" and second.step.level == 2


def test_escalation_waits_for_a_deadline_that_moved():
    plan = _escalation(now=T0 + timedelta(hours=3))
    assert plan.result == "rescheduled" and plan.due == T0 + timedelta(hours=4) and plan.move is None


@pytest.mark.parametrize("status,current,level", [
    ("disputed", 0, 1), ("removed", 0, 1), ("withdrawn", 0, 1),  # paused or closed
    ("issued", 1, 1),  # done already
    ("issued", 0, 2),  # a stale job: the chain from level 0 is scheduled
])
def test_escalation_skips(status, current, level):
    assert _escalation(status, current=current, level=level).result == "skipped"


def test_an_order_target_from_an_identifier():
    assert order_target("sha256", "ab" * 32) == Target("hash", "ab" * 32, "sha256", None)
    assert order_target("url", "https://tiktok.com/@x/video/1") == Target("url", "https://tiktok.com/@x/video/1",
                                                                         None, "tiktok")
    assert order_target("url", "https://example.org/a").platform is None
    assert order_target("tg_invite", "AbC") == Target("url", "https://t.me/+AbC", None, "telegram")
    assert order_target("wa_invite", "K1") == Target("url", "https://chat.whatsapp.com/K1", None, "whatsapp")
    assert order_target("handle", "someone", "instagram") == Target("account", "someone", None, "instagram")
