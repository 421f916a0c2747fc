"""The rollups against a small hand-computed fixture, kept current incrementally, equal to a direct recount
(SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from helpers import make_user
from sqlalchemy import select, update

from safe4c.db.platforms import Platform, TakedownOrder
from safe4c.db.statistics import StatReportCount, StatResponse, StatState, StatTakedown
from safe4c.db.tables import Report
from safe4c.reports.status import change_status
from safe4c.statistics import recount, rollups

UTC = timezone.utc


def add_report(uow, received_at: datetime, *, province="32", regency="32.73", situations=("grooming",),
               platforms=("tiktok",), age="13_15", gender="girl", priority="P2", status="new", deadline_h=4) -> str:
    public_id = str(uuid.uuid4())
    uow.session.add(Report(
        public_id=public_id, channel="web", received_at=received_at, language="id", situations=list(situations),
        platforms=list(platforms), incident_when="today", province_code=province, regency_code=regency,
        age_band=age, gender=gender, disability="no", reporter_role="child", urgent_signals=[],
        contact_method="none", consent_services=False, followup_hash=uuid.uuid4().hex + uuid.uuid4().hex,
        status=status, priority=priority, triage_reasons=[], triaged_at=received_at if priority else None,
        deadline_at=received_at + timedelta(hours=deadline_h) if priority else None, updated_at=received_at))
    return public_id


def counts(uow, dim: str) -> dict:
    return {(r.month, r.key): r.reports for r in uow.session.scalars(
        select(StatReportCount).where(StatReportCount.dim == dim))}


def fixture(uow_factory):
    """Five reports: three in May 2025 (one at 20:00 UTC on 31 May, which is June in WIB), two in June."""
    with uow_factory() as uow:
        ids = [
            add_report(uow, datetime(2025, 5, 3, 1, 0, tzinfo=UTC)),
            add_report(uow, datetime(2025, 5, 10, 9, 0, tzinfo=UTC), province="31", regency="31.71",
                       situations=("sextortion", "grooming"), platforms=(), priority="P1"),
            add_report(uow, datetime(2025, 5, 20, 9, 0, tzinfo=UTC), province=None, regency=None,
                       situations=("other",), platforms=("instagram", "tiktok"), age=None, priority=None),
            add_report(uow, datetime(2025, 5, 31, 20, 0, tzinfo=UTC)),  # 1 June 03:00 WIB
            add_report(uow, datetime(2025, 6, 15, 9, 0, tzinfo=UTC), province="31", regency="31.71"),
        ]
        uow.commit()
    return ids


def test_figures_equal_the_hand_computed_ones_and_a_recount(uow_factory):
    fixture(uow_factory)
    with uow_factory() as uow:
        rollups.refresh(uow)
    with uow_factory() as uow:
        assert counts(uow, "total") == {("2025-05", "all"): 3, ("2025-06", "all"): 2}
        assert counts(uow, "province") == {("2025-05", "32"): 1, ("2025-05", "31"): 1, ("2025-05", "unknown"): 1,
                                           ("2025-06", "32"): 1, ("2025-06", "31"): 1}
        assert counts(uow, "situation") == {("2025-05", "grooming"): 2, ("2025-05", "sextortion"): 1,
                                            ("2025-05", "other"): 1, ("2025-06", "grooming"): 2}
        assert counts(uow, "platform") == {("2025-05", "tiktok"): 2, ("2025-05", "none"): 1,
                                           ("2025-05", "instagram"): 1, ("2025-06", "tiktok"): 2}
        assert counts(uow, "age")[("2025-05", "unknown")] == 1
        assert counts(uow, "priority") == {("2025-05", "P2"): 1, ("2025-05", "P1"): 1, ("2025-05", "unknown"): 1,
                                           ("2025-06", "P2"): 2}
        assert recount.differences(uow) == []


def test_a_later_status_change_and_triage_move_only_their_month(uow_factory, clock):
    ids = fixture(uow_factory)
    staff = make_user(uow_factory)
    with uow_factory() as uow:
        rollups.refresh(uow)
        before, _ = rollups.version(uow)
    # The first May report is taken up 3 hours after it arrived (within its 4-hour deadline).
    clock._now = datetime(2025, 5, 3, 4, 0, tzinfo=UTC)
    with uow_factory() as uow:
        change_status(uow=uow, public_id=ids[0], actor_id=staff, to_status="in_review", note="Dibaca")
    # The untriaged May report is triaged late by the worker, which sets updated_at like every writer.
    with uow_factory() as uow:
        uow.session.execute(update(Report).where(Report.public_id == ids[2]).values(
            priority="P3", triaged_at=datetime(2025, 5, 20, 10, tzinfo=UTC), updated_at=clock.now(),
            deadline_at=datetime(2025, 5, 21, 9, tzinfo=UTC)))
        uow.commit()
    with uow_factory() as uow:
        # the clock was set back before the latest report's updated_at: the cursor cannot see it, a full check can
        rollups.refresh(uow, full=True)
        after, _ = rollups.version(uow)
        assert after == before + 1
        response = {(r.month, r.priority): (r.reports, r.acted, r.within_deadline, r.action_seconds)
                    for r in uow.session.scalars(select(StatResponse))}
        assert response[("2025-05", "P2")] == (1, 1, 1, 3 * 3600)
        assert response[("2025-05", "P3")] == (1, 0, 0, 0)
        assert ("2025-05", "none") not in response
        assert counts(uow, "status")[("2025-05", "in_review")] == 1
        assert recount.differences(uow) == []
    with uow_factory() as uow:  # nothing changed: the version stays
        rollups.refresh(uow)
        assert rollups.version(uow)[0] == after


def test_takedown_compliance_per_platform_and_a_wrong_rollup_is_seen(uow_factory):
    issued = datetime(2025, 5, 5, 1, 0, tzinfo=UTC)
    with uow_factory() as uow:
        platform = Platform(name="Contoh", taxonomy_code="tiktok", webhook_secret_sealed=b"x", created_at=issued)
        uow.session.add(platform)
        uow.session.flush()

        def order(removed_h, level=0, status="removed"):
            uow.session.add(TakedownOrder(
                public_id=str(uuid.uuid4()), platform_id=platform.id, target_type="url",
                target_value="https://example.com/x", target_key=uuid.uuid4().hex, category="csam", legal_basis="PM 5/2020", urgent=True,
                status=status, issued_at=issued, deadline_at=issued + timedelta(hours=4),
                preserve_until=issued + timedelta(days=90),
                removed_at=issued + timedelta(hours=removed_h) if removed_h is not None else None,
                escalation_level=level, updated_at=issued))
        order(2)  # in time
        order(6, level=1)  # late
        order(None, level=2, status="issued")  # escalated twice, not removed
        order(None, status="issued")  # open, not yet escalated
        uow.commit()
        pid = platform.id
    with uow_factory() as uow:
        rollups.refresh(uow)
    with uow_factory() as uow:
        row = uow.session.get(StatTakedown, ("2025-05", pid))
        assert (row.orders, row.removed, row.removed_in_time, row.missed, row.removal_seconds) == (4, 2, 1, 2,
                                                                                                   8 * 3600)
        assert (row.level1, row.level2, row.level3) == (2, 1, 0)
        assert recount.differences(uow) == []
        uow.session.execute(update(StatTakedown).values(orders=5))
        uow.session.execute(update(StatReportCount).values(reports=StatReportCount.reports + 1))
        uow.session.flush()
        found = recount.differences(uow)
        assert any(line.startswith("takedowns") for line in found)
        assert not any(line.startswith("reports") for line in found)  # no reports in this test


def while_june_is_read(monkeypatch, action):
    """Run ``action`` while a refresh reads June's reports (May is written by then); gives back the real source."""
    reports = rollups.SOURCES[0]

    def rows(reader, month):
        if month == "2025-06":
            action(reader)
        return reports.rows(reader, month)

    monkeypatch.setattr(rollups, "SOURCES", (replace(reports, rows=rows), *rollups.SOURCES[1:]))
    return reports


