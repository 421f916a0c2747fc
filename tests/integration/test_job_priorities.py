"""Job priorities and wake-ups, on SQLite and PostgreSQL: urgent work overtakes a burst; idle workers wake at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from helpers import empty_postgresql_schema
from sqlalchemy import insert, select

from safe4c.db.session import make_engine
from safe4c.db.tables import Job
from safe4c.reports.rules.report import parse_report
from safe4c.reports import intake
from safe4c.kernel import jobs
from safe4c.kernel.uow import UowFactory
from safe4c.worker import Worker

WAIT = 20  # seconds: a bound on waiting for a thread, never a measurement (a woken job takes milliseconds)


def test_an_escalation_enqueued_behind_1000_intake_jobs_is_claimed_first(uow_factory):
    with uow_factory() as uow:
        jobs.enqueue_many(uow, [("report.link", {"report_id": i}) for i in range(1000)])
        uow.commit()
    with uow_factory() as uow:
        jobs.enqueue(uow, "takedown.escalate", {"order_id": 1, "level": 1})
        uow.commit()
    with uow_factory() as uow:
        first = jobs.claim(uow=uow, worker_id="w", limit=1)
    assert [j.kind for j in first] == ["takedown.escalate"]


def test_within_a_priority_the_oldest_runs_first(uow_factory, clock):
    with uow_factory() as uow:
        jobs.enqueue(uow, "report.link", {"n": 1})
        uow.commit()
    clock.advance(seconds=1)
    with uow_factory() as uow:
        jobs.enqueue(uow, "report.link", {"n": 2})
        jobs.enqueue(uow, "report.match", {"n": 3})
        uow.commit()
    with uow_factory() as uow:
        claimed = [j.payload["n"] for j in jobs.claim(uow=uow, worker_id="w")]
    assert claimed == [3, 1, 2]  # matching before linking; linking oldest first


def test_a_p1_reports_jobs_overtake_an_ordinary_reports(uow_factory):
    ordinary = parse_report({"situations": ["grooming"], "accounts": ["@orang.asing", "https://t.me/+AbCdEf123"]})
    urgent = parse_report({"situations": ["sextortion"], "urgent_signals": ["danger_now"],
                           "accounts": ["@pemeras", "https://t.me/+XyZ987654"]})
    for report in (ordinary, ordinary, urgent):
        with uow_factory() as uow:
            intake.submit_report(uow=uow, report=report, channel="api", language="id")
    with uow_factory() as uow:
        rows = uow.session.execute(select(Job.kind, Job.priority, Job.payload).order_by(Job.id)).all()
        claimed = [(j.kind, j.payload["report_id"]) for j in jobs.claim(uow=uow, worker_id="w", limit=2)]
    assert {(kind, priority) for kind, priority, _ in rows} == {
        ("report.match", jobs.NORMAL), ("report.link", jobs.LOW),
        ("report.match", jobs.URGENT), ("report.link", jobs.URGENT)}
    urgent_id = max(payload["report_id"] for _, _, payload in rows)
    assert claimed == [("report.match", urgent_id), ("report.link", urgent_id)]


def test_an_urgent_orders_webhook_is_urgent(uow_factory):
    from safe4c.access import platforms
    from safe4c.takedowns import orders as takedowns
    from safe4c.takedowns.orders import OrderInput

    with uow_factory() as uow:
        made = platforms.create_platform(uow=uow, name="Video Cepat", webhook_url="https://hooks.video-cepat.example/safe4c")
    for category in ("other", "csam"):
        with uow_factory() as uow:
            takedowns.issue_order(uow=uow, actor_id=None, order=OrderInput(
                platform_id=made.id, target_type="url", target_value=f"https://video.example/{category}",
                category=category))
    with uow_factory() as uow:
        rows = uow.session.execute(select(Job.kind, Job.priority).where(Job.kind == "webhook.deliver")
                                   .order_by(Job.id)).all()
    assert [r.priority for r in rows] == [jobs.HIGH, jobs.URGENT]


def test_a_delayed_job_waits_for_its_time_whatever_its_priority(uow_factory, clock):
    with uow_factory() as uow:
        jobs.enqueue(uow, "takedown.escalate", {"order_id": 1, "level": 1}, delay=timedelta(hours=4))
        jobs.enqueue(uow, "report.link", {"report_id": 1})
        uow.commit()
    with uow_factory() as uow:
        claimed = jobs.claim(uow=uow, worker_id="w")
        assert [j.kind for j in claimed] == ["report.link"]
        jobs.complete(uow=uow, job_id=claimed[0].id, worker_id="w")
    clock.advance(hours=4)
    with uow_factory() as uow:
        assert [j.kind for j in jobs.claim(uow=uow, worker_id="w")] == ["takedown.escalate"]


def _running(worker: Worker) -> threading.Thread:
    thread = worker.start_thread()
    # The worker registers its wake-ups, then looks once (nothing) and sleeps for its whole poll interval.
    for _ in range(WAIT * 20):
        if worker.notify in jobs._local_waiters and (worker.listener is None or worker.listener.listening.is_set()):
            break
        threading.Event().wait(0.05)
    return thread


def test_an_idle_worker_in_the_same_process_is_woken_by_the_commit(uow_factory):
    """The worker polls once a minute here: only the wake-up can make it run the job within the wait."""
    ran = threading.Event()
    worker = Worker(uow_factory, handlers={"note": lambda *, uow, payload: ran.set()}, poll_seconds=60)
    thread = _running(worker)
    try:
        threading.Event().wait(0.2)  # let it go idle
        with uow_factory() as uow:
            jobs.enqueue(uow, "note", {})
            uow.commit()
        assert ran.wait(WAIT)
    finally:
        worker.stop()
        thread.join(WAIT)
    assert not thread.is_alive()


def test_a_rolled_back_enqueue_wakes_nobody(uow_factory):
    worker = Worker(uow_factory, handlers={}, poll_seconds=60)
    jobs.add_local_waiter(worker.notify)
    try:
        with uow_factory() as uow:
            jobs.enqueue(uow, "note", {})
            uow.rollback()
            uow.session.execute(select(1))
            uow.commit()  # a later commit in the same session enqueued nothing
        assert not worker.wakeup.is_set()
    finally:
        jobs.remove_local_waiter(worker.notify)


def test_an_urgent_job_does_not_wait_for_the_rest_of_a_slow_batch(uow_factory):
    """A worker busy with a batch of 10 linking jobs hears of an escalation after the first: it runs the
    escalation next, and the rest of the batch after it (each job once)."""
    ran = []

    def link(*, uow, payload):
        ran.append(("link", payload["n"]))
        if payload["n"] == 0:  # meanwhile, elsewhere in this process, a deadline passes
            with uow.fork() as other:
                jobs.enqueue(other, "takedown.escalate", {"order_id": 1, "level": 1})
                other.commit()

    def escalate(*, uow, payload):
        ran.append(("escalate", 1))

    with uow_factory() as uow:
        jobs.enqueue_many(uow, [("report.link", {"n": n}) for n in range(10)])
        uow.commit()
    worker = Worker(uow_factory, handlers={"report.link": link, "takedown.escalate": escalate})
    jobs.add_local_waiter(worker.notify)
    try:
        while worker.run_once(limit=20):
            pass
    finally:
        jobs.remove_local_waiter(worker.notify)
    assert ran == [("link", 0), ("escalate", 1)] + [("link", n) for n in range(1, 10)]
    with uow_factory() as uow:
        assert {(j.attempts, j.done_at is not None) for j in uow.session.scalars(select(Job))} == {(1, True)}


def test_an_urgent_job_is_taken_while_a_slow_statistics_refresh_runs(uow_factory, monkeypatch):
    """Housekeeping runs beside the job loop: a statistics refresh that takes seconds (a million reports) does not
    hold up a takedown escalation enqueued meanwhile."""
    from safe4c.statistics import rollups

    refreshing, release, refreshed, ran = (threading.Event() for _ in range(4))

    def slow_refresh(uow, **kwargs):
        refreshing.set()
        release.wait(WAIT)
        refreshed.set()

    monkeypatch.setattr(rollups, "refresh", slow_refresh)
    worker = Worker(uow_factory, handlers={"takedown.escalate": lambda *, uow, payload: ran.set()}, poll_seconds=60)
    worker.statistics_seconds = lambda: 0.05
    thread = _running(worker)
    try:
        assert refreshing.wait(WAIT)
        with uow_factory() as uow:
            jobs.enqueue(uow, "takedown.escalate", {"order_id": 1, "level": 1})
            uow.commit()
        assert ran.wait(WAIT)
        assert not refreshed.is_set()  # the escalation ran while the refresh was still under way
    finally:
        release.set()
        worker.stop()
        thread.join(WAIT)
    assert not thread.is_alive() and refreshed.is_set()
    with uow_factory() as uow:
        assert [(j.kind, j.done_at is not None) for j in uow.session.scalars(select(Job))] == [
            ("takedown.escalate", True)]


def test_ordinary_work_arriving_does_not_break_up_a_batch(uow_factory):
    ran = []

    def link(*, uow, payload):
        ran.append(payload["n"])
        if payload["n"] == 0:
            with uow.fork() as other:
                jobs.enqueue(other, "report.match", {"n": 99})
                other.commit()

    with uow_factory() as uow:
        jobs.enqueue_many(uow, [("report.link", {"n": n}) for n in range(5)])
        uow.commit()
    worker = Worker(uow_factory, handlers={"report.link": link, "report.match": lambda *, uow, payload: ran.append(99)})
    jobs.add_local_waiter(worker.notify)
    try:
        assert worker.run_once(limit=20) == 5
    finally:
        jobs.remove_local_waiter(worker.notify)
    assert ran == [0, 1, 2, 3, 4]


@pytest.fixture
def pg_engine(pg_schema_url):
    engine = make_engine(pg_schema_url, pool_size=2, max_overflow=2)
    yield engine
    empty_postgresql_schema(engine)  # as the engine fixture leaves the shared schema: the worker beat, too
    engine.dispose()


def test_postgresql_wakes_a_worker_in_another_process_by_notify(pg_engine, settings, clock):
    """A job inserted by another process (here: plain SQL on another connection, no session of ours) wakes the
    worker through the trigger's NOTIFY; the worker polls once a minute."""
    ran = threading.Event()
    worker = Worker(UowFactory(pg_engine, settings, clock), handlers={"note": lambda *, uow, payload: ran.set()},
                    poll_seconds=60)
    thread = _running(worker)
    try:
        assert worker.listener is not None and worker.listener.listening.is_set()
        threading.Event().wait(0.2)
        now = clock.now()
        with pg_engine.begin() as conn:
            conn.execute(insert(Job.__table__).values(kind="note", payload={}, priority=jobs.NORMAL, created_at=now,
                                                      run_after=now, attempts=0))
        assert ran.wait(WAIT)
    finally:
        worker.stop()
        thread.join(WAIT)
    assert not thread.is_alive()
