"""`safe4c bench link --reports N`: how fast reports are linked into networks, and the memory it takes.

Two runs, printed separately:

1. **core (in memory)**: the linker core (``domain/linker.py``, union-find over identifier keys) on N
   synthetic reports with 3 identifier keys each (3N in all), key strings shaped like the real ones
   (``phone:+62812...``, ``tg_invite:...``, ``md5:...``). About 1 key in 10 is drawn from a shared pool, so
   networks form (and some grow large), the rest are seen once. Generation is done in batches and not timed;
   linking is. Peak memory is the process's maximum resident set size.
2. **database**: the real job (``services/linking.link_report``: extraction from the accounts field and the
   story, keyed hashes, sealed values, clusters and links in the database, urgency check) on
   ``--db-reports`` reports stored first through intake, on a temporary SQLite file, or on
   ``--database-url`` (PostgreSQL). This is what the worker does per report.
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
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
    from ..domain.linker import Linker

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
    from ..clock import SystemClock
    from ..config import Settings
    from ..db.migrate import upgrade
    from ..db.session import make_engine, make_session_factory
    from ..domain.report import parse_report
    from ..services import intake, linking
    from ..services.uow import Context, UnitOfWork

    tmp = tempfile.mkdtemp(prefix="safe4c-bench-link-")
    url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    settings = Settings(data_dir=Path(tmp), database_url=url, secret_key="bench-secret-not-for-production",
                        worker_in_process=False, match_at_intake=False)
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

        from ..db.linking import Cluster, ClusterLink
        clusters = uow.session.scalar(select(func.count()).select_from(Cluster).where(Cluster.merged_into.is_(None)))
        links = uow.session.scalar(select(func.count()).select_from(ClusterLink))
    engine.dispose()
    return {"reports": reports, "seconds": elapsed, "per_second": reports / elapsed if elapsed else 0.0,
            "clusters": clusters, "links": links, "backend": url.split(":", 1)[0]}


def run(*, reports: int, db_reports: int, database_url: str | None) -> int:
    print(f"linking benchmark: {reports:,} reports, {KEYS_PER_REPORT} identifiers each")
    c = core(reports)
    print(f"core (in memory, domain/linker.py): {c['reports']:,} reports with {c['identifiers']:,} identifiers "
          f"linked in {c['seconds']:.1f} s = {c['per_second']:,.0f} reports/s; {c['linked']:,} reports joined "
          f"an earlier one by {c['links']:,} links; {c['clusters']:,} clusters ({c['multi']:,} with 2+ reports, "
          f"largest {c['largest']:,}); peak memory (max RSS) {c['peak_mb']:,.0f} MB")
    if db_reports > 0:
        d = database(db_reports, database_url)
        print(f"database ({d['backend']}, services/linking.link_report, one transaction per report): "
              f"{d['reports']:,} reports linked in {d['seconds']:.1f} s = {d['per_second']:,.0f} reports/s; "
              f"{d['clusters']:,} clusters, {d['links']:,} links")
    return 0
