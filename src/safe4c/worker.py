"""The worker: claim a job, call its use case, mark it done. No business rules here."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable

from safe4c.cases import cases
from safe4c.db.listen import JobListener
from safe4c.reports import intake
from safe4c.kernel import jobs
from safe4c.reports import replay
from safe4c.hashlist import known_material, snapshot
from safe4c.hashlist.matcher import SharedMatcher
from safe4c.networks import linking
from safe4c.statistics import rollups as statistics_rollups
from safe4c.takedowns import orders as takedowns, webhooks
from safe4c.cases import referrals as case_referrals

log = logging.getLogger(__name__)

Handler = Callable[..., None]
BEAT_SECONDS = 5.0  # /healthz calls a worker stalled after 30 s without a beat
# Housekeeping: sealed follow-up codes whose replays expired are cleared (services/replay.py), and jobs that
# finished long ago are deleted (services/jobs.py).
TIDY_SECONDS = 300.0
STATISTICS_SECONDS = 60.0  # the default; SAFE4C_STATISTICS_REFRESH_SECONDS
SNAPSHOT_SECONDS = 30.0  # the default; SAFE4C_HASHLIST_SNAPSHOT_SECONDS


def default_handlers(matcher: SharedMatcher) -> dict[str, Handler]:
    return {
        jobs.TRIAGE_REPORT: lambda *, uow, payload: intake.triage_report(uow=uow, report_id=payload["report_id"]),
        jobs.MATCH_REPORT: lambda *, uow, payload: known_material.match_report(uow=uow, report_id=payload["report_id"],
                                                                                matcher=matcher),
        "webhook.deliver": lambda *, uow, payload: webhooks.deliver(uow=uow, delivery_id=payload["delivery_id"]),
        jobs.LINK_REPORT: lambda *, uow, payload: linking.link_report(uow=uow, report_id=payload["report_id"]),
        jobs.OPEN_CASE: lambda *, uow, payload: cases.open_for_report_job(uow=uow, report_id=payload["report_id"]),
        "takedown.escalate": lambda *, uow, payload: takedowns.escalate(uow=uow, order_id=payload["order_id"],
                                                                        level=payload["level"]),
        case_referrals.CHECK_JOB: lambda *, uow, payload: case_referrals.check_referral(
            uow=uow, referral_id=payload["referral_id"]),
    }


@dataclass
class Chore:
    """A periodic task: ``run`` every ``every()`` seconds, the first time one interval after the start."""

    name: str
    every: Callable[[], float]
    run: Callable[[], object]
    due: float = 0.0


class Housekeeping:
    """A worker's periodic tasks on a thread of their own (statistics, the hash-list snapshot, tidying), so a job
    never waits behind them: a statistics refresh takes seconds at a million reports, and a P1 report's jobs or a
    takedown escalation must not queue behind it. Started and stopped by the worker's ``run_forever``."""

    def __init__(self, chores: list[Chore], *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.chores = chores
        self.monotonic = monotonic
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self) -> float:
        """Run every chore whose time has come; returns when the next one is due."""
        for chore in self.chores:
            if self.stop_event.is_set():
                break
            if self.monotonic() >= chore.due:
                try:
                    chore.run()
                except Exception as exc:  # noqa: BLE001 - the database may be briefly away; try at the next time
                    log.warning("%s failed: %s", chore.name, type(exc).__name__)
                chore.due = self.monotonic() + chore.every()
        return min(chore.due for chore in self.chores)

    def _run(self) -> None:
        while not self.stop_event.is_set():
            self.stop_event.wait(max(0.0, self.run_due() - self.monotonic()))

    def schedule(self) -> None:
        """Each chore first one interval from now: a process that starts does not do them all at once."""
        now = self.monotonic()
        for chore in self.chores:
            chore.due = now + chore.every()

    def start(self) -> "Housekeeping":
        self.schedule()
        self.stop_event.clear()
        self._thread = threading.Thread(target=self._run, name="safe4c-housekeeping", daemon=True)
        self._thread.start()
        return self

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop after the chore under way, if any (waiting for it at most ``timeout`` seconds)."""
        self.stop_event.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)


class Worker:
    """``wake=True`` (the default): the worker is told when jobs are enqueued, by a commit in this process
    (services/jobs.py) and on PostgreSQL by NOTIFY from any process (db/listen.py). An idle worker wakes instead of
    waiting for its next poll; a busy one gives back the jobs of its batch that a new job outranks, so an urgent job
    never waits behind a batch of slow ones. ``wake=False`` polls only (``safe4c bench jobs`` compares the two)."""

    def __init__(self, uow_factory, *, handlers: dict[str, Handler] | None = None, poll_seconds: float = 0.5,
                 worker_id: str | None = None, wake: bool = True, matcher: SharedMatcher | None = None):
        self.uow_factory = uow_factory
        # The hash list in memory for report.match jobs: the app's when the worker runs in its process.
        self.handlers = handlers if handlers is not None else default_handlers(matcher or SharedMatcher())
        self.poll_seconds = poll_seconds
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"
        self.stop_event = threading.Event()
        self.wake = wake
        self.wakeup = threading.Event()
        self.listener = None
        self._best_new: int | None = None  # the best priority enqueued since this worker last claimed
        self._lock = threading.Lock()
        self._housekeeping: Housekeeping | None = None  # running while run_forever runs

    def notify(self, priority: int) -> None:
        """Jobs of ``priority`` were enqueued and committed (any thread)."""
        with self._lock:
            best = self._best_new
            self._best_new = priority if best is None else min(best, priority)
        self.wakeup.set()

    def run_once(self, limit: int = 20) -> int:
        """Run the jobs that are ready now; returns how many were attempted (or given back to be run first)."""
        with self._lock:
            self._best_new = None
        with self.uow_factory() as uow:
            claimed = [(j.id, j.kind, j.payload, j.priority)
                       for j in jobs.claim(uow=uow, worker_id=self.worker_id, limit=limit)]
        for i, (job_id, kind, payload, priority) in enumerate(claimed):
            best = self._best_new
            if i and best is not None and best <= jobs.PREEMPTS and best < priority:
                # Deadline-bearing work arrived while this batch ran: give the rest back; the next claim takes
                # it first and these again after it.
                with self.uow_factory() as uow:
                    jobs.release(uow=uow, job_ids=[c[0] for c in claimed[i:]], worker_id=self.worker_id)
                break
            self._run(job_id, kind, payload)
        return len(claimed)

    def _run(self, job_id: int, kind: str, payload: dict) -> None:
        handler = self.handlers.get(kind)
        with self.uow_factory() as uow:
            if not jobs.renew(uow=uow, job_id=job_id, worker_id=self.worker_id):
                log.info("job %s (%s) skipped: its lease passed to another worker", job_id, kind)
                return
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {kind!r}")
            with self.uow_factory() as uow:
                handler(uow=uow, payload=payload)
            with self.uow_factory() as uow:
                jobs.complete(uow=uow, job_id=job_id, worker_id=self.worker_id)
        except Exception as exc:  # noqa: BLE001 - any failure is retried with backoff, unless retrying cannot help
            log.warning("job %s (%s) failed: %s", job_id, kind, type(exc).__name__)
            with self.uow_factory() as uow:
                jobs.fail(uow=uow, job_id=job_id, worker_id=self.worker_id, error=jobs.error_summary(exc),
                          permanent=jobs.is_permanent(exc))

    def beat(self) -> None:
        with self.uow_factory() as uow:
            jobs.heartbeat(uow=uow, worker_id=self.worker_id)

    def tidy(self) -> None:
        with self.uow_factory() as uow:
            replay.forget_expired(uow=uow)
        with self.uow_factory() as uow:
            while jobs.forget_finished(uow=uow) == 10_000:  # a backlog of old jobs goes a batch per transaction
                pass

    @property
    def settings(self):
        """The settings of the database this worker serves; None for a worker without a context (unit tests)."""
        return getattr(getattr(self.uow_factory, "ctx", None), "settings", None)

    def statistics_seconds(self) -> float:
        return float(getattr(self.settings, "statistics_refresh_seconds", STATISTICS_SECONDS))

    def refresh_statistics(self) -> None:
        """The periodic tick that keeps the statistics rollups current (statistics/rollups.py): only the months
        whose raw rows changed are recomputed."""
        try:
            with self.uow_factory() as uow:
                statistics_rollups.refresh(uow, wait=False)
        except Exception as exc:  # noqa: BLE001 - figures can wait for the next tick
            log.warning("statistics refresh failed: %s", type(exc).__name__)

    def refresh_hashlist_snapshot(self) -> bool:
        """Rewrite the machine's hash-list snapshot if the list changed since (hashlist/snapshot.py): serving
        processes map the new file and apply only the changes after it. Never waits for the file's lock: when
        another process is writing the snapshot, this round is skipped. True if this call wrote it."""
        settings = self.settings
        if settings is None:
            return False
        try:
            with self.uow_factory().reading() as uow:
                return snapshot.SnapshotFile(settings.resolved_hashlist_snapshot_path).refresh_if_changed(
                    uow, wait=False)
        except Exception as exc:  # noqa: BLE001 - matchers apply the change log meanwhile
            log.warning("hash-list snapshot not written: %s", type(exc).__name__)
            return False

    def snapshot_seconds(self) -> float:
        return float(getattr(self.settings, "hashlist_snapshot_seconds", SNAPSHOT_SECONDS))

    def housekeeping(self, *, monotonic: Callable[[], float] = time.monotonic) -> Housekeeping:
        """This worker's periodic tasks, each first due one interval after the start: a process that starts (every
        web process with an in-process worker) does not refresh the statistics at once; ``safe4c demo`` and
        ``safe4c stats refresh`` bring them current when data is loaded."""
        return Housekeeping([
            Chore("statistics refresh", self.statistics_seconds, self.refresh_statistics),
            Chore("hash-list snapshot", self.snapshot_seconds, self.refresh_hashlist_snapshot),
            Chore("tidy", lambda: TIDY_SECONDS, self.tidy),
        ], monotonic=monotonic)

    def run_forever(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        """Run jobs until stopped. The job loop only beats and runs jobs; housekeeping runs on its own thread."""
        log.info("worker %s started", self.worker_id)
        self._start_wakeups()
        self._housekeeping = self.housekeeping().start()
        next_beat = monotonic()
        try:
            while not self.stop_event.is_set():
                # Cleared before looking, so a job enqueued while we look wakes the wait below at once.
                self.wakeup.clear()
                try:
                    # Timed by the clock, busy or idle: a worker working through a backlog is alive too.
                    if monotonic() >= next_beat:
                        self.beat()
                        next_beat = monotonic() + BEAT_SECONDS
                    busy = self.run_once()
                except Exception:  # noqa: BLE001 - the database may be briefly away; keep going
                    log.exception("worker loop error")
                    busy = 0
                if not busy and not self.stop_event.is_set():
                    self.wakeup.wait(self.poll_seconds)
        finally:
            self._housekeeping.stop()
            self._stop_wakeups()

    def _start_wakeups(self) -> None:
        if not self.wake or self.uow_factory is None:
            return
        with self.uow_factory() as uow:
            engine = uow.session.get_bind()
        if engine.dialect.name == "postgresql":
            self.listener = JobListener(engine, self.notify).start()
        jobs.add_local_waiter(self.notify)

    def _stop_wakeups(self) -> None:
        jobs.remove_local_waiter(self.notify)
        if self.listener is not None:
            self.listener.stop()
            self.listener = None

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="safe4c-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stop_event.set()
        self.wakeup.set()
        if self._housekeeping is not None:
            self._housekeeping.stop_event.set()
