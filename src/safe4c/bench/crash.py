"""`safe4c bench crash --reports N [--kills K] [--database-url URL]`: nothing lost, nothing twice, under SIGKILL.

Real `safe4c serve` and `safe4c worker` processes on a free loopback port, on a fresh SQLite file and a fresh
PostgreSQL schema (bench/databases.py; thrown away afterwards). N reports are sent by client threads that retry
as real clients do (a connection error, a timeout or a 5xx is retried with the same request and key): half
through the public API with an Idempotency-Key, half through the platform API, half of those with an
Idempotency-Key and half with only their external_id; 3% of answers are lost on the way (the client hangs up
after sending). Meanwhile the server and the worker are killed with SIGKILL K times at random moments, and
restarted. Then the jobs are left to drain, and the database is read:

- acknowledged: reports that got a 201 or 200; stored: reports with at least one row; duplicated: rows beyond
  the first of a report; lost: acknowledged but not stored;
- wrong receipts: a report answered with two different ids or follow-up codes, or a code that does not open it;
- jobs unfinished (neither done nor failed once they stop draining) and jobs failed.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from safe4c.kernel.crypto import Sealer, derive_key
from safe4c.db.migrate import upgrade
from safe4c.db.platforms import PlatformReport
from safe4c.db.session import make_engine
from safe4c.db.tables import Job, Report
from safe4c.reports.rules import followup
from safe4c.bench.databases import bench_databases
from safe4c.bench.platform_api import report_body
from safe4c.bench.server import free_port

SECRET = "bench-crash-secret-not-for-production"
REQUEST_TIMEOUT = 10.0
# Share of requests whose answer is lost on the way (the client hangs up right after sending, as a phone that
# loses its network does): the server may well store the report, and the client sends it again.
DROP_SHARE = 0.03
REPORT_DEADLINE = 300.0  # a client gives up on one report after this long
STALL_SECONDS = 60.0  # draining stops when no job finished for this long (the bench's lease is 5 s)
_MIGRATING = threading.Lock()  # Alembic's context is global to the process: one migration at a time


@dataclass
class Sent:
    """One report as its client saw it."""

    kind: str  # public, platform-key, platform-external
    path: str
    body: bytes
    headers: dict
    attempts: int = 0
    dropped: int = 0  # answers lost on the way (DROP_SHARE)
    status: int | None = None
    ids: set = field(default_factory=set)
    codes: set = field(default_factory=set)


def reports_for(n: int, run: str, key: str) -> list[Sent]:
    out = []
    for i in range(n):
        marker = f"[crash {i}]"
        if i % 2 == 0:
            body = {"situations": ["grooming"], "platforms": ["instagram"], "accounts": [f"@akun.crash{i}"],
                    "story": f"Dia minta foto dan mengancam. {marker}", "age_band": "13_15",
                    "urgent_signals": ["threat_deadline"] if i % 10 == 0 else []}
            out.append(Sent("public", "/api/v1/public/reports", json.dumps(body).encode(),
                            {"Idempotency-Key": f"{run}-public-{i:08d}"}))
            continue
        body = report_body(i, random.Random(i))
        body["external_id"] = f"{run}-{i}"
        body["additional_information"] = marker
        headers = {"Authorization": f"Bearer {key}"}
        kind = "platform-external"
        if i % 4 == 1:
            headers["Idempotency-Key"], kind = f"{run}-platform-{i}", "platform-key"
        out.append(Sent(kind, "/api/v1/reports", json.dumps(body).encode(), headers))
    return out


class Processes:
    """`safe4c serve` and `safe4c worker` on one database; killed with SIGKILL and started again."""

    def __init__(self, label: str, url: str, data_dir: str):
        self.port = free_port()
        self.env = dict(os.environ, SAFE4C_DATABASE_URL=url, SAFE4C_DATA_DIR=data_dir, SAFE4C_SECRET_KEY=SECRET,
                        SAFE4C_WORKER_IN_PROCESS="false", SAFE4C_PUBLIC_RATE_LIMIT_PER_MINUTE="0",
                        SAFE4C_JOB_LEASE_SECONDS="5")
        self.logs = open(os.path.join(data_dir, f"processes-{label}.log"), "ab")
        self.procs: dict[str, subprocess.Popen] = {}
        self.kills = Counter()

    def start(self, name: str, *, wait: bool = True) -> None:
        args = ["serve", "--port", str(self.port), "--workers", "1"] if name == "server" else ["worker"]
        self.procs[name] = subprocess.Popen([sys.executable, "-m", "safe4c.cli", *args], env=self.env,
                                            stdout=self.logs, stderr=self.logs)
        if name == "server" and wait:
            self.wait_healthy()

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2).read()
                return
            except OSError:
                if self.procs["server"].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"safe4c serve did not start; see {self.logs.name}") from None
                time.sleep(0.1)

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.kills[name] += 1

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.logs.close()


class Client:
    """Threads that send every report until it is acknowledged, retrying as a real client does."""

    def __init__(self, port: int, sent: list[Sent], threads: int):
        self.port, self.sent, self.threads = port, sent, threads
        self.next = iter(range(len(sent)))
        self.lock = threading.Lock()
        self.acknowledged = 0
        self.finished = threading.Event()

    def run(self) -> None:
        pool = [threading.Thread(target=self._loop, args=(n,)) for n in range(self.threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        self.finished.set()

    def _take(self) -> Sent | None:
        with self.lock:
            i = next(self.next, None)
        return None if i is None else self.sent[i]

    def _loop(self, n: int) -> None:
        rng = random.Random(n)
        conn = None
        while (s := self._take()) is not None:
            deadline, wait = time.monotonic() + REPORT_DEADLINE, 0.05
            while time.monotonic() < deadline:
                s.attempts += 1
                try:
                    conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
                    conn.request("POST", s.path, s.body, {"Content-Type": "application/json",
                                                          "Accept-Language": "en", **s.headers})
                    if rng.random() < DROP_SHARE:
                        s.dropped += 1
                        raise ConnectionAbortedError("the answer was lost on the way")
                    resp = conn.getresponse()
                    data = resp.read()
                except (OSError, http.client.HTTPException):
                    if conn is not None:
                        conn.close()
                    conn = None  # the server died or hung up: retry on a new connection
                else:
                    s.status = resp.status
                    if resp.status in (200, 201):
                        answer = json.loads(data)
                        s.ids.add(answer["id"])
                        if "followup_code" in answer:
                            s.codes.add(answer["followup_code"])
                        with self.lock:
                            self.acknowledged += 1
                        break
                    # 5xx (a dependency died mid-request) and a platform idempotency clash are worth a retry
                    if resp.status < 500 and not (resp.status == 409 and b"clashed" in data):
                        break
                time.sleep(rng.uniform(0, wait))
                wait = min(wait * 2, 1.0)
        if conn is not None:
            conn.close()


def _killer(procs: Processes, client: Client, total: int, kills: int, rng: random.Random, errors: list) -> None:
    """SIGKILL the server or the worker when the acknowledged share reaches random points of the run."""
    targets = (["server", "worker"] * kills)[:kills]
    rng.shuffle(targets)
    try:
        for at, name in zip(sorted(rng.uniform(0.05, 0.9) for _ in targets), targets):
            while client.acknowledged < at * total and not client.finished.is_set():
                time.sleep(0.01)
            procs.kill(name)
            time.sleep(rng.uniform(0, 0.5))
            procs.start(name)
    except Exception as exc:  # noqa: BLE001 - reported by the bench
        errors.append(exc)


def _open_jobs(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        done_or_failed = conn.scalar(select(func.count()).select_from(Job)
                                     .where((Job.done_at.is_not(None)) | (Job.failed_at.is_not(None))))
        unfinished = conn.scalar(select(func.count()).select_from(Job)
                                 .where(Job.done_at.is_(None), Job.failed_at.is_(None)))
        failed = conn.scalar(select(func.count()).select_from(Job).where(Job.failed_at.is_not(None)))
    return unfinished, failed, done_or_failed


def _drain(engine, cap: float) -> tuple[int, int]:
    """Wait until no job is open, or none has finished for STALL_SECONDS; (unfinished, failed)."""
    started = last_change = time.monotonic()
    seen = -1
    while True:
        unfinished, failed, finished = _open_jobs(engine)
        if unfinished == 0:
            return unfinished, failed
        if finished != seen:
            seen, last_change = finished, time.monotonic()
        if time.monotonic() - last_change > STALL_SECONDS or time.monotonic() - started > cap:
            return unfinished, failed
        time.sleep(0.5)


def _count(engine, sent: list[Sent], run: str) -> dict:
    sealer, code_key = Sealer(SECRET.encode()), derive_key(SECRET.encode(), "followup-code")
    rows: dict[int, list[tuple[str, str]]] = {}
    with engine.connect() as conn:
        for public_id, story, code_hash in conn.execute(
                select(Report.public_id, Report.story_sealed, Report.followup_hash).where(Report.channel == "api")):
            text = sealer.open(story, context="report.story") or ""
            i = int(text.rsplit("[crash ", 1)[1].rstrip("]"))
            rows.setdefault(i, []).append((public_id, code_hash))
        for public_id, external_id in conn.execute(
                select(Report.public_id, PlatformReport.external_id)
                .join(PlatformReport, PlatformReport.report_id == Report.id)):
            rows.setdefault(int(external_id.removeprefix(f"{run}-")), []).append((public_id, None))
    acked = [i for i, s in enumerate(sent) if s.ids]
    wrong = 0
    for i in acked:
        s, stored = sent[i], rows.get(i, [])
        matches = [h for pid, h in stored if pid in s.ids]
        if len(s.ids) > 1 or len(s.codes) > 1 or not matches or (
                s.codes and matches[0] != followup.code_hash(next(iter(s.codes)), key=code_key)):
            wrong += 1
    return {"acknowledged": len(acked), "stored": len(rows), "lost": sum(1 for i in acked if i not in rows),
            "duplicated": sum(len(r) - 1 for r in rows.values()), "wrong_receipts": wrong}


def measure(label: str, url: str, data_dir: str, *, reports: int, kills: int, threads: int, seed: int = 1) -> dict:
    from safe4c.kernel.clock import SystemClock
    from safe4c.kernel.settings import Settings
    from safe4c.access import platforms
    from safe4c.kernel.uow import UowFactory

    engine = make_engine(url) if url.startswith("sqlite") else make_engine(url, pool_size=2, max_overflow=0)
    with _MIGRATING:
        upgrade(engine)
    factory = UowFactory(engine, Settings(secret_key=SECRET, database_url=url), SystemClock())
    with factory() as uow:
        key = platforms.create_platform(uow=uow, name="Crash Bench").api_key
    run = f"crash{seed}"
    sent = reports_for(reports, run, key)
    rng = random.Random(seed)
    procs = Processes(label, url, data_dir)
    errors: list = []
    started = time.monotonic()
    try:
        procs.start("server", wait=False)  # both start at once; the clients wait for the server
        procs.start("worker")
        procs.wait_healthy()
        ready = time.monotonic()
        client = Client(procs.port, sent, threads)
        killer = threading.Thread(target=_killer, args=(procs, client, reports, kills, rng, errors))
        killer.start()
        client.run()
        killer.join()
        sent_at = time.monotonic()
        unfinished, failed = _drain(engine, cap=120 + reports * 0.2)
    finally:
        procs.stop()
    counted = _count(engine, sent, run)
    engine.dispose()
    if errors:
        raise errors[0]
    return {"database": label, "sent": reports, "requests": sum(s.attempts for s in sent),
            "dropped": sum(s.dropped for s in sent), **counted,
            "unacknowledged": sum(1 for s in sent if not s.ids),
            "refused": Counter(s.status for s in sent if not s.ids and s.status),
            "unfinished": unfinished, "failed": failed, "kills": dict(procs.kills),
            "start_s": ready - started, "sending_s": sent_at - ready, "drain_s": time.monotonic() - sent_at,
            "total_s": time.monotonic() - started}


def ok(row: dict) -> bool:
    return (row["lost"] == row["duplicated"] == row["wrong_receipts"] == row["unacknowledged"] == row["unfinished"]
            == row["failed"] == 0)


def run(*, reports: int, kills: int, database_url: str | None, threads: int = 16) -> int:
    for noisy in ("alembic",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with bench_databases(database_url) as (data_dir, targets):
        rows = [measure(label, url, data_dir, reports=reports, kills=kills, threads=threads)
                for label, url in targets]
    print(f"crash benchmark: {reports:,} reports (half public API with Idempotency-Key; half platform API, of "
          f"those half with Idempotency-Key, half by external_id), {threads} client threads retrying with the same "
          f"request; {DROP_SHARE:.0%} of answers lost on the way; {kills} SIGKILLs of `safe4c serve` / "
          "`safe4c worker` at random moments, each restarted")
    head = ("database", "sent", "requests", "answers lost", "acknowledged", "stored", "duplicated", "lost",
            "wrong receipts", "jobs unfinished", "jobs failed", "kills server/worker", "seconds")
    def line(values) -> str:
        return "".join(f"{v:>{max(len(h) + 2, 10)}}" if i else f"{v:<11}" for i, (h, v) in enumerate(zip(head, values)))

    print(line(head))
    for r in rows:
        print(line((r["database"], r["sent"], r["requests"], r["dropped"], r["acknowledged"], r["stored"],
                    r["duplicated"], r["lost"], r["wrong_receipts"], r["unfinished"], r["failed"],
                    f"{r['kills'].get('server', 0)}/{r['kills'].get('worker', 0)}", f"{r['total_s']:.0f}")))
    for r in rows:
        print(f"{r['database']}: start {r['start_s']:.0f} s, sending {r['sending_s']:.0f} s, jobs draining "
              f"{r['drain_s']:.0f} s after the last report")
        if r["unacknowledged"]:
            print(f"  {r['database']}: {r['unacknowledged']} reports never acknowledged (last status: "
                  f"{dict(r['refused'])})")
    return 0 if all(ok(r) for r in rows) else 1
