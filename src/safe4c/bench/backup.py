"""`safe4c bench backup`: what a copy of a live SQLite database keeps, by `cp` and by the online backup API.

Writer threads store reports through intake (each one acknowledged only after its commit) while the database
is copied a few times: with `cp safe4c.db` (the file an operator sees), with `cp safe4c.db safe4c.db-wal`
(one file after the other), and with ``safe4c backup``'s online backup. For each copy it counts the reports
acknowledged before the copy started that the copy does not hold, and whether the copy passes SQLite's
integrity check. The figure in docs/operations.md comes from here.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

METHODS = ("cp safe4c.db", "cp safe4c.db safe4c.db-wal", "online backup (safe4c backup)")


def run(*, copies: int = 5, writers: int = 2) -> int:
    from safe4c.kernel.clock import SystemClock
    from safe4c.kernel.settings import Settings
    from safe4c.db.backup import backup_sqlite
    from safe4c.db.migrate import upgrade
    from safe4c.db.session import make_engine
    from safe4c.reports.rules.report import parse_report
    from safe4c.reports import intake
    from safe4c.kernel.uow import UowFactory

    tmp = Path(tempfile.mkdtemp(prefix="safe4c-bench-backup-"))
    try:
        settings = Settings(data_dir=tmp, secret_key="bench-secret-not-for-production", worker_in_process=False)
        engine = make_engine(settings.resolved_database_url)
        upgrade(engine)
        factory = UowFactory(engine, settings, SystemClock())
        db = tmp / "safe4c.db"
        acknowledged: list[str] = []
        lock, stop = threading.Lock(), threading.Event()
        report = parse_report({"situations": ["sextortion"], "accounts": ["@orang.asing", "0812-0000-1111"],
                               "story": "Dia mengancam menyebarkan foto kalau saya tidak membayar."})

        def write() -> None:
            while not stop.is_set():
                with factory() as uow:
                    receipt = intake.submit_report(uow=uow, report=report, channel="web", language="id")
                with lock:
                    acknowledged.append(receipt.report_id)

        threads = [threading.Thread(target=write, daemon=True) for _ in range(writers)]
        for t in threads:
            t.start()
        totals = {m: [0, 0, 0] for m in METHODS}  # acknowledged before, missing, failed integrity checks
        try:
            while len(acknowledged) < 200:
                time.sleep(0.05)
            for n in range(copies):
                for m, method in enumerate(METHODS):
                    out = tmp / f"copy-{n}-{m}"
                    out.mkdir()
                    with lock:
                        before = set(acknowledged)
                    if m == 0:
                        subprocess.run(["cp", str(db), str(out / "safe4c.db")], check=True)
                    elif m == 1:
                        subprocess.run(["cp", str(db), f"{db}-wal", str(out)], check=True)
                    else:
                        backup_sqlite(engine, out / "safe4c.db")
                    missing, intact = _check(out / "safe4c.db", before)
                    totals[method][0] += len(before)
                    totals[method][1] += missing
                    totals[method][2] += not intact
                time.sleep(0.5)
        finally:
            stop.set()
            for t in threads:
                t.join()
        print(f"{copies} copies per method while {writers} writers stored reports ({len(acknowledged):,} in all)")
        print("summed over the copies: reports acknowledged before each copy started, those the copy lacks, and "
              "copies that fail SQLite's integrity check")
        print(f"{'method':<32} {'acknowledged before copy':>25} {'missing in copy':>16} {'corrupt':>8}")
        for method, (before, missing, corrupt) in totals.items():
            print(f"{method:<32} {before:>25,} {missing:>16,} {corrupt:>8}")
        engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _check(path: Path, acknowledged: set[str]) -> tuple[int, bool]:
    """(acknowledged reports the copy lacks, whether it passes the integrity check); an unreadable copy
    lacks them all."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            intact = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            held = {row[0] for row in conn.execute("SELECT public_id FROM reports")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return len(acknowledged), False
    return len(acknowledged - held), intact
