"""The outbox: enqueue inside the caller's transaction; workers claim, run and complete jobs.

At-least-once: a claim is a lease; a worker that dies leaves the lease to expire and the job runs again,
so handlers must be idempotent. On PostgreSQL claims use FOR UPDATE SKIP LOCKED.

Jobs run by priority, then oldest first: deadline-bearing work (escalations, urgent orders' webhooks, work on a
P1 report) overtakes a burst of intake's matching and linking. Workers are told when a transaction that
enqueued ready jobs commits, with the best priority it enqueued: in this process directly, in other processes by
NOTIFY on PostgreSQL (``db/listen.py``). An idle worker wakes; a busy one gives back the rest of its batch if
the new job outranks it (worker.py). Polling remains the fallback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from sqlalchemy import delete, event, func, insert, or_, select, update
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from safe4c.db.tables import Job, WorkerHeartbeat
from safe4c.kernel.uow import UnitOfWork

# Lower runs first.
URGENT, HIGH, NORMAL, LOW = 0, 10, 50, 90

# Kinds of job written by intake (reports/intake.py), run by worker.py (``default_handlers``): constants here so
# that intake names the work without importing the areas that do it.
TRIAGE_REPORT = "report.triage"
MATCH_REPORT = "report.match"
LINK_REPORT = "report.link"
# A report whose reporter consented to services gets a case (cases/cases.py ``open_for_report_job``).
OPEN_CASE = "case.open"

# The one place that says how soon each kind of job must run. ``urgent=True`` at enqueue raises a job to
# URGENT: a webhook for an urgent order (4 hours to comply), matching and linking of a P1 report (they can
# raise its network, and issue urgent orders, within the P1 hour).
PRIORITIES = {
    "takedown.escalate": URGENT,  # a platform missed its legal deadline: the next warning is due now
    "webhook.deliver": HIGH,  # a platform learns of an order; its deadline is already running
    TRIAGE_REPORT: HIGH,  # a report that inline triage missed has no priority or deadline in the queue yet
    MATCH_REPORT: NORMAL,  # cheap, and a match raises the report to P1 and may issue an urgent order
    LINK_REPORT: LOW,  # the bulk of intake's work
    OPEN_CASE: HIGH,  # the first contact with the child is due within hours (24 h for P1)
}


# A job this urgent makes a busy worker give back the rest of its batch (worker.py), so it does not wait for a
# batch of slow jobs to finish; between normal and low work the next claim's order is enough.
PREEMPTS = HIGH


def priority_of(kind: str, *, urgent: bool = False) -> int:
    return URGENT if urgent else PRIORITIES.get(kind, NORMAL)


def lease(uow: UnitOfWork) -> timedelta:
    return timedelta(seconds=uow.settings.job_lease_seconds)


# A sealed value that this key cannot open: it was sealed with another key (or altered). Retrying cannot help.
UNSEALABLE = "InvalidTag: sealed data could not be opened with this key (sealed with another key, or altered)"


_INSERT_JOB = insert(Job.__table__)  # Core, compiled once: enqueueing sits on the intake hot path


def enqueue(uow: UnitOfWork, kind: str, payload: dict, *, delay: timedelta = timedelta(0),
            urgent: bool = False) -> None:
    """Add a job to the current transaction; it exists only if the caller commits."""
    enqueue_many(uow, [(kind, payload)], delay=delay, urgent=urgent)


def enqueue_many(uow: UnitOfWork, work: list[tuple[str, dict]], *, delay: timedelta = timedelta(0),
                 urgent: bool = False) -> None:
    """Several jobs in one statement (one round trip), in the current transaction."""
    if not work:
        return
    now = uow.now()
    rows = [{"kind": kind, "payload": payload, "priority": priority_of(kind, urgent=urgent), "created_at": now,
             "run_after": now + delay, "attempts": 0, "locked_by": None, "locked_until": None, "done_at": None,
             "failed_at": None, "last_error": None}
            for kind, payload in work]
    # A list of parameter sets is one executemany: batched into a single round trip by the driver.
    uow.session.connection().execute(_INSERT_JOB, rows)
    if delay <= timedelta(0):  # tell this process's workers once the caller commits
        best = min(row["priority"] for row in rows)
        uow.session.info[_ENQUEUED] = min(best, uow.session.info.get(_ENQUEUED, best))


def claim(*, uow: UnitOfWork, worker_id: str, limit: int = 20) -> list[Job]:
    now = uow.now()
    query = (
        select(Job)
        .where(Job.done_at.is_(None), Job.failed_at.is_(None), Job.run_after <= now,
               or_(Job.locked_until.is_(None), Job.locked_until < now))
        .order_by(Job.priority, Job.run_after, Job.id)  # the partial index ix_jobs_ready, in this order
        .limit(limit)
    )
    if uow.session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    jobs = list(uow.session.scalars(query))
    for job in jobs:
        job.locked_by, job.locked_until = worker_id, now + lease(uow)
        job.attempts += 1
    uow.commit()
    return jobs


def release(*, uow: UnitOfWork, job_ids: list[int], worker_id: str) -> None:
    """Give back claimed jobs that have not started (a more urgent job arrived): as if never claimed."""
    uow.session.execute(
        update(Job).where(Job.id.in_(job_ids), Job.locked_by == worker_id, Job.done_at.is_(None),
                          Job.failed_at.is_(None))
        .values(locked_by=None, locked_until=None, attempts=Job.attempts - 1)
    )
    uow.commit()


def renew(*, uow: UnitOfWork, job_id: int, worker_id: str) -> bool:
    """Extend this worker's lease just before running the job; False when the lease was lost to another worker.

    A claim leases a batch at once and the batch runs one job after another, so a later job's lease could
    otherwise expire while earlier (slow) jobs run, and another worker would run it too.
    """
    renewed = uow.session.execute(
        update(Job).where(Job.id == job_id, Job.locked_by == worker_id, Job.done_at.is_(None),
                          Job.failed_at.is_(None))
        .values(locked_until=uow.now() + lease(uow))
    ).rowcount
    uow.commit()
    return renewed == 1


def complete(*, uow: UnitOfWork, job_id: int, worker_id: str) -> None:
    uow.session.execute(
        update(Job).where(Job.id == job_id, Job.locked_by == worker_id)
        .values(done_at=uow.now(), locked_by=None, locked_until=None)
    )
    uow.commit()


def fail(*, uow: UnitOfWork, job_id: int, worker_id: str, error: str, permanent: bool = False) -> None:
    """Retry with exponential backoff; park the job as failed after the configured attempts, or at once when
    the failure is ``permanent`` (retrying cannot help)."""
    job = uow.session.get(Job, job_id)
    if job is None or job.locked_by != worker_id:
        return
    now = uow.now()
    job.last_error, job.locked_by, job.locked_until = error[:2000], None, None
    if permanent or job.attempts >= uow.settings.job_max_attempts:
        job.failed_at = now
    else:
        job.run_after = now + timedelta(seconds=min(2 ** job.attempts, 3600))
    uow.commit()


def is_permanent(exc: BaseException) -> bool:
    """A failure no retry can mend: fail the job at once, with a reason an operator can act on."""
    return isinstance(exc, InvalidTag)


def error_summary(exc: BaseException) -> str:
    """What jobs.last_error keeps of a failure: the type and a short message, never a report's data.

    A database error's text can quote the values it was given (PostgreSQL's "Key (x)=(...) already exists"),
    so for those only the types are kept.
    """
    if isinstance(exc, InvalidTag):
        return UNSEALABLE
    if isinstance(exc, StatementError):
        orig = getattr(exc, "orig", None)
        return type(exc).__name__ + (f" ({type(orig).__name__})" if orig is not None else "")
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def heartbeat(*, uow: UnitOfWork, worker_id: str) -> None:
    beat = uow.session.get(WorkerHeartbeat, worker_id)
    if beat is None:
        uow.session.add(WorkerHeartbeat(worker_id=worker_id, seen_at=uow.now()))
    else:
        beat.seen_at = uow.now()
    uow.commit()


def forget_finished(*, uow: UnitOfWork, batch: int = 10_000) -> int:
    """Delete jobs that finished more than ``SAFE4C_JOB_RETENTION_DAYS`` ago, a batch at a time (the worker's
    housekeeping runs it every few minutes), so the outbox does not grow forever. Failed jobs stay."""
    cutoff = uow.now() - timedelta(days=uow.settings.job_retention_days)
    old = select(Job.id).where(Job.done_at.is_not(None), Job.done_at < cutoff).order_by(Job.id).limit(batch)
    ids = list(uow.session.scalars(old))
    if ids:
        uow.session.execute(delete(Job).where(Job.id.in_(ids)).execution_options(synchronize_session=False))
    uow.commit()
    return len(ids)


def backlog(*, uow: UnitOfWork) -> dict:
    """Health figures: ready jobs waiting, failed jobs, and when a worker last showed life."""
    now = uow.now()
    waiting = uow.session.scalar(
        select(func.count()).select_from(Job)
        .where(Job.done_at.is_(None), Job.failed_at.is_(None), Job.run_after <= now)
    )
    failed = uow.session.scalar(select(func.count()).select_from(Job).where(Job.failed_at.is_not(None)))
    last_seen = uow.session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    return {"waiting": waiting, "failed": failed, "last_seen": last_seen}


# A worker beats every few seconds: none seen for this long means none is running (``/healthz`` says the same).
WORKER_STALE_AFTER = timedelta(seconds=30)
REPORT_JOBS = (TRIAGE_REPORT, MATCH_REPORT, LINK_REPORT)


def open_for_report(*, uow: UnitOfWork, report_id: int) -> dict:
    """Is a report still being processed? ``open``: its intake jobs (triage, matching, linking) not done yet
    (failed ones apart: ``failed``); ``worker_seen``: when a worker last showed life; ``worker_stale``: none
    for ``WORKER_STALE_AFTER`` (or ever), so the open jobs will not run by themselves."""
    about = (Job.kind.in_(REPORT_JOBS), Job.payload["report_id"].as_integer() == report_id)
    open_jobs = uow.session.scalar(select(func.count()).select_from(Job).where(
        Job.done_at.is_(None), Job.failed_at.is_(None), *about))
    failed = uow.session.scalar(select(func.count()).select_from(Job).where(Job.failed_at.is_not(None), *about))
    seen = uow.session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    return {"open": open_jobs or 0, "failed": failed or 0, "worker_seen": seen,
            "worker_stale": seen is None or uow.now() - seen > WORKER_STALE_AFTER}


# Waking this process's workers (the in-process worker of `safe4c serve`, on SQLite too): the session remembers
# the best priority the transaction enqueued ready; the commit hook tells every registered worker.
_ENQUEUED = "safe4c.jobs.enqueued"
_local_waiters: set[Callable[[int], None]] = set()
_local_lock = threading.Lock()


def add_local_waiter(notify: Callable[[int], None]) -> None:
    """``notify(priority)`` is called after each commit in this process that enqueued ready jobs."""
    with _local_lock:
        _local_waiters.add(notify)


def remove_local_waiter(notify: Callable[[int], None]) -> None:
    with _local_lock:
        _local_waiters.discard(notify)


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    priority = session.info.pop(_ENQUEUED, None)
    if priority is not None:
        wake_local(priority)


def wake_local(priority: int) -> None:
    """Tell this process's workers that jobs of ``priority`` were committed (the commit hook above; the
    asynchronous intake path after its own commit)."""
    with _local_lock:
        waiters = list(_local_waiters)
    for notify in waiters:
        notify(priority)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_ENQUEUED, None)
