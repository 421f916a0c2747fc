"""The raise to P1 after intake and its undo (reports/rules/escalation.py): plain values, no database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from safe4c.reports.rules.escalation import lower, raise_to_p1, stored, triaged
from safe4c.reports.rules.triage import KNOWN_MATERIAL, LINKED_TO_URGENT, TriageFacts, p1_reason

AT = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
DEADLINES = {"P1": 60, "P2": 240, "P3": 1440, "P4": 4320}
GROOMING = TriageFacts(situations=("grooming",), has_identifiers=True)  # P3: due in 24 hours


def calm_report():
    """A P3 report as intake stored it."""
    first = triaged(GROOMING, received_at=AT, now=AT, deadline_minutes=DEADLINES)
    return {"priority": first.priority, "reasons": first.reasons, "deadline_at": first.deadline_at}


def test_a_raise_learnt_late_is_due_an_hour_from_now():
    now = AT + timedelta(hours=3)
    change = raise_to_p1(reason_code=LINKED_TO_URGENT, received_at=AT, now=now, deadline_minutes=DEADLINES,
                         **calm_report())
    assert change.priority == "P1"
    assert change.deadline_at == now + timedelta(minutes=60)
    assert change.reasons[0] == stored(p1_reason(LINKED_TO_URGENT))  # the reason that decided comes first
    assert [r["code"] for r in change.reasons[1:]] == [r["code"] for r in calm_report()["reasons"]]
    assert change.triaged_at is None  # not a triage: the report keeps its triage time


def test_an_earlier_deadline_stays():
    urgent = triaged(TriageFacts(situations=("other",), urgent_signals=("danger_now",)), received_at=AT, now=AT,
                     deadline_minutes=DEADLINES)
    change = raise_to_p1(reason_code=KNOWN_MATERIAL, priority=urgent.priority, reasons=urgent.reasons,
                         deadline_at=urgent.deadline_at, received_at=AT, now=AT + timedelta(minutes=50),
                         deadline_minutes=DEADLINES)
    assert change.deadline_at == AT + timedelta(minutes=60)
    assert change.reasons[0]["text"] == "Reported content matches known child sexual abuse material."


def test_a_report_is_raised_once_for_a_reason():
    now = AT + timedelta(hours=1)
    first = raise_to_p1(reason_code=LINKED_TO_URGENT, received_at=AT, now=now, deadline_minutes=DEADLINES,
                        **calm_report())
    again = raise_to_p1(reason_code=LINKED_TO_URGENT, priority=first.priority, reasons=first.reasons,
                        deadline_at=first.deadline_at, received_at=AT, now=now, deadline_minutes=DEADLINES)
    assert again is None
    other = raise_to_p1(reason_code=KNOWN_MATERIAL, priority=first.priority, reasons=first.reasons,
                        deadline_at=first.deadline_at, received_at=AT, now=now, deadline_minutes=DEADLINES)
    assert [r["code"] for r in other.reasons[:2]] == [KNOWN_MATERIAL, LINKED_TO_URGENT]


def test_an_untriaged_report_is_triaged_on_all_its_facts_with_the_new_one():
    facts = TriageFacts(situations=("grooming",), has_identifiers=True, platform_escalation=True)
    now = AT + timedelta(hours=5)
    change = raise_to_p1(reason_code=KNOWN_MATERIAL, priority=None, reasons=None, deadline_at=None, received_at=AT,
                         now=now, deadline_minutes=DEADLINES, facts=facts)
    codes = [r["code"] for r in change.reasons]
    assert change.priority == "P1" and KNOWN_MATERIAL in codes and "platform.escalated" in codes
    assert change.deadline_at == AT + timedelta(minutes=60)  # escalated at intake: due an hour after arrival
    assert change.triaged_at == now


def test_an_untriaged_report_needs_its_facts():
    with pytest.raises(ValueError):
        raise_to_p1(reason_code=KNOWN_MATERIAL, priority=None, reasons=None, deadline_at=None, received_at=AT,
                    now=AT, deadline_minutes=DEADLINES)


def test_lowering_triages_again_on_the_reports_own_facts():
    now = AT + timedelta(hours=2)
    raised = raise_to_p1(reason_code=LINKED_TO_URGENT, received_at=AT, now=now, deadline_minutes=DEADLINES,
                         **calm_report())
    change = lower(dropped_code=LINKED_TO_URGENT, reasons=raised.reasons, facts=GROOMING, received_at=AT,
                   now=now, deadline_minutes=DEADLINES)
    assert (change.priority, change.deadline_at) == ("P3", AT + timedelta(minutes=1440))  # as at intake
    assert LINKED_TO_URGENT not in [r["code"] for r in change.reasons]
    assert change.triaged_at == now


def test_lowering_a_report_without_the_reason_changes_nothing():
    assert lower(dropped_code=LINKED_TO_URGENT, reasons=calm_report()["reasons"], facts=GROOMING, received_at=AT,
                 now=AT, deadline_minutes=DEADLINES) is None
