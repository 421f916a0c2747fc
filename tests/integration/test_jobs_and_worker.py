"""The outbox and the worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import select

from safe4c.db.tables import Job, Report
from safe4c.reports.rules.report import parse_report
from safe4c.reports import intake
from safe4c.kernel import jobs
from safe4c.worker import Worker


def enqueue(uow_factory, kind, payload, commit=True):
    with uow_factory() as uow:
        jobs.enqueue(uow, kind, payload)
        if commit:
            uow.commit()


def all_jobs(uow_factory):
    with uow_factory() as uow:
        found = list(uow.session.scalars(select(Job).order_by(Job.id)))
        uow.session.expunge_all()  # keep the loaded values after the unit of work closes
        return found


def test_job_exists_only_if_the_transaction_commits(uow_factory):
    enqueue(uow_factory, "x", {}, commit=False)
    assert all_jobs(uow_factory) == []
    enqueue(uow_factory, "x", {})
    assert len(all_jobs(uow_factory)) == 1


def test_worker_runs_and_completes(uow_factory):
    seen = []
    enqueue(uow_factory, "note", {"n": 1})
    worker = Worker(uow_factory, handlers={"note": lambda *, uow, payload: seen.append(payload["n"])})
    assert worker.run_once() == 1
    assert seen == [1]
    assert all_jobs(uow_factory)[0].done_at is not None
    assert worker.run_once() == 0


def test_failure_retries_with_backoff_then_parks(uow_factory, clock, settings):
    enqueue(uow_factory, "boom", {})

    def boom(*, uow, payload):
        raise RuntimeError("platform down")

    worker = Worker(uow_factory, handlers={"boom": boom})
    for attempt in range(1, settings.job_max_attempts + 1):
        assert worker.run_once() == 1, f"attempt {attempt} should run"
        assert worker.run_once() == 0  # backing off
        clock.advance(hours=1)
    job = all_jobs(uow_factory)[0]
    assert job.failed_at is not None and job.attempts == settings.job_max_attempts
    assert "platform down" in job.last_error
    assert worker.run_once() == 0


def test_expired_lease_is_claimed_again(uow_factory, clock):
    enqueue(uow_factory, "slow", {})
    with uow_factory() as uow:
        assert len(jobs.claim(uow=uow, worker_id="dead-worker")) == 1
    with uow_factory() as uow:
        assert jobs.claim(uow=uow, worker_id="other") == []  # still leased
    clock.advance(seconds=61)
    with uow_factory() as uow:
        assert len(jobs.claim(uow=uow, worker_id="other")) == 1


def test_concurrent_workers_never_claim_the_same_job(uow_factory):
    for i in range(60):
        enqueue(uow_factory, "n", {"i": i})
    claimed: list[int] = []
    lock = threading.Lock()

    def claim_all(name):
        while True:
            with uow_factory() as uow:
                got = [j.id for j in jobs.claim(uow=uow, worker_id=name, limit=5)]
            if not got:
                return
            with lock:
                claimed.extend(got)

    threads = [threading.Thread(target=claim_all, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 60


def test_report_stored_even_when_triage_fails(uow_factory, monkeypatch):
    """A rule bug must not lose a report: it is stored untriaged and the worker triages it."""
    import safe4c.reports.rules.escalation as triage_rules

    def broken(*args, **kwargs):
        raise ZeroDivisionError("bug in a rule")

    monkeypatch.setattr(triage_rules, "triage", broken)
    with uow_factory() as uow:
        receipt = intake.submit_report(uow=uow, report=parse_report({"situations": ["sextortion"]}),
                                       channel="api", language="id")
    assert receipt.priority is None
    assert [j.kind for j in all_jobs(uow_factory)] == ["report.triage"]
    monkeypatch.undo()
    assert Worker(uow_factory).run_once() == 1
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report).where(Report.public_id == receipt.report_id))
        assert row.priority == "P2" and row.deadline_at is not None


def test_heartbeat_makes_health_ok(client, uow_factory):
    assert client.get("/healthz").json()["worker"] == "unknown"
    Worker(uow_factory).beat()
    assert client.get("/healthz").json()["worker"] == "ok"


def test_a_batch_renews_each_lease_before_running_the_job(uow_factory, clock):
    """A slow first job must not let the rest of the claimed batch's leases run out."""
    enqueue(uow_factory, "slow", {})
    enqueue(uow_factory, "next", {})
    seen_by_other = []

    def slow(*, uow, payload):
        clock.advance(seconds=45)

    def later(*, uow, payload):
        clock.advance(seconds=45)  # 90 s after the claim: past the batch's original lease
        with uow.fork() as other:
            seen_by_other.extend(j.id for j in jobs.claim(uow=other, worker_id="other"))

    worker = Worker(uow_factory, handlers={"slow": slow, "next": later})
    assert worker.run_once() == 2
    assert seen_by_other == []  # the running job's lease was renewed when it started
    assert all(j.done_at is not None for j in all_jobs(uow_factory))


