"""`safe4c bench intake`: N reports through the HTTP API, on SQLite and on PostgreSQL, side by side.

Prints reports/s, p50 and p99 latency, and checks durability: every report acknowledged with 201
is counted in the database afterwards. On PostgreSQL the served rounds alternate with a bare loop of the same
rows (bench/bare.py), and the served rate is printed as a share of the bare one.
"""

from __future__ import annotations

import json
import os
import random

from sqlalchemy import func, select

from safe4c.db.migrate import upgrade
from safe4c.db.session import make_engine
from safe4c.db.tables import Job, Report
from safe4c.kernel import regions
from safe4c.bench.bare import bare_loop
from safe4c.bench.cpu import CpuMeter, cpu_seconds
from safe4c.bench.databases import backends, bench_databases, named
from safe4c.bench.loadgen import LoadResult, post_request, run_load
from safe4c.bench.server import running_server

WARMUP = 300


def sample_bodies(n: int = 64, seed: int = 7, addresses: int = 0) -> list[bytes]:
    """``n`` different reports; with ``addresses``, sent from that many clients through a proxy (one
    X-Forwarded-For address each, cycling over the reports)."""
    rng = random.Random(seed)
    situations = ["grooming", "sextortion", "image_sharing", "unwanted_content", "gaming", "trafficking"]
    provinces = regions.provinces()
    bodies = []
    for i in range(n):
        province = rng.choice(provinces).code
        report = {
            "situations": rng.sample(situations, k=rng.randint(1, 2)),
            "story": "Dia terus mengirim pesan dan meminta foto. Saya takut dan tidak tahu harus bagaimana. " * 3,
            "platforms": rng.sample(["instagram", "whatsapp", "tiktok", "telegram"], k=2),
            "accounts": [f"@akun_{i}", f"0812{rng.randint(10000000, 99999999)}"],
            "when": "this_week",
            "province_code": province,
            "regency_code": rng.choice(regions.regencies(province)).code,
            "age_band": "13_15",
            "reporter_role": "child",
            "urgent_signals": ["threat_deadline"] if i % 5 == 0 else [],
            "contact_method": "none",
        }
        bodies.append(json.dumps(report).encode())
    if not addresses:
        return [post_request("/api/v1/public/reports", body) for body in bodies]
    return [post_request("/api/v1/public/reports", bodies[i % n],
                         {"X-Forwarded-For": f"203.0.{i // 256 % 256}.{i % 256}"}) for i in range(max(n, addresses))]


def bench_one(label: str, url: str, *, reports: int, concurrency: int, workers: int, data_dir: str,
              rate_limit: int, addresses: int, rounds: int) -> dict:
    engine = make_engine(url, pool_size=2, max_overflow=0) if not url.startswith("sqlite") else make_engine(url)
    upgrade(engine)
    bodies = sample_bodies(addresses=addresses)
    # The web processes only acknowledge reports; the background work intake enqueues (linking, matching)
    # waits for `safe4c worker` processes, as in a deployment at this rate. It is counted afterwards.
    # The shared limiter counts every report (one upsert in the report's transaction) at a limit set high
    # enough never to refuse one; the load generator is the trusted proxy when it sends X-Forwarded-For.
    env = {"SAFE4C_WORKER_IN_PROCESS": "false", "SAFE4C_PUBLIC_RATE_LIMIT_PER_MINUTE": str(rate_limit),
           "SAFE4C_TRUSTED_PROXIES": "127.0.0.1" if addresses else ""}
    bare = []
    pg = label == "postgresql"
    # On PostgreSQL the database CPU counted is that of the server's own connections and the bare loop's, told
    # apart by application_name: other work on the same database server is not counted.
    served_url = named(url, "safe4c-bench-served") if pg else url
    served_db = (lambda: backends(engine, "safe4c-bench-served")) if pg else False

    def run_bare():
        return bare_loop(named(url, "safe4c-bench-bare"), reports=reports, concurrency=concurrency,
                         db_pids=lambda: backends(engine, "safe4c-bench-bare"))

    served, round_seconds = LoadResult(), []
    server_cpu = db_cpu = loadgen_cpu = 0.0
    with running_server(database_url=served_url, data_dir=data_dir, workers=workers, extra_env=env) as (port, pid):
        # What the server stored is counted around each of its runs: the bare loop writes into the same tables.
        stored = queued = 0

        def serve(total: int) -> LoadResult:
            nonlocal stored, queued
            rows_before, jobs_before = _counts(engine)
            result = run_load("127.0.0.1", port, bodies, total=total, concurrency=concurrency)
            rows_after, jobs_after = _counts(engine)
            stored, queued = stored + rows_after - rows_before, queued + jobs_after - jobs_before
            return result

        serve(WARMUP)
        # The machine's speed drifts (other work, a virtual machine's neighbours): the served rounds alternate
        # with the bare loop (while the server waits idle), and each round is compared with the bare loops just
        # before and after it, so drift weighs on both sides alike.
        if pg:
            bare.append(run_bare())
        for _ in range(rounds):
            meter = CpuMeter(pid, postgres=served_db)
            meter.start()
            own = cpu_seconds([os.getpid()])
            result = serve(reports)
            loadgen_cpu += cpu_seconds([os.getpid()]) - own
            spent = meter.stop()
            server_cpu, db_cpu = server_cpu + spent[0], db_cpu + spent[1]
            served.add(result)
            round_seconds.append(result.seconds)
            if pg:
                bare.append(run_bare())
    engine.dispose()
    acknowledged = served.statuses.get(201, 0)
    total = reports * rounds
    bare_rows = [_bare_row(*b, reports=reports) for b in bare]
    round_rates = [reports / seconds for seconds in round_seconds] if pg else []
    return {
        "bare": bare_rows,
        # each round's rate against the mean of the bare loops just before and after it
        "round_shares": [rate / ((bare_rows[n]["per_second"] + bare_rows[n + 1]["per_second"]) / 2)
                         for n, rate in enumerate(round_rates)],
        "database": label, "reports": total, "concurrency": concurrency, "workers": workers,
        "per_second": len(served.latencies) / served.seconds if served.seconds else 0.0,
        "p50_ms": served.percentile(0.50) * 1000, "p99_ms": served.percentile(0.99) * 1000,
        "acknowledged": acknowledged, "errors": sum(v for k, v in served.statuses.items() if k != 201),
        "durable": stored == WARMUP + acknowledged,
        "server_cpu_ms": server_cpu * 1000 / total, "db_cpu_ms": db_cpu * 1000 / total, "queued": queued,
        "loadgen_cpu_ms": loadgen_cpu * 1000 / total,
    }


