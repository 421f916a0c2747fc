"""Takedown deadlines, the escalation ladder, webhook signatures and the retry schedule: pure, with plain values."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from safe4c.kernel.settings import Settings
from safe4c.takedowns.rules import deadlines, signing as webhooks
from safe4c.reports.rules.platform_report import Victim, age_band, parse_platform_report, when_code, youngest_band
from safe4c.kernel.errors import Invalid

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
HOURS = {"urgent": 4, "standard": 24}
LADDER = [0, 24, 24]


def test_deadlines_come_from_configuration():
    assert deadlines.order_deadline(T0, urgent=True, hours=HOURS) == T0 + timedelta(hours=4)
    assert deadlines.order_deadline(T0, urgent=False, hours=HOURS) == T0 + timedelta(hours=24)
    assert deadlines.order_deadline(T0, urgent=True, hours={"urgent": 1.5, "standard": 12}) == T0 + timedelta(minutes=90)
    assert deadlines.preservation_until(T0, days=90) == T0 + timedelta(days=90)
    defaults = Settings()
    assert defaults.takedown_deadline_hours == HOURS and defaults.takedown_escalation_hours == LADDER


def test_every_escalation_step_is_due_at_its_configured_time():
    deadline = T0 + timedelta(hours=4)
    assert [deadlines.step_due_at(deadline, n, intervals=LADDER) for n in (1, 2, 3)] == [
        deadline, deadline + timedelta(hours=24), deadline + timedelta(hours=48)]
    assert deadlines.step_due_at(deadline, 2, intervals=[1, 2, 3]) == deadline + timedelta(hours=3)
    with pytest.raises(ValueError):
        deadlines.step_due_at(deadline, 4, intervals=LADDER)


def test_the_ladder_is_kepmen_522_and_ends_at_warning_3():
    assert [s.code for s in deadlines.LADDER] == ["warning_1", "warning_2", "warning_3"]
    assert "fine" in deadlines.STEPS_BY_LEVEL[2].title and "blocking" in deadlines.STEPS_BY_LEVEL[3].title
    step, due = deadlines.next_step(T0, 0, intervals=LADDER)
    assert step.level == 1 and due == T0
    assert deadlines.next_step(T0, 3, intervals=LADDER) is None
    assert deadlines.is_overdue(T0, T0 + timedelta(seconds=1)) and not deadlines.is_overdue(T0, T0)


def test_only_an_order_waiting_on_the_platform_is_overdue():
    late = T0 + timedelta(seconds=1)
    assert deadlines.ESCALATING_STATUSES == ("issued", "acknowledged")
    for status in deadlines.ESCALATING_STATUSES:
        assert deadlines.is_overdue(T0, late, status=status) and not deadlines.is_overdue(T0, T0, status=status)
    for status in ("disputed", "removed", "withdrawn"):
        assert not deadlines.is_overdue(T0, late, status=status)


def test_signature_round_trip_and_refusals():
    body = b'{"id":"e1","type":"takedown.issued"}'
    header = webhooks.sign("whsec_x", 1767600000, body)
    assert header.startswith("t=1767600000,v1=") and len(header.split("v1=")[1]) == 64
    assert webhooks.verify(header, body, "whsec_x", now=1767600000 + 10)
    assert not webhooks.verify(header, body + b" ", "whsec_x", now=1767600000)  # body changed
    assert not webhooks.verify(header, body, "whsec_y", now=1767600000)  # wrong secret
    assert not webhooks.verify(header, body, "whsec_x", now=1767600000 + 301)  # replayed later
    assert not webhooks.verify("v1=abc", body, "whsec_x", now=1767600000)
    assert not webhooks.verify("", body, "whsec_x", now=1767600000)
    rotated = f"{header},v1={'0' * 64}"
    assert webhooks.verify(rotated, body, "whsec_x", now=1767600000)


def test_retry_schedule_repeats_its_last_wait_and_covers_an_hour_down():
    schedule = Settings().webhook_retry_seconds
    waits = [webhooks.retry_delay(n, schedule=schedule).total_seconds() for n in range(1, 15)]
    assert waits[:3] == [10, 30, 60] and waits[-1] == 3600
    assert sum(waits[:9]) > 3600  # attempts keep coming through the first hour and beyond
    assert webhooks.should_give_up(T0, T0 + timedelta(hours=72), give_up_hours=72)
    assert not webhooks.should_give_up(T0, T0 + timedelta(hours=71), give_up_hours=72)


def test_platform_report_mapping_helpers():
    assert [age_band(a) for a in (4, 11, 14, 17)] == ["under_10", "10_12", "13_15", "16_17"]
    assert youngest_band([Victim(age=15), Victim(estimated_age_band="10_12")]) == "10_12"
    assert youngest_band([Victim(estimated_age_band="unknown")]) == "unknown"
    assert youngest_band([]) is None
    assert when_code(T0 - timedelta(minutes=30), T0) == "now"
    assert when_code(T0 - timedelta(days=3), T0) == "this_week"
    assert when_code(T0 - timedelta(days=90), T0) == "earlier"


def test_platform_report_errors_name_the_nested_field():
    with pytest.raises(Invalid) as exc:
        parse_platform_report({"incident": {"situation": "grooming", "time": "2026-01-05T08:00:00Z"},
                               "content": [{"sha256": "zz"}]})
    assert [f.field for f in exc.value.fields] == ["content.0.sha256"]
    with pytest.raises(Invalid) as exc:
        parse_platform_report([1, 2])
    assert exc.value.fields[0].field == "body"