def test_a_job_whose_lease_passed_to_another_worker_is_skipped(uow_factory, clock):
    enqueue(uow_factory, "first", {})
    enqueue(uow_factory, "second", {})
    ran = []

    def first(*, uow, payload):
        ran.append("first")
        clock.advance(seconds=61)  # the whole batch's lease runs out; another worker takes it over
        with uow.fork() as other:
            assert len(jobs.claim(uow=other, worker_id="other")) == 2

    worker = Worker(uow_factory, handlers={"first": first, "second": lambda *, uow, payload: ran.append("second")})
    assert worker.run_once() == 2
    assert ran == ["first"]  # the second job is now the other worker's: this one does not run it too
    assert [j.locked_by for j in all_jobs(uow_factory)] == ["other", "other"]
    with uow_factory() as uow:
        assert not jobs.renew(uow=uow, job_id=all_jobs(uow_factory)[1].id, worker_id=worker.worker_id)
        assert jobs.renew(uow=uow, job_id=all_jobs(uow_factory)[1].id, worker_id="other")


def test_a_database_error_keeps_no_personal_data_in_the_job(uow_factory, clock):
    from safe4c.db.tables import WorkerHeartbeat

    personal = "pelapor.rahasia@contoh.id"
    enqueue(uow_factory, "dup", {})

    def duplicate(*, uow, payload):
        uow.session.add(WorkerHeartbeat(worker_id=personal, seen_at=uow.now()))
        uow.session.flush()
        uow.session.expunge_all()
        uow.session.add(WorkerHeartbeat(worker_id=personal, seen_at=uow.now()))
        uow.session.flush()

    assert Worker(uow_factory, handlers={"dup": duplicate}).run_once() == 1
    job = all_jobs(uow_factory)[0]
    assert job.last_error.startswith("IntegrityError")
    assert personal not in job.last_error and "contoh" not in job.last_error


def test_engine_errors_hide_the_statement_parameters(engine):
    import pytest
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from safe4c.db.tables import WorkerHeartbeat

    row = {"worker_id": "rahasia-sekali", "seen_at": None}
    with engine.connect() as conn, pytest.raises(IntegrityError) as caught:
        conn.execute(insert(WorkerHeartbeat.__table__), row)  # seen_at is NOT NULL
    assert "parameters hidden" in str(caught.value)
    assert "[parameters:" not in str(caught.value)


def test_housekeeping_deletes_jobs_finished_long_ago_and_keeps_the_rest(uow_factory, clock, settings):
    def boom(*, uow, payload):
        raise RuntimeError("platform down")

    settings.job_max_attempts = 1
    worker = Worker(uow_factory, handlers={"note": lambda *, uow, payload: None, "boom": boom})
    enqueue(uow_factory, "note", {"n": "old"})
    enqueue(uow_factory, "boom", {})
    assert worker.run_once() == 2  # one done, one failed for good
    clock.advance(days=settings.job_retention_days, hours=1)
    enqueue(uow_factory, "note", {"n": "recent"})
    assert worker.run_once() == 1
    enqueue(uow_factory, "note", {"n": "open"})  # not run yet
    worker.tidy()
    left = {(j.kind, j.payload.get("n"), j.done_at is not None, j.failed_at is not None) for j in all_jobs(uow_factory)}
    assert left == {("boom", None, False, True), ("note", "recent", True, False), ("note", "open", False, False)}
