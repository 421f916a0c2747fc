"""`safe4c bench link --reports N`: how fast reports are linked into networks, and the memory it takes.

Two runs, printed separately:

1. **core (in memory)**: the linker core (``networks/rules/linker.py``, union-find over identifier keys) on N
   synthetic reports with 3 identifier keys each (3N in all), key strings shaped like the real ones
   (``phone:+62812...``, ``tg_invite:...``, ``md5:...``). About 1 key in 10 is drawn from a shared pool, so
   networks form (and some grow large), the rest are seen once. Generation is done in batches and not timed;
   linking is. Peak memory is the process's maximum resident set size.
2. **database**: the real job (``networks/linking.link_report``: extraction from the accounts field and the
   story, keyed hashes, sealed values, clusters and links in the database, urgency check) on
   ``--db-reports`` reports stored first through intake, on a temporary SQLite file, or in a fresh schema on
   the ``--database-url`` PostgreSQL server (dropped afterwards: a benchmark never writes into a database it did
   not create). This is what the worker does per report.
3. **bulk** (``--bulk-reports N``): the persisted bulk path, ``networks/rebuild.rebuild_links``
   (``safe4c link rebuild``). N synthetic reports with 3 identifiers each (the same shape as the core run)
   are written straight into ``reports``, ``link_identifiers`` and ``report_identifiers`` with bulk inserts
   (PostgreSQL ``COPY``; not timed), as if their identifiers had been extracted; then the rebuild links
   them and stores clusters, members and links, timed per phase. It runs in a fresh process (spawned), so
   its peak memory is its own. On PostgreSQL (``--database-url`` or ``SAFE4C_TEST_DATABASE_URL``) it uses
   a fresh schema, dropped afterwards; else a temporary SQLite file. ``--extract-reports M`` also measures
   the rebuild with extraction: M reports stored through intake (accounts and a story), never linked.
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from array import array
from datetime import UTC
from pathlib import Path

BATCH = 20_000
KEYS_PER_REPORT = 3
SHARED_SHARE = 0.1


def _rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _key(rng: random.Random, n: int, kind: int) -> str:
    if kind == 0:
        return f"phone:+62812{n:08d}"
    if kind == 1:
        return f"tg_invite:Inv{n:012d}"
    return f"md5:{n:032x}"


def core(reports: int, seed: int = 7) -> dict:
    from safe4c.networks.rules.linker import Linker

    rng = random.Random(seed)
    pool = max(10, reports // 10)
    unique = pool
    linker = Linker()
    linked = links = 0
    elapsed = 0.0
    done = 0
    while done < reports:
        size = min(BATCH, reports - done)
        batch = []
        for _ in range(size):
            keys = []
            for kind in range(KEYS_PER_REPORT):
                if rng.random() < SHARED_SHARE:
                    keys.append(_key(rng, rng.randrange(pool), kind))
                else:
                    unique += 1
                    keys.append(_key(rng, unique, kind))
            batch.append(keys)
        start = time.perf_counter()
        add = linker.add
        for keys in batch:
            _, found = add(keys)
            if found:
                linked += 1
                links += len(found)
        elapsed += time.perf_counter() - start
        done += size
    clusters = linker.clusters()
    sizes = sorted((len(m) for m in clusters.values()), reverse=True)
    return {"reports": reports, "identifiers": reports * KEYS_PER_REPORT, "seconds": elapsed,
            "per_second": reports / elapsed if elapsed else 0.0, "linked": linked, "links": links,
            "clusters": len(sizes), "largest": sizes[0] if sizes else 0,
            "multi": sum(1 for s in sizes if s > 1), "peak_mb": _rss_mb()}


def database(reports: int, database_url: str | None, seed: int = 7) -> dict:
    _label, url, cleanup = _fresh(database_url)
    try:
        return _database(reports, url, seed)
    finally:
        cleanup()


def _database(reports: int, url: str, seed: int) -> dict:
    from safe4c.kernel.clock import SystemClock
    from safe4c.kernel.settings import Settings
    from safe4c.db.migrate import upgrade
    from safe4c.db.session import make_engine, make_session_factory
    from safe4c.reports.rules.report import parse_report
    from safe4c.reports import intake
    from safe4c.networks import linking
    from safe4c.kernel.uow import Context, UnitOfWork

    settings = Settings(database_url=url, secret_key="bench-secret-not-for-production", worker_in_process=False,
                        match_at_intake=False)  # the secret is given: nothing is written to a data folder
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    ctx = Context.build(settings, SystemClock())
    rng = random.Random(seed)
    pool = max(10, reports // 10)
    ids = []
    with UnitOfWork(factory, ctx) as uow:
        for i in range(reports):
            def pick(kind):
                n = rng.randrange(pool) if rng.random() < SHARED_SHARE * 3 else pool + i
                return n, kind
            phone, _ = pick(0)
            invite, _ = pick(1)
            digest, _ = pick(2)
            report = parse_report({
                "situations": ["grooming"], "platforms": ["instagram"],
                "accounts": [f"0812{phone:08d}", f"@akun.{i}"],
                "story": f"Dia kirim link https://t.me/+Inv{invite:012d} dan file md5 {digest:032x}.",
            })
            rid, _ = intake.stage_report(uow=uow, report=report, channel="api", language="id")
            ids.append(rid)
            if i % 500 == 499:
                uow.commit()
        uow.commit()
    start = time.perf_counter()
    for rid in ids:
        with UnitOfWork(factory, ctx) as uow:
            linking.link_report(uow=uow, report_id=rid)
    elapsed = time.perf_counter() - start
    with UnitOfWork(factory, ctx) as uow:
        from sqlalchemy import func, select

        from safe4c.db.linking import Cluster, ClusterLink
        clusters = uow.session.scalar(select(func.count()).select_from(Cluster).where(Cluster.merged_into.is_(None)))
        links = uow.session.scalar(select(func.count()).select_from(ClusterLink))
    engine.dispose()
    return {"reports": reports, "seconds": elapsed, "per_second": reports / elapsed if elapsed else 0.0,
            "clusters": clusters, "links": links, "backend": url.split(":", 1)[0]}


def _synthetic_edges(reports: int, seed: int = 7):
    """(report number, identifier id, kind) for ``reports`` reports, 3 identifiers each, 1 in 10 drawn from a
    shared pool (ids 1..3*pool), the others seen once; and how many reports hold each shared identifier."""
    rng = random.Random(seed)
    pool = max(10, reports // 10)
    rep, ident, kind_of = array("q"), array("q"), array("b")
    shared = array("q", bytes(8 * (3 * pool + 1)))
    unique = 3 * pool
    rnd, randrange = rng.random, rng.randrange
    for r in range(reports):
        for kind in range(KEYS_PER_REPORT):
            if rnd() < SHARED_SHARE:
                i = kind * pool + randrange(pool) + 1
                shared[i] += 1
            else:
                unique += 1
                i = unique
            rep.append(r)
            ident.append(i)
            kind_of.append(kind)
    return rep, ident, kind_of, shared, pool, unique


def _populate(url: str, reports: int) -> dict:
    """Reports and their extracted identifiers written in bulk (not the intake path: only what linking reads)."""
    import uuid
    from datetime import datetime

    from safe4c.db.linking import LinkIdentifier, ReportIdentifier
    from safe4c.db.migrate import upgrade
    from safe4c.db.session import make_engine
    from safe4c.db.tables import Report
    from safe4c.db.bulk import db_value as _db_value, bulk_insert

    engine = make_engine(url) if url.startswith("sqlite") else make_engine(url, pool_size=1, max_overflow=0)
    upgrade(engine)
    start = time.perf_counter()
    rep, ident, kind_of, shared, pool, _unique = _synthetic_edges(reports)
    now = datetime.now(UTC)
    kinds = ("phone", "tg_invite", "md5")
    with engine.begin() as conn:
        at = _db_value(conn, Report.__table__.c.received_at, now)
        rows = ((r + 1, str(uuid.UUID(int=r + 1)), "api", at, "id", '["grooming"]', '["instagram"]', '[]',
                 "none", False, f"{r + 1:064x}", "new", "P3", "[]", at, at, at) for r in range(reports))
        bulk_insert(conn, Report.__table__, ["id", "public_id", "channel", "received_at", "language", "situations",
                                             "platforms", "urgent_signals", "contact_method",
                                             "consent_services", "followup_hash", "status", "priority",
                                             "triage_reasons", "deadline_at", "triaged_at", "updated_at"], rows)
        placeholder = b"\x00"  # the sealed key: never read by linking

        # unique identifiers got consecutive ids in the order of their edges
        unique_kind = array("b", (k for k, i in zip(kind_of, ident) if i > 3 * pool))

        def identifier_rows():
            for i in range(1, 3 * pool + 1):
                if shared[i]:
                    kind = kinds[(i - 1) // pool]
                    digest = f"{i:064x}"
                    yield i, digest, kind, None, placeholder, digest if kind == "md5" else None, True, shared[i], at
            for n, k in enumerate(unique_kind):
                i = 3 * pool + 1 + n
                digest = f"{i:064x}"
                yield i, digest, kinds[k], None, placeholder, digest if k == 2 else None, True, 1, at

        identifiers_written = bulk_insert(conn, LinkIdentifier.__table__,
                                          ["id", "key_hash", "kind", "platform", "value_sealed", "signal_key", "linking",
                                           "report_count", "first_seen_at"], identifier_rows())
        bulk_insert(conn, ReportIdentifier.__table__, ["report_id", "identifier_id", "kind", "source", "cut"],
                    ((r + 1, i, kinds[k], "accounts", False) for r, i, k in zip(rep, ident, kind_of)))
        if conn.dialect.name == "postgresql":
            from sqlalchemy import text

            for table in ("reports", "link_identifiers"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT MAX(id) FROM {table}))"))
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"edges": len(rep), "identifiers": identifiers_written, "seconds": time.perf_counter() - start}


def _rebuild_child(url: str, batch_size: int, queue) -> None:
    """In a spawned process: the rebuild alone, with its own peak memory."""
    from safe4c.kernel.clock import SystemClock
    from safe4c.kernel.settings import Settings
    from safe4c.db.session import make_engine, make_session_factory
    from safe4c.networks.rebuild import rebuild_links
    from safe4c.kernel.uow import Context, UnitOfWork

    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="safe4c-bench-link-")), database_url=url,
                        secret_key="bench-secret-not-for-production", worker_in_process=False)
    engine = make_engine(url) if url.startswith("sqlite") else make_engine(url, pool_size=1, max_overflow=0)
    factory = make_session_factory(engine)
    ctx = Context.build(settings, SystemClock())
    base = _rss_mb()
    start = time.perf_counter()
    r = rebuild_links(uow_factory=lambda: UnitOfWork(factory, ctx), batch_size=batch_size)
    wall = time.perf_counter() - start
    engine.dispose()
    queue.put({"wall": wall, "phases": r.seconds, "reports": r.reports, "edges": r.edges, "links": r.links,
               "clusters": r.clusters, "multi": r.multi, "largest": r.largest, "extracted": r.extracted,
               "new_identifiers": r.new_identifiers, "raised": r.raised, "linked_events": r.linked_events,
               "peak_mb": _rss_mb(), "base_mb": base})


def _run_child(url: str, batch_size: int) -> dict:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_rebuild_child, args=(url, batch_size, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def _target(database_url: str | None):
    """(label, url, cleanup): a fresh PostgreSQL schema if a PostgreSQL URL is known, else a SQLite file."""
    import os

    return _fresh(database_url or os.environ.get("SAFE4C_TEST_DATABASE_URL"))


def _fresh(database_url: str | None):
    """(label, url, cleanup): never the given database itself. A PostgreSQL URL names the server: a fresh schema
    is made in it and dropped afterwards; anything else runs on a temporary SQLite file, deleted afterwards."""
    import shutil

    if database_url and database_url.startswith("postgresql"):
        from safe4c.bench.databases import drop_schema, pg_schema

        admin, schema, url = pg_schema(database_url, prefix="bench_link")
        return "postgresql", url, lambda: drop_schema(admin, schema)
    tmp = tempfile.mkdtemp(prefix="safe4c-bench-link-")
    return "sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", lambda: shutil.rmtree(tmp, ignore_errors=True)


def _print_rebuild(label: str, r: dict, what: str) -> None:
    phases = ", ".join(f"{name} {sec:.1f} s" for name, sec in r["phases"].items())
    print(f"bulk rebuild ({label}, networks/rebuild.py, one transaction): {what}: {r['reports']:,} reports "
          f"with {r['edges']:,} identifiers linked and stored in {r['wall']:.1f} s = "
          f"{r['reports'] / r['wall']:,.0f} reports/s; {r['clusters']:,} networks ({r['multi']:,} with 2+ "
          f"reports, largest {r['largest']:,}), {r['links']:,} links, {r['linked_events']:,} linked events, "
          f"{r['raised']:,} raised; peak memory of the rebuild process (max RSS) {r['peak_mb']:,.0f} MB")
    print(f"  where the time goes: {phases}")


def bulk(reports: int, database_url: str | None, batch_size: int = 20_000) -> None:
    label, url, cleanup = _target(database_url)
    try:
        p = _populate(url, reports)
        print(f"bulk ({label}): populated {reports:,} reports, {p['edges']:,} report identifiers, "
              f"{p['identifiers']:,} distinct identifiers with bulk inserts in {p['seconds']:.1f} s (not timed)")
        _print_rebuild(label, _run_child(url, batch_size), "stored identifiers")
    finally:
        cleanup()


def bulk_extract(reports: int, database_url: str | None, batch_size: int = 20_000) -> None:
    """Reports stored through intake and never linked: the rebuild extracts their identifiers too."""
    from safe4c.kernel.clock import SystemClock
    from safe4c.kernel.settings import Settings
    from safe4c.db.migrate import upgrade
    from safe4c.db.session import make_engine, make_session_factory
    from safe4c.reports.rules.report import parse_report
    from safe4c.reports import intake
    from safe4c.kernel.uow import Context, UnitOfWork

    label, url, cleanup = _target(database_url)
    try:
        engine = make_engine(url) if url.startswith("sqlite") else make_engine(url, pool_size=1, max_overflow=0)
        upgrade(engine)
        settings = Settings(data_dir=Path(tempfile.mkdtemp()), database_url=url,
                            secret_key="bench-secret-not-for-production", worker_in_process=False,
                            match_at_intake=False)
        factory = make_session_factory(engine)
        ctx = Context.build(settings, SystemClock())
        rng = random.Random(3)
        pool = max(10, reports // 10)
        with UnitOfWork(factory, ctx) as uow:
            for i in range(reports):
                pick = [rng.randrange(pool) if rng.random() < SHARED_SHARE * 3 else pool + i for _ in range(3)]
                report = parse_report({
                    "situations": ["grooming"], "platforms": ["instagram"],
                    "accounts": [f"0812{pick[0]:08d}", f"@akun.{i}"],
                    "story": f"Dia kirim link https://t.me/+Inv{pick[1]:012d} dan file md5 {pick[2]:032x}.",
                })
                intake.stage_report(uow=uow, report=report, channel="api", language="id")
                if i % 2000 == 1999:
                    uow.commit()
            uow.commit()
        engine.dispose()
        _print_rebuild(label, _run_child(url, batch_size), "with extraction (accounts and story, as the job)")
    finally:
        cleanup()


def run(*, reports: int, db_reports: int, database_url: str | None, bulk_reports: int = 0,
        extract_reports: int = 0) -> int:
    if bulk_reports > 0:
        bulk(bulk_reports, database_url)
    if extract_reports > 0:
        bulk_extract(extract_reports, database_url)
    if bulk_reports > 0 or extract_reports > 0:
        return 0
    print(f"linking benchmark: {reports:,} reports, {KEYS_PER_REPORT} identifiers each")
    c = core(reports)
    print(f"core (in memory, networks/rules/linker.py): {c['reports']:,} reports with {c['identifiers']:,} identifiers "
          f"linked in {c['seconds']:.1f} s = {c['per_second']:,.0f} reports/s; {c['linked']:,} reports joined "
          f"an earlier one by {c['links']:,} links; {c['clusters']:,} clusters ({c['multi']:,} with 2+ reports, "
          f"largest {c['largest']:,}); peak memory (max RSS) {c['peak_mb']:,.0f} MB")
    if db_reports > 0:
        d = database(db_reports, database_url)
        print(f"database ({d['backend']}, networks/linking.link_report, one transaction per report): "
              f"{d['reports']:,} reports linked in {d['seconds']:.1f} s = {d['per_second']:,.0f} reports/s; "
              f"{d['clusters']:,} clusters, {d['links']:,} links")
    return 0
