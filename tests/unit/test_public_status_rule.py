"""What the person who reported reads about their report: the stage and the steps follow what happened."""

from __future__ import annotations

import pytest

from safe4c.reports.rules.public_status import STAGES, STEPS, StatusFacts, progress


def stage(**facts) -> str:
    return progress(StatusFacts(**facts)).stage.code


def steps(**facts) -> tuple[str, ...]:
    return progress(StatusFacts(**facts)).steps


def test_a_new_report_is_received_and_nothing_more():
    assert stage(status="new") == "received"
    assert steps(status="new") == ("received",)


@pytest.mark.parametrize("facts", [{"status": "in_review"}, {"status": "new", "read": True}])
def test_read_by_a_trained_person(facts):
    assert stage(**facts) == "in_review"
    assert steps(**facts) == ("received", "read")


def test_read_triaged_p1_confirmed_and_two_orders_is_action_even_while_still_new():
    """The issue's case: the report's own status was never moved from "new"."""
    facts = dict(status="new", read=True, takedown_requested=True)
    assert stage(**facts) == "takedown_requested"
    assert steps(**facts) == ("received", "read", "takedown_requested")


def test_an_order_confirmed_removed_says_the_content_was_taken_down():
    facts = dict(status="in_review", takedown_requested=True, content_removed=True)
    assert stage(**facts) == "content_removed"
    assert steps(**facts) == ("received", "read", "takedown_requested", "content_removed")


def test_passed_on_help_and_plain_actioned():
    assert stage(status="in_review", passed_on=True) == "passed_on"
    assert stage(status="in_review", help_arranged=True) == "help_arranged"
    assert stage(status="actioned", acted_on=True) == "action_taken"
    assert steps(status="actioned", acted_on=True) == ("received", "read", "acted_on")
    # "we acted on it" is said only when no other step says how
    assert steps(status="actioned", acted_on=True, help_arranged=True) == ("received", "read", "help_arranged")


def test_removal_is_the_headline_when_several_things_happened():
    facts = dict(status="actioned", acted_on=True, takedown_requested=True, content_removed=True,
                 passed_on=True, help_arranged=True)
    assert stage(**facts) == "content_removed"
    assert steps(**facts) == ("received", "read", "takedown_requested", "content_removed", "passed_on",
                              "help_arranged")


def test_closed_says_why_in_kind_words():
    assert stage(status="closed") == "closed"
    assert stage(status="closed", read=True, closed_not_actionable=True) == "closed_not_actionable"
    assert stage(status="closed", takedown_requested=True) == "closed_after_action"
    assert stage(status="closed", acted_on=True, closed_not_actionable=True) == "closed_after_action"
    assert steps(status="closed", read=True, closed_not_actionable=True) == ("received", "read", "closed")


def test_reopened_follows_the_status_again():
    assert stage(status="in_review", closed_not_actionable=True) == "in_review"


def test_every_stage_and_step_has_words():
    for code, found in STAGES.items():
        assert found.code == code and found.label and found.text.endswith(".")
    assert all(text.endswith(".") for text in STEPS.values())


def test_the_words_name_no_platform_no_police_no_other_report():
    words = " ".join([s.text for s in STAGES.values()] + list(STEPS.values())).lower()
    for secret in ("platform", "police", "polisi", "network", "other report", "priority", "p1", "order"):
        assert secret not in words
