"""`safe4c bench stats [--reports N] [--database-url URL]`: how fast the statistics pages answer over N reports,
and whether every figure equals a direct recount.

The benchmark makes its own database and never writes into one it did not create: on the PostgreSQL server
named by ``--database-url`` (or SAFE4C_TEST_DATABASE_URL, SAFE4C_DATABASE_URL) a new database ``safe4c_bench_stats_<random>``, else a
temporary SQLite file; it is dropped afterwards unless ``--keep``. ``--reuse NAME`` runs again on a database
kept earlier (a ``safe4c_bench_stats_`` database on that server, or the kept SQLite file's path), so a million
reports are generated once. Steps: migrate; generate N reports (``safe4c demo --reports``, demo/bulk.py) unless
reused; bring the rollups current (``statistics.rollups.refresh``); then GET each page of
``statistics.PAGES`` through the real app in-process, signed in as an administrator: the first request of a
fresh app (cold) and the median of ``--runs`` more (warm); then one more report, a refresh, and each page once
(new figures: the pages cache by the rollups' version); last, ``statistics.recount.differences``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

PREFIX = "safe4c_bench_stats_"
SECRET = "bench-secret-not-for-production"  # fixed, so a kept database opens again with --reuse
USERNAME, PASSWORD = "bench-stats", "bench-stats-password-not-for-production"
TARGET_SECONDS = 1.0


@dataclass
class Target:
    label: str
    url: str
    drop: object  # a callable, or None to keep the database
    where: str  # what to print: the database's name or file


def _target(database_url: str | None, *, keep: bool, reuse: str | None) -> Target:
    if database_url and database_url.startswith("postgresql"):
        server = make_url(database_url)
        name = reuse or f"{PREFIX}{uuid.uuid4().hex[:8]}"
        if not re.fullmatch(rf"{PREFIX}[a-z0-9_]+", name):
            raise SystemExit(f"--reuse takes a database this benchmark made and kept ({PREFIX}...), not {name!r}")
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if reuse and not exists:
                admin.dispose()
                raise SystemExit(f"no database {name} on that server to reuse")
            if not reuse:
                conn.execute(text(f'CREATE DATABASE "{name}"'))

        def drop():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        url = server.set(database=name).render_as_string(hide_password=False)
        return Target("postgresql", url, None if keep or reuse else drop, name)
    if reuse:
        path = Path(reuse)
        if not (path.name == "bench.db" and path.parent.name.startswith("safe4c-bench-stats-") and path.exists()):
            raise SystemExit("--reuse on SQLite takes the path of a kept bench.db (printed by --keep)")
        return Target("sqlite", f"sqlite:///{path}", None, str(path))
    folder = Path(tempfile.mkdtemp(prefix="safe4c-bench-stats-"))
    path = folder / "bench.db"
    return Target("sqlite", f"sqlite:///{path}", None if keep else lambda: shutil.rmtree(folder, ignore_errors=True),
                  str(path))


def _sign_in(client) -> None:
    form = client.get("/staff/login")
    csrf = re.search(r'name="csrf" value="([^"]*)"', form.text).group(1)
    answer = client.post("/staff/login", data={"username": USERNAME, "password": PASSWORD, "csrf": csrf},
                         follow_redirects=False)
    if answer.status_code != 303:
        raise RuntimeError(f"the benchmark's staff user could not sign in ({answer.status_code})")


def _time(client, path: str) -> tuple[float, int, int]:
    start = time.perf_counter()
    answer = client.get(path)
    return time.perf_counter() - start, answer.status_code, len(answer.content)


def measure(*, reports: int, database_url: str | None, runs: int = 5, keep: bool = False,
            reuse: str | None = None, progress: bool = True) -> dict:
    """The figures as a dict (the test reads them); ``run`` prints them."""
    from fastapi.testclient import TestClient

    from safe4c import statistics
    from safe4c.access import accounts
    from safe4c.db.migrate import upgrade
    from safe4c.db.session import make_engine
    from safe4c.db.tables import Report, StaffUser
    from safe4c.demo.bulk import generate
    from safe4c.kernel.clock import SystemClock
    from safe4c.kernel.settings import Settings
    from safe4c.kernel.uow import UowFactory
    from safe4c.statistics import recount, rollups
    from safe4c.web.app import create_app

    target = _target(database_url, keep=keep, reuse=reuse)
    data_dir = Path(tempfile.mkdtemp(prefix="safe4c-bench-stats-data-"))
    out: dict = {"backend": target.label, "database": target.where, "kept": target.drop is None}
    engine = make_engine(target.url) if target.label == "sqlite" else make_engine(target.url, pool_size=4)
    try:
        upgrade(engine)
        settings = Settings(data_dir=data_dir, database_url=target.url, secret_key=SECRET, worker_in_process=False,
                            public_rate_limit_per_minute=0)
        factory = UowFactory(engine, settings, SystemClock())
        with factory() as uow:
            present = uow.session.scalar(select(func.count()).select_from(Report))
            has_user = uow.session.scalar(select(StaffUser.id).where(StaffUser.username == USERNAME))
        if not has_user:
            with factory() as uow:
                accounts.create_user(uow=uow, username=USERNAME, password=PASSWORD, role="admin",
                                     display_name="Bench stats")
        out["generated"] = None
        if reports > present:
            g = generate(uow_factory=factory, reports=reports - present, progress=progress)
            out["generated"] = (g.reports, g.seconds)
        with factory() as uow:
            out["reports"] = uow.session.scalar(select(func.count()).select_from(Report))
        start = time.perf_counter()
        with factory() as uow:
            rollups.refresh(uow)
        out["refresh_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        with factory() as uow:
            rollups.refresh(uow)
        out["refresh_again_seconds"] = time.perf_counter() - start  # nothing changed: the worker's usual round
        pages = []
        with TestClient(create_app(settings, engine=engine)) as client:
            _sign_in(client)
            for path in statistics.PAGES:
                cold, status, size = _time(client, path)
                warm = [_time(client, path)[0] for _ in range(runs)]
                pages.append({"path": path, "status": status, "bytes": size, "cold": cold, "warm": median(warm)})
            # New figures in a warm process: one more report, the worker's refresh, then each page once (its
            # caches are keyed by the rollups' version, so this is what the first visitor after a change waits).
            generate(uow_factory=factory, reports=1, progress=False)
            start = time.perf_counter()
            with factory() as uow:
                rollups.refresh(uow)
            out["refresh_one_seconds"] = time.perf_counter() - start
            for page in pages:
                page["changed"] = _time(client, page["path"])[0]
        out["pages"] = pages
        start = time.perf_counter()
        with factory().reading() as uow:
            out["differences"] = recount.differences(uow)
        out["recount_seconds"] = time.perf_counter() - start
    finally:
        engine.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)
        if target.drop:
            target.drop()
    return out


def run(*, reports: int, database_url: str | None, runs: int = 5, keep: bool = False, reuse: str | None = None) -> int:
    import os

    url = database_url or os.environ.get("SAFE4C_TEST_DATABASE_URL") or os.environ.get("SAFE4C_DATABASE_URL")
    r = measure(reports=reports, database_url=url, runs=runs, keep=keep, reuse=reuse)
    print(f"statistics benchmark ({r['backend']}): {r['reports']:,} reports in {r['database']}")
    if r["generated"]:
        made, seconds = r["generated"]
        print(f"generated {made:,} reports in {seconds:.1f} s ({made / seconds:,.0f} reports/s)")
    else:
        print("reused: no reports generated")
    print(f"rollups refreshed in {r['refresh_seconds']:.2f} s; again with nothing changed "
          f"{r['refresh_again_seconds']:.2f} s; after one new report {r['refresh_one_seconds']:.2f} s")
    print("cold: the first request of a fresh app (one-time imports included); warm: the median of the next "
          f"{runs}; new figures: the first request after one new report and a refresh")
    slow = []
    for p in r["pages"]:
        flag = "" if p["status"] == 200 else f"  (HTTP {p['status']})"
        print(f"  {p['path']:<28} cold {p['cold'] * 1000:7.1f} ms  warm {p['warm'] * 1000:7.1f} ms  "
              f"new figures {p['changed'] * 1000:7.1f} ms  {p['bytes']:,} bytes{flag}")
        if p["status"] != 200 or max(p["cold"], p["warm"], p["changed"]) >= TARGET_SECONDS:
            slow.append(p["path"])
    diffs = r["differences"]
    print(f"recount ({r['recount_seconds']:.1f} s): " + ("every figure equals a direct recount" if not diffs else
          f"{len(diffs)} figures differ from a direct recount, e.g. " + "; ".join(diffs[:5])))
    print(f"pages under {TARGET_SECONDS:.0f} s: " + ("all" if not slow else f"not {', '.join(slow)}"))
    if r["kept"]:
        print(f"kept: run again with --reuse {r['database']}")
    return 0 if not slow and not diffs else 1