def _counts(engine) -> tuple[int, int]:
    """Reports stored, and jobs waiting for a worker."""
    with engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(Report)),
                conn.scalar(select(func.count()).select_from(Job).where(Job.done_at.is_(None))))


def _bare_row(result, own_cpu: float, db_cpu: float, *, reports: int) -> dict:
    return {"per_second": len(result.latencies) / result.seconds if result.seconds else 0.0,
            "p50_ms": result.percentile(0.50) * 1000, "p99_ms": result.percentile(0.99) * 1000,
            "client_cpu_ms": own_cpu * 1000 / reports, "db_cpu_ms": db_cpu * 1000 / reports}


def run(*, reports: int, concurrency: int, workers: int, database_url: str | None, rate_limit: int = 10**9,
        addresses: int = 1000, rounds: int = 3) -> int:
    with bench_databases(database_url) as (data_dir, targets):
        rows = [bench_one(label, url, reports=reports, concurrency=concurrency, workers=workers, data_dir=data_dir,
                          rate_limit=rate_limit, addresses=addresses, rounds=rounds)
                for label, url in targets]
    print(f"intake benchmark: {rounds} rounds of {reports} reports after {WARMUP} warm-up, {concurrency} "
          f"connections, {workers} web processes, {os.cpu_count()} cores (load generator on the same machine)")
    sender = (f"{addresses} client addresses (X-Forwarded-For from a trusted proxy)" if addresses
              else "one client address")
    print(f"shared rate limit: {f'{rate_limit:,} per address per minute' if rate_limit else 'off'}; {sender}")
    print(f"{'database':<11}{'reports/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'201s':>8}{'errors':>8}"
          f"{'server CPU ms/report':>22}{'db CPU ms/report':>18}  durable")
    for r in rows:
        print(f"{r['database']:<11}{r['per_second']:>10.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
              f"{r['acknowledged']:>8}{r['errors']:>8}{r['server_cpu_ms']:>22.2f}{r['db_cpu_ms']:>18.2f}"
              f"  {'yes' if r['durable'] else 'NO'}")
    print("CPU per report is measured from /proc and is not distorted by other load; reports/s and latency are.")
    for r in rows:
        for n, b in enumerate(r["bare"]):
            print(f"{f'bare {n + 1}':<11}{b['per_second']:>10.0f}{b['p50_ms']:>9.1f}"
                  f"{b['p99_ms']:>9.1f}{reports:>8}{0:>8}{b['client_cpu_ms']:>22.2f}{b['db_cpu_ms']:>18.2f}  "
                  f"(psycopg, no server)")
        if r["bare"]:
            bare_rate = len(r["bare"]) * reports / sum(reports / b["per_second"] for b in r["bare"])
            shares = ", ".join(f"{share:.0%}" for share in r["round_shares"])
            print(f"{r['database']} intake / bare database loop (all rounds): {r['per_second'] / bare_rate:.0%} "
                  f"({r['per_second']:.0f} / {bare_rate:.0f} reports/s); round by round, against the bare loops "
                  f"just before and after each: {shares}")
    for r in rows:
        if r["bare"]:
            served = r["server_cpu_ms"] + r["db_cpu_ms"] + r["loadgen_cpu_ms"]
            bare_cpu = sum(b["client_cpu_ms"] + b["db_cpu_ms"] for b in r["bare"]) / len(r["bare"])
            print(f"{r['database']} CPU per report, all processes: served {served:.2f} ms (server "
                  f"{r['server_cpu_ms']:.2f} + database {r['db_cpu_ms']:.2f} + load generator "
                  f"{r['loadgen_cpu_ms']:.2f}), bare {bare_cpu:.2f} ms: where CPU is what runs out (an idle "
                  f"machine), served/bare rate is about {bare_cpu / served:.0%}")
    print("bare: the same rows (report + its job, one transaction each) from the same number of connections, by "
          "psycopg on asyncio without HTTP, framework or SQLAlchemy, run before the first served round and after "
          "each; the server CPU column is the loop's own.")
    for r in rows:
        print(f"{r['database']}: {r['queued']} background jobs (linking, matching) queued for `safe4c worker`")
    if len(rows) == 2 and rows[0]["per_second"]:
        print(f"ratio postgresql/sqlite throughput: {rows[1]['per_second'] / rows[0]['per_second']:.2f}")
    return 0 if all(r["durable"] and not r["errors"] for r in rows) else 1
