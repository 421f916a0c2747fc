"""`safe4c bench platform-api`: platform reports through the HTTP API with Idempotency-Key headers, and webhook
deliveries to a local receiver, on SQLite and PostgreSQL side by side.

Prints reports/s with p50/p99 latency and checks that every 201 is stored exactly once; replays part of the
requests (same keys, same bodies) and checks they answer 200 and add nothing; then issues takedown orders and
measures how many signed webhook deliveries per second the worker gets to a receiver on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import func, select

from safe4c.kernel.clock import SystemClock
from safe4c.kernel.settings import Settings
from safe4c.db.migrate import upgrade
from safe4c.db.platforms import PlatformReport, WebhookDelivery
from safe4c.db.session import make_engine, make_session_factory
from safe4c.access import platforms
from safe4c.takedowns import orders as takedowns
from safe4c.kernel.uow import Context, UnitOfWork
from safe4c.worker import Worker
from safe4c.bench.cpu import CpuMeter
from safe4c.bench.databases import bench_databases
from safe4c.bench.loadgen import post_request, run_load
from safe4c.bench.server import running_server

WARMUP = 300
SECRET = "bench-secret"


def report_body(i: int, rng: random.Random) -> dict:
    return {
        "external_id": f"bench-{i}",
        "incident": {"situation": rng.choice(["sextortion", "grooming", "abuse_material", "image_sharing"]),
                     "time": "2026-01-05T06:30:00+07:00", "escalate_to_urgent": i % 20 == 0,
                     "escalation_reason": "Meeting planned" if i % 20 == 0 else None,
                     "annotations": ["minor_to_minor"] if i % 3 == 0 else []},
        "reported_accounts": [{"platform_user_id": str(7_000_000 + i), "screen_name": f"@akun_{i}",
                               "profile_urls": [f"https://platform.example/@akun_{i}"],
                               "ip_capture_events": [{"ip_address": f"203.0.113.{i % 250}", "event_type": "login",
                                                      "at": "2026-01-04T22:10:00Z"}]}],
        "victims": [{"age": rng.randint(9, 17)}],
        "content": [{"url": f"https://platform.example/v/{i}", "md5": f"{i:032x}", "sha256": f"{i:064x}",
                     "industry_classification": "B2"}],
        "additional_information": "Pengguna mengancam menyebarkan video korban. " * 2,
    }


def requests_for(key: str, start: int, count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [post_request("/api/v1/reports", json.dumps(report_body(i, rng)).encode(),
                         {"Authorization": f"Bearer {key}", "Idempotency-Key": f"bench-{seed}-{i}"})
            for i in range(start, start + count)]


def _uow_factory(engine):
    factory = make_session_factory(engine)
    # The webhook receiver is on 127.0.0.1 over http: the development setting allows it.
    ctx = Context.build(Settings(secret_key=SECRET, webhook_allow_private=True), SystemClock())
    return lambda: UnitOfWork(factory, ctx)


class _Receiver:
    def __init__(self):
        self.count = 0
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real platform's endpoint would

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    outer.count += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def bench_webhooks(engine, *, orders: int, workers: int) -> dict:
    receiver = _Receiver()
    uow_factory = _uow_factory(engine)
    try:
        with uow_factory() as uow:
            made = platforms.create_platform(uow=uow, name=f"Webhook bench {uuid.uuid4().hex[:6]}",
                                             webhook_url=f"http://127.0.0.1:{receiver.port}/hook")
        for i in range(orders):
            with uow_factory() as uow:
                takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
                    platform_id=made.id, target_type="url", target_value=f"https://platform.example/v/{i}",
                    category="csam"))
        pool = [Worker(uow_factory, worker_id=f"bench-{n}") for n in range(workers)]
        started = time.perf_counter()

        def drain(w: Worker):
            while w.run_once(limit=20):
                pass

        threads = [threading.Thread(target=drain, args=(w,)) for w in pool]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
        with uow_factory() as uow:
            delivered = uow.session.scalar(select(func.count()).select_from(WebhookDelivery)
                                           .where(WebhookDelivery.platform_id == made.id,
                                                  WebhookDelivery.delivered_at.is_not(None)))
    finally:
        receiver.stop()
    return {"deliveries": delivered, "received": receiver.count, "per_second": delivered / seconds if seconds else 0}


def _meter(pid, label) -> CpuMeter:
    meter = CpuMeter(pid, postgres=label == "postgresql")
    meter.start()
    return meter


def bench_one(label: str, url: str, *, reports: int, concurrency: int, workers: int, data_dir: str,
              orders: int) -> dict:
    engine = make_engine(url, pool_size=5, max_overflow=5) if not url.startswith("sqlite") else make_engine(url)
    upgrade(engine)
    # Webhooks first, on a database whose only ready jobs are the deliveries: the reports below enqueue jobs of
    # their own (triage fallback, linking...) that a worker would otherwise run in the measured time.
    hooks = bench_webhooks(engine, orders=orders, workers=2)
    with _uow_factory(engine)() as uow:
        key = platforms.create_platform(uow=uow, name=f"Bench {label}").api_key
    warm = requests_for(key, 0, WARMUP, seed=1)
    timed = requests_for(key, 0, reports, seed=2)
    with running_server(database_url=url, data_dir=data_dir, workers=workers,
                        extra_env={"SAFE4C_WORKER_IN_PROCESS": "false"}) as served:
        port, pid = served
        run_load("127.0.0.1", port, warm, total=len(warm), concurrency=concurrency)
        meter = _meter(pid, label)
        result = run_load("127.0.0.1", port, timed, total=len(timed), concurrency=concurrency)
        server_cpu, db_cpu = meter.stop()
        replay = run_load("127.0.0.1", port, timed[: reports // 5], total=reports // 5, concurrency=concurrency)
    with engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(PlatformReport))
    engine.dispose()
    created = result.statuses.get(201, 0)
    return {
        "server_cpu_ms": server_cpu * 1000 / reports if server_cpu is not None else None,
        "db_cpu_ms": db_cpu * 1000 / reports if db_cpu is not None else None,
        "database": label, "per_second": len(result.latencies) / result.seconds if result.seconds else 0.0,
        "p50_ms": result.percentile(0.50) * 1000, "p99_ms": result.percentile(0.99) * 1000,
        "created": created, "errors": sum(v for k, v in result.statuses.items() if k != 201),
        "replayed_200": replay.statuses.get(200, 0), "replay_errors": sum(v for k, v in replay.statuses.items() if k != 200),
        "exactly_once": stored == WARMUP + created,
        "webhooks_per_second": hooks["per_second"], "webhooks": hooks["deliveries"],
        "webhooks_ok": hooks["deliveries"] == orders == hooks["received"],
    }


def _ms(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def run(*, reports: int, concurrency: int, workers: int, database_url: str | None, orders: int = 1000) -> int:
    with bench_databases(database_url) as (data_dir, targets):
        rows = [bench_one(label, url, reports=reports, concurrency=concurrency, workers=workers, data_dir=data_dir,
                          orders=orders) for label, url in targets]
    print(f"platform API benchmark: {reports} CyberTipline-shaped reports with unique Idempotency-Keys after "
          f"{WARMUP} warm-up, then {reports // 5} replays; {concurrency} connections, {workers} web processes, "
          f"{os.cpu_count()} cores (load generator on the same machine); {orders} webhook deliveries by 2 worker "
          f"threads to a receiver on 127.0.0.1")
    print(f"{'database':<11}{'reports/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'201s':>7}{'errors':>7}{'replay 200s':>12}"
          f"  {'exactly once':<13}{'webhooks/s':>11}{'server CPU ms/report':>22}{'db CPU ms/report':>18}")
    for r in rows:
        print(f"{r['database']:<11}{r['per_second']:>10.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['created']:>7}"
              f"{r['errors']:>7}{r['replayed_200']:>12}  {'yes' if r['exactly_once'] else 'NO':<13}"
              f"{r['webhooks_per_second']:>11.0f}{_ms(r['server_cpu_ms']):>22}{_ms(r['db_cpu_ms']):>18}")
    ok = all(r["exactly_once"] and not r["errors"] and not r["replay_errors"] and r["webhooks_ok"] for r in rows)
    return 0 if ok else 1
