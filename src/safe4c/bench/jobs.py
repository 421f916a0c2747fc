"""`safe4c bench jobs --reports N`: how long urgent work waits, before and after job priorities and wake-ups, on
SQLite and PostgreSQL side by side.

1. **Under an intake burst**: N reports arrive at once (their linking jobs: the bulk of intake's work), then an
   urgent takedown order is issued every 200 ms while two workers (threads, as `safe4c worker` processes would)
   work through the burst. For each order: the time from its commit to its webhook reaching a receiver on
   127.0.0.1, i.e. the time its ``webhook.deliver`` job waited. "Before" runs the same with every job at one
   priority and workers that only poll, which is exactly how jobs ran before (oldest first, a poll every 0.5 s).
2. **An idle worker**: the time from the commit of an urgent order to its webhook, with nothing else queued, for a
   worker thread in the same process (woken by the commit, or polling) and for a `safe4c worker` process
   (PostgreSQL: woken by NOTIFY; SQLite: polling, its only way to learn of another process's jobs).

Each measurement uses a fresh database (bench/databases.py), thrown away afterwards.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, nullcontext
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

from sqlalchemy import func, select

from safe4c.bench.server import stop
from safe4c.kernel.clock import SystemClock
from safe4c.kernel.settings import Settings
from safe4c.db.migrate import upgrade
from safe4c.db.session import make_engine
from safe4c.db.tables import Job
from safe4c.reports.rules.report import parse_report
from safe4c.reports import intake
from safe4c.kernel import jobs
from safe4c.access import platforms
from safe4c.takedowns import orders as takedowns
from safe4c.kernel.uow import UowFactory
from safe4c.worker import Worker
from safe4c.bench.databases import bench_databases, drop_schema, pg_schema

SECRET = "bench-secret-not-for-production"
PROBE_EVERY = 0.2
PROBES = 15
IDLE_PROBES = 20


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a worker stopped mid keep-alive connection: nothing to report


class Receiver:
    """A platform's webhook endpoint on 127.0.0.1: when each order's first event arrived (time.time())."""

    def __init__(self):
        self.arrived: dict[str, float] = {}
        self.event = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.arrived.setdefault(body["data"]["id"], time.time())
                outer.event.set()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, order_ids, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not all(o in self.arrived for o in order_ids):
            if time.monotonic() > deadline:
                return False
            self.event.wait(0.05)
            self.event.clear()
        return True

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def _database(url: str, data_dir: str):
    engine = make_engine(url) if url.startswith("sqlite") else make_engine(url, pool_size=6, max_overflow=4)
    upgrade(engine)
    settings = Settings(data_dir=Path(data_dir), database_url=url, secret_key=SECRET, worker_in_process=False,
                        match_at_intake=False, webhook_timeout_seconds=5)
    try:
        yield engine, UowFactory(engine, settings, SystemClock())
    finally:
        engine.dispose()


def _platform(factory, receiver: Receiver) -> int:
    with factory() as uow:
        return platforms.create_platform(uow=uow, name="Bench Video", webhook_url=receiver.url).id


def _urgent_order(factory, platform_id: int, n: int) -> tuple[str, float]:
    with factory() as uow:
        order_id = takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=platform_id, target_type="url", target_value=f"https://video.example/v/{n}",
            category="csam"))
    return order_id, time.time()  # committed: from now on a worker can see its webhook job


def _burst(factory, reports: int) -> None:
    rng = random.Random(5)
    with factory() as uow:
        for i in range(reports):
            report = parse_report({
                "situations": ["grooming"], "platforms": ["instagram"],
                "accounts": [f"@akun.{i}", f"0812{rng.randrange(10**8):08d}"],
                "story": f"Dia kirim link https://t.me/+Inv{rng.randrange(10**12):012d} dan minta foto."})
            intake.stage_report(uow=uow, report=report, channel="api", language="id")
            if i % 500 == 499:
                uow.commit()
        uow.commit()


def _queued(factory) -> int:
    with factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(Job)
                                  .where(Job.done_at.is_(None), Job.failed_at.is_(None), Job.kind == "report.link"))


def under_burst(url: str, data_dir: str, *, reports: int, after: bool) -> dict:
    """Waits of urgent orders' webhooks issued while two workers work through ``reports`` reports' jobs."""
    receiver = Receiver()
    # Before: every job at one priority, so the claim's order is the old one (oldest first).
    one_priority = (nullcontext() if after
                    else mock.patch.object(jobs, "priority_of", lambda kind, *, urgent=False: jobs.NORMAL))
    try:
        with _database(url, data_dir) as (_engine, factory), one_priority:
            platform_id = _platform(factory, receiver)
            _burst(factory, reports)
            workers = [Worker(factory, worker_id=f"bench-{n}", poll_seconds=0.5, wake=after) for n in range(2)]
            threads = [w.start_thread() for w in workers]
            probes = []
            for n in range(PROBES):
                time.sleep(PROBE_EVERY)
                probes.append(_urgent_order(factory, platform_id, n))
            complete = receiver.wait_for([o for o, _ in probes], timeout=600)
            left = _queued(factory)
            for w in workers:
                w.stop()
            for t in threads:
                t.join(30)
    finally:
        receiver.stop()
    waits = [receiver.arrived[o] - at for o, at in probes if o in receiver.arrived]
    return {"waits": waits, "complete": complete, "left": left}


def idle(url: str, data_dir: str, *, mode: str) -> dict:
    """Waits of urgent orders' webhooks with nothing else queued; ``mode``: "poll", "wake" (a worker thread in this
    process) or "process" (a `safe4c worker` process)."""
    receiver = Receiver()
    rng = random.Random(11)
    proc = worker = thread = None
    try:
        with _database(url, data_dir) as (_engine, factory):
            platform_id = _platform(factory, receiver)
            if mode == "process":
                env = dict(os.environ, SAFE4C_DATABASE_URL=url, SAFE4C_DATA_DIR=data_dir, SAFE4C_SECRET_KEY=SECRET)
                proc = subprocess.Popen([sys.executable, "-m", "safe4c.cli", "worker"], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                warm = _urgent_order(factory, platform_id, -1)  # started and listening once this arrives
                receiver.wait_for([warm[0]], timeout=60)
            else:
                worker = Worker(factory, worker_id="bench-idle", poll_seconds=0.5, wake=mode == "wake")
                thread = worker.start_thread()
                time.sleep(0.5)
            probes = []
            for n in range(IDLE_PROBES):
                time.sleep(rng.uniform(0.1, 0.6))  # at random moments of the poll cycle
                probe = _urgent_order(factory, platform_id, n)
                receiver.wait_for([probe[0]], timeout=30)
                probes.append(probe)
    finally:
        if worker is not None:
            worker.stop()
            thread.join(30)
        if proc is not None:
            stop(proc, timeout=30)
        receiver.stop()
    return {"waits": [receiver.arrived[o] - at for o, at in probes if o in receiver.arrived],
            "complete": all(o in receiver.arrived for o, _ in probes)}


@contextmanager
def _fresh(label: str, pg_url: str | None):
    """(url, data_dir) of a fresh database of the kind ``label`` for one measurement, thrown away afterwards."""
    data_dir = tempfile.mkdtemp(prefix="safe4c-bench-jobs-")
    admin = schema = None
    try:
        if label == "postgresql":
            admin, schema, url = pg_schema(pg_url)
        else:
            url = f"sqlite:///{data_dir}/bench.db"
        yield url, data_dir
    finally:
        if admin is not None:
            drop_schema(admin, schema)
        shutil.rmtree(data_dir, ignore_errors=True)


def _fmt(waits: list[float]) -> str:
    if not waits:
        return "n/a"
    ordered = sorted(waits)
    return (f"median {statistics.median(ordered) * 1000:>8.0f} ms   max {ordered[-1] * 1000:>8.0f} ms")


def run(*, reports: int, database_url: str | None) -> int:
    with bench_databases(database_url) as (_, targets):
        labels = [label for label, _ in targets]  # PostgreSQL only when it is reachable
    pg_url = database_url or os.environ.get("SAFE4C_TEST_DATABASE_URL") or os.environ.get("SAFE4C_DATABASE_URL")
    print(f"jobs benchmark: {reports:,} reports arrive at once (their linking jobs), then an urgent takedown order "
          f"every {PROBE_EVERY * 1000:.0f} ms ({PROBES} in all), 2 worker threads; {os.cpu_count()} cores. "
          "Wait = from the order's commit to its webhook arriving at a receiver on 127.0.0.1.")
    for noisy in ("alembic", "safe4c.worker"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ok = True
    for label in labels:
        print(f"\n{label}")
        for after, name in ((False, "before (one priority, polling)"), (True, "after (priorities, wake-ups)")):
            with _fresh(label, pg_url) as (url, data_dir):
                r = under_burst(url, data_dir, reports=reports, after=after)
            ok &= r["complete"]
            print(f"  under the burst, {name:<32} {_fmt(r['waits'])}   linking jobs still queued when the "
                  f"last order's webhook arrived: {r['left']:,}")
        for mode, name in (("poll", "idle worker thread, polling"), ("wake", "idle worker thread, woken"),
                           ("process", "idle `safe4c worker` process")):
            with _fresh(label, pg_url) as (url, data_dir):
                r = idle(url, data_dir, mode=mode)
            ok &= r["complete"]
            how = {"process": " (NOTIFY)" if label == "postgresql" else " (polls: no cross-process wake-up)"}
            print(f"  {name + how.get(mode, ''):<66} {_fmt(r['waits'])}")
    return 0 if ok else 1
