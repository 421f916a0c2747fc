"""The sign-in back-off schedule and when failures are forgotten (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from safe4c.access.rules.throttle import Policy

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def test_a_few_failures_are_free_then_the_wait_doubles_up_to_the_maximum():
    policy = Policy(free_failures=5, backoff_max_seconds=900)
    assert [policy.backoff(n).total_seconds() for n in range(4, 16)] == [
        0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert policy.backoff(10**9).total_seconds() == 900


def test_the_wait_left_counts_from_the_last_failure_in_whole_seconds():
    policy = Policy(free_failures=5)
    assert policy.wait(5, NOW, NOW) == 2
    assert policy.wait(5, NOW, NOW + timedelta(seconds=1.5)) == 1
    assert policy.wait(5, NOW, NOW + timedelta(seconds=2)) == 0
    assert policy.wait(4, NOW, NOW) == 0
    assert policy.wait(7, None, NOW) == 0
    # a free try never waits, even when another process's clock stamped the counter a moment "later"
    assert policy.wait(0, NOW + timedelta(microseconds=90), NOW) == 0


def test_failures_are_forgotten_after_the_memory_but_a_lock_is_not():
    policy = Policy(memory=timedelta(hours=24))
    assert not policy.forgotten(NOW, None, NOW + timedelta(hours=23))
    assert policy.forgotten(NOW, None, NOW + timedelta(hours=24))
    assert not policy.forgotten(NOW, NOW, NOW + timedelta(days=30))


def test_locking_can_be_turned_off():
    assert Policy(lock_failures=20).locks(20) and not Policy(lock_failures=20).locks(19)
    assert not Policy(lock_failures=0).locks(10**6)
