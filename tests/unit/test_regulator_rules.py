"""Pure rules from issue 12, with plain values: overdue now per platform, how staff may name a report, and the
one label table for takedown codes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from safe4c.reports.rules.refs import parse_report_ref
from safe4c.takedowns.rules import labels
from safe4c.takedowns.rules.overdue import OpenOrder, overdue_by_platform

NOW = datetime(2026, 1, 17, 10, 0, tzinfo=timezone.utc)


def order(platform_id, *, hours_late=1.0, level=0, status="issued", urgent=False):
    return OpenOrder(platform_id=platform_id, status=status, urgent=urgent,
                     deadline_at=NOW - timedelta(hours=hours_late), escalation_level=level)


def test_overdue_now_groups_per_platform_with_the_steps_reached():
    rows = overdue_by_platform([
        order(1, level=3, urgent=True, hours_late=800), order(1, level=3), order(1, level=1),
        order(2, hours_late=2), order(2, level=0, status="acknowledged"),
        order(3, status="disputed"), order(3, status="removed"), order(3, status="withdrawn"),  # not waiting
        order(4, hours_late=-1),  # not yet due
    ], now=NOW, names={1: "Telegram", 2: "Meta", 3: "X", 4: "TikTok"})
    assert [(r.platform, r.overdue, r.urgent, r.by_level, r.highest_level) for r in rows] == [
        ("Telegram", 3, 1, (0, 1, 0, 2), 3), ("Meta", 2, 0, (2, 0, 0, 0), 0)]
    assert rows[0].oldest_deadline == NOW - timedelta(hours=800)


def test_overdue_now_orders_the_highest_step_then_the_most_overdue():
    rows = overdue_by_platform([order(1), order(1), order(2, level=2), order(3), order(3), order(3)], now=NOW,
                               names={1: "B", 2: "A", 3: "C"})
    assert [r.platform for r in rows] == ["A", "C", "B"]
    assert overdue_by_platform([], now=NOW, names={}) == []


def test_a_report_is_named_by_its_whole_id_or_at_least_its_first_eight_characters():
    whole = "3f2a9c1e-0b4d-4e5f-8a6b-7c8d9e0f1a2b"
    assert parse_report_ref(f" {whole.upper()} ") == parse_report_ref(whole)
    assert parse_report_ref(whole).whole
    assert parse_report_ref("3F2A9C1E").text == "3f2a9c1e" and not parse_report_ref("3f2a9c1e").whole
    assert parse_report_ref("3f2a9c1e-0b4").text == "3f2a9c1e-0b4"
    for refused in ("", "3f2a9c1", "3f2a%9c1e", "3f2a_9c1e", "zzzzzzzz", "-3f2a9c1e", whole + "0", "3f2a 9c1e"):
        assert parse_report_ref(refused) is None, refused


def test_every_takedown_code_has_one_label():
    from safe4c.takedowns import orders

    for kind, codes in (("status", orders.STATUS_FILTERS), ("target", orders.TARGET_TYPES),
                        ("category", orders.CATEGORIES)):
        assert all(code in labels.LABELS[kind] for code in codes), kind
    assert labels.label("status", "issued") == "Issued"
    assert labels.label("status", "something_new") == "something_new" and labels.label("status", None) == ""
