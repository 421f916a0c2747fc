"""The default queue's order (reports/rules/queue_order.py): plain values, no database."""

from datetime import datetime, timedelta

from safe4c.reports.rules.queue_order import sort_key

T = datetime(2026, 12, 4, 10, 0)


def row(rid, priority, status, minutes):
    deadline = None if minutes is None else T + timedelta(minutes=minutes)
    return {"report_id": rid, "priority": priority, "status": status, "deadline_at": deadline}


def ordered(rows):
    return [r["report_id"] for r in sorted(rows, key=lambda r: sort_key(**r))]


def test_new_overdue_p1_comes_before_p1_already_in_review():
    rows = [row(1, "P1", "in_review", -600), row(2, "P1", "in_review", -300), row(3, "P1", "new", -30),
            row(4, "P1", "new", 20)]
    assert ordered(rows) == [3, 4, 1, 2]


def test_priority_still_comes_first_and_untriaged_lead():
    rows = [row(1, "P2", "new", -100), row(2, "P1", "actioned", 50), row(3, None, "new", None),
            row(4, "P3", "new", None)]
    assert ordered(rows) == [3, 2, 1, 4]


def test_no_deadline_first_then_earliest_then_arrival():
    rows = [row(3, "P2", "new", 10), row(2, "P2", "new", 10), row(1, "P2", "new", None)]
    assert ordered(rows) == [1, 2, 3]