def test_a_long_refresh_lets_reports_in_between_its_months(uow_factory, monkeypatch):
    """Each stale month is read in a read-only transaction and written and committed on its own: while the
    refresh computes June, May's figures are already there for others to read, and a report can be written (on
    SQLite one writer holds the whole database: a refresh in one transaction kept intake waiting to its end)."""
    fixture(uow_factory)
    seen = {}

    def meanwhile(_reader):
        with uow_factory() as other:
            seen["totals"] = counts(other, "total")
            add_report(other, datetime(2025, 7, 1, 9, 0, tzinfo=UTC))
            other.commit()

    while_june_is_read(monkeypatch, meanwhile)
    with uow_factory() as uow:
        rollups.refresh(uow)
    assert seen["totals"] == {("2025-05", "all"): 3}
    with uow_factory() as uow:
        assert counts(uow, "total") == {("2025-05", "all"): 3, ("2025-06", "all"): 2}
        first = rollups.version(uow)[0]
    # the report written during the refresh came after its cursor was read: the next refresh counts it
    with uow_factory() as uow:
        rollups.refresh(uow)
    with uow_factory() as uow:
        assert counts(uow, "total") == {("2025-05", "all"): 3, ("2025-06", "all"): 2, ("2025-07", "all"): 1}
        assert rollups.version(uow)[0] == first + 1 and recount.differences(uow) == []


def test_one_refresh_at_a_time_and_the_others_skip_their_tick(uow_factory, monkeypatch):
    """A second refresh while one is under way (two worker processes on the same tick) does nothing and says
    so; the first one's lease is gone when it ends, so the next tick refreshes."""
    fixture(uow_factory)
    second = {}

    def meanwhile(_reader):
        with uow_factory() as other:
            second["ran"] = rollups.refresh(other, wait=False)
            second["totals"] = counts(other, "total")

    reports = while_june_is_read(monkeypatch, meanwhile)
    with uow_factory() as uow:
        assert rollups.refresh(uow, wait=False) is True
    assert second == {"ran": False, "totals": {("2025-05", "all"): 3}}
    with uow_factory() as uow:
        assert lease(uow) == (None, None)
        add_report(uow, datetime(2025, 7, 1, 9, 0, tzinfo=UTC))
        uow.commit()
    monkeypatch.setattr(rollups, "SOURCES", (reports, *rollups.SOURCES[1:]))
    with uow_factory() as uow:
        assert rollups.refresh(uow, wait=False) is True
    with uow_factory() as uow:
        assert counts(uow, "total")[("2025-07", "all")] == 1


