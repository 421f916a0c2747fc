"""The outbox and the worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import select

from safe4c.db.tables import Job, Report
from safe4c.domain.report import parse_report
from safe4c.services import intake, jobs
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
    import safe4c.services.intake as intake_module

    def broken(*args, **kwargs):
        raise ZeroDivisionError("bug in a rule")

    monkeypatch.setattr(intake_module, "triage", broken)
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
