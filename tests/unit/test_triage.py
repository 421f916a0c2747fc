"""Triage rules: every priority says why, and deadlines come from configuration."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from safe4c.reports.rules.taxonomy import SITUATION_CODES, URGENT_SIGNAL_CODES
from safe4c.reports.rules.triage import SITUATION_RULES, URGENT_SIGNAL_REASONS, TriageFacts, triage

AT = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
DEADLINES = {"P1": 60, "P2": 240, "P3": 1440, "P4": 4320}


def run(**facts):
    facts.setdefault("situations", ("grooming",))
    facts.setdefault("has_identifiers", True)
    return triage(TriageFacts(**facts), received_at=AT, deadline_minutes=DEADLINES)


@pytest.mark.parametrize("signal", URGENT_SIGNAL_CODES)
def test_every_urgent_signal_makes_p1_with_its_reason(signal):
    result = run(situations=("other",), urgent_signals=(signal,))
    assert result.priority == "P1"
    assert f"urgent.{signal}" in result.reason_codes()
    assert result.deadline_at == AT + timedelta(minutes=60)


def test_every_situation_and_signal_has_a_rule():
    assert set(SITUATION_RULES) == set(SITUATION_CODES)
    assert set(URGENT_SIGNAL_REASONS) == set(URGENT_SIGNAL_CODES)


@pytest.mark.parametrize("situation, priority", [
    ("sextortion", "P2"), ("live_streaming", "P2"), ("trafficking", "P2"), ("abuse_material", "P2"),
    ("grooming", "P3"), ("gaming", "P3"), ("image_sharing", "P3"), ("unwanted_content", "P3"), ("other", "P4"),
])
def test_situation_priorities(situation, priority):
    result = run(situations=(situation,))
    assert result.priority == priority
    assert result.reason_codes()[0] == f"situation.{situation}"
    assert result.deadline_at == AT + timedelta(minutes=DEADLINES[priority])


def test_most_urgent_situation_wins_and_all_reasons_are_kept():
    result = run(situations=("grooming", "sextortion"))
    assert result.priority == "P2"
    assert result.reason_codes() == ["situation.sextortion", "situation.grooming"]


def test_young_child_raises_one_level_with_reason():
    assert run(situations=("grooming",), age_band="10_12").priority == "P2"
    assert "vulnerable.young_child" in run(situations=("grooming",), age_band="under_10").reason_codes()
    assert run(situations=("grooming",), age_band="13_15").priority == "P3"


def test_vulnerabilities_raise_once_and_never_past_p1():
    result = run(situations=("other",), age_band="under_10", disability="yes")
    assert result.priority == "P3"  # P4 raised once, though two reasons apply
    assert {"vulnerable.young_child", "vulnerable.disability"} <= set(result.reason_codes())
    assert run(situations=("other",), urgent_signals=("danger_now",), disability="yes").priority == "P1"


def test_known_material_and_urgent_links_make_p1():
    assert run(situations=("other",), known_material=True).priority == "P1"
    assert "link.urgent_cluster" in run(situations=("other",), linked_to_urgent=True).reason_codes()


def test_nothing_to_act_on_is_said():
    result = run(situations=("unwanted_content",), has_identifiers=False)
    assert "info.no_identifiers" in result.reason_codes()
    assert result.priority == "P3"


def test_deadlines_are_configuration():
    custom = dict(DEADLINES, P2=30)
    result = triage(TriageFacts(situations=("sextortion",)), received_at=AT, deadline_minutes=custom)
    assert result.deadline_at == AT + timedelta(minutes=30)