def test_a_refresh_that_died_leaves_its_months_and_version_and_its_lease_lapses(uow_factory, clock, monkeypatch):
    fixture(uow_factory)
    with uow_factory() as uow:
        before = rollups.version(uow)[0]

    mark = rollups._mark

    def dies(uow, name, value):  # after the months, at the cursors
        if name.endswith("-cursor"):
            raise RuntimeError("the connection went away")
        mark(uow, name, value)

    monkeypatch.setattr(rollups, "_mark", dies)
    with uow_factory() as uow:
        with pytest.raises(RuntimeError):
            rollups.refresh(uow)
    monkeypatch.undo()
    with uow_factory() as uow:
        # every month written moved the version with it: pages cached by version show the new figures
        assert counts(uow, "total") == {("2025-05", "all"): 3, ("2025-06", "all"): 2}
        assert rollups.version(uow)[0] > before
        assert lease(uow) == (None, None)  # given up on the way out
    # a refresh killed outright leaves its lease: the others skip until it lapses
    _plant_lease(uow_factory, clock.now() + rollups.LEASE)
    with uow_factory() as uow:
        assert rollups.refresh(uow, wait=False) is False
    clock.advance(seconds=rollups.LEASE.total_seconds() + 1)
    with uow_factory() as uow:
        assert rollups.refresh(uow, wait=False) is True
        assert lease(uow) == (None, None)


def lease(uow) -> tuple:
    """(token, until) of the refresh lease as stored now."""
    return tuple(uow.session.execute(select(StatState.lease_token, StatState.lease_until)).one())


def _plant_lease(uow_factory, until, token="0" * 32):
    with uow_factory() as uow:
        state = uow.session.get(StatState, rollups.STATE_ID, populate_existing=True) or StatState(
            id=rollups.STATE_ID, version=0)
        state.lease_token, state.lease_until = token, until
        uow.session.add(state)
        uow.commit()


def test_a_refresh_whose_lease_was_taken_stops_before_its_next_write(uow_factory, monkeypatch):
    fixture(uow_factory)
    other = "f" * 32
    # while it reads June, its lease lapses and another refresh takes it
    while_june_is_read(monkeypatch, lambda reader: _plant_lease(uow_factory, reader.now() + rollups.LEASE, other))
    with uow_factory() as uow:
        with pytest.raises(rollups.LeaseLost):
            rollups.refresh(uow)
    with uow_factory() as uow:
        assert counts(uow, "total") == {("2025-05", "all"): 3}  # June is left to the lease's new holder
        assert lease(uow)[0] == other


class Waited(BaseException):
    """Raised by a refresh that waits for the lease where it should not (the worker's tick)."""


def test_the_worker_tick_skips_while_another_refresh_holds_the_lease(uow_factory, clock, monkeypatch):
    from safe4c.worker import Worker

    fixture(uow_factory)
    _plant_lease(uow_factory, clock.now() + rollups.LEASE)
    monkeypatch.setattr(rollups.time, "sleep", lambda _s: (_ for _ in ()).throw(Waited()))
    Worker(uow_factory, handlers={}).refresh_statistics()
    with uow_factory() as uow:
        assert counts(uow, "total") == {} and rollups.version(uow)[0] == 0
    # a lease running further off than a lease lasts was written by a host whose clock ran fast: lapsed
    _plant_lease(uow_factory, clock.now() + 2 * rollups.LEASE)
    Worker(uow_factory, handlers={}).refresh_statistics()
    with uow_factory() as uow:
        assert counts(uow, "total") == {("2025-05", "all"): 3, ("2025-06", "all"): 2}


def test_the_worker_tick_brings_the_rollups_current(uow_factory):
    from safe4c.worker import Worker

    fixture(uow_factory)
    worker = Worker(uow_factory, handlers={})
    worker.refresh_statistics()
    with uow_factory() as uow:
        assert counts(uow, "total") == {("2025-05", "all"): 3, ("2025-06", "all"): 2}
        assert rollups.version(uow)[0] >= 1


def test_the_stats_command_refreshes_and_recounts(engine, settings, monkeypatch, capsys):
    from safe4c.cli import main

    monkeypatch.setenv("SAFE4C_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SAFE4C_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SAFE4C_SECRET_KEY", settings.secret_key)
    assert main(["stats", "refresh"]) == 0
    assert main(["stats", "recount"]) == 0
    out = capsys.readouterr().out
    assert "rollups current (version 1)" in out and "recount: 0 figures differ" in out
