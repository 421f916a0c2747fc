"""Which message a takedown decision gets (issue 12: a decision that issued no order must say so)."""

from safe4c.web.pages.clusters import DONE_MESSAGES, takedown_result


def test_each_outcome_of_a_takedown_decision_has_its_own_message():
    assert takedown_result({"orders": 2, "without_platform": 0}) == "takedown"
    assert takedown_result({"orders": 1, "without_platform": 1}) == "takedown_partial"
    assert takedown_result({"orders": 0, "without_platform": 2}) == "takedown_none"
    assert takedown_result({"orders": 0, "without_platform": 0}) == "takedown_existing"
    assert {"takedown", "takedown_partial", "takedown_none", "takedown_existing"} <= set(DONE_MESSAGES)
