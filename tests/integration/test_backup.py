"""`safe4c backup` and `safe4c restore`, the real commands, on SQLite and PostgreSQL: every table comes back
row by row, the key never travels silently apart from (or inside) the backup, and a SQLite backup taken while
reports arrive holds every report acknowledged before it started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from fresh_databases import BACKENDS, engine_for, fresh_database
from sqlalchemy import inspect, text

from safe4c.kernel.clock import SystemClock
from safe4c.kernel.settings import Settings
from safe4c.reports.rules.report import parse_report
from safe4c.kernel.keys import fingerprint, short
from safe4c.reports import intake
from safe4c.kernel.uow import UowFactory

SAFE4C = [sys.executable, "-m", "safe4c.cli"]


def run(env, *args):
    return subprocess.run([*SAFE4C, *args], env=env, capture_output=True, text=True, timeout=300)


def ok(env, *args) -> str:
    done = run(env, *args)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def env_for(url: str, data_dir) -> dict:
    return dict(os.environ, SAFE4C_DATABASE_URL=url, SAFE4C_DATA_DIR=str(data_dir), SAFE4C_SECRET_KEY="")


def every_row(url: str) -> dict[str, list[tuple]]:
    """Every table the database lists, row by row in primary-key order (bytes for binary values)."""
    engine = engine_for(url)
    out = {}
    with engine.connect() as conn:
        found = inspect(conn)
        for name in sorted(found.get_table_names()):
            key = found.get_pk_constraint(name)["constrained_columns"]
            order = ", ".join(f'"{c}"' for c in key)
            rows = conn.execute(text(f'SELECT * FROM "{name}" ORDER BY {order}'))
            out[name] = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]
    engine.dispose()
    return out


def empty_schema(url: str) -> None:
    engine = engine_for(url)
    with engine.begin() as conn:
        schema = conn.scalar(text("SELECT current_schema()"))
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


@BACKENDS
def test_a_backup_restores_every_table_row_by_row(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        env = env_for(url, tmp_path / "data")
        ok(env, "db", "upgrade")
        ok(env, "demo", "--count", "15")  # reports of every kind, platforms, orders, the hash list, audit
        ok(env, "worker", "--once")  # networks, matches
        refused = run(env, "backup", str(tmp_path / "b"))
        assert refused.returncode == 2 and "--key-to FILE" in refused.stderr and "--no-key" in refused.stderr
        inside = run(env, "backup", str(tmp_path / "b"), "--key-to", str(tmp_path / "b" / "key"))
        assert inside.returncode == 2 and "outside the backup folder" in inside.stderr

        out = ok(env, "backup", str(tmp_path / "b"), "--key-to", str(tmp_path / "key"))
        snapshot = every_row(url)
        key = (tmp_path / "data" / "secret.key").read_bytes().strip()
        assert f"key fingerprint {short(fingerprint(key))}" in out
        assert (tmp_path / "key").read_bytes().strip() == key and oct((tmp_path / "key").stat().st_mode)[-3:] == "600"
        assert not any(key in p.read_bytes() for p in (tmp_path / "b").iterdir())  # the key is never inside
        manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
        assert manifest["tables"] == {name: len(rows) for name, rows in snapshot.items()}
        # 15 demo reports, and the reports the demo cases came from
        assert manifest["tables"]["reports"] >= 15 and manifest["key_fingerprint"] == fingerprint(key)
        assert manifest["tables"]["cases"] > 0 and manifest["tables"]["agencies"] > 0

        ok(env, "demo", "--count", "4")  # the database moves on after the backup
        busy = run(env, "restore", str(tmp_path / "b"))
        assert busy.returncode == 2 and "--replace" in busy.stderr
        assert "restored" in ok(env, "restore", str(tmp_path / "b"), "--replace")
        assert every_row(url) == snapshot

        # a new machine: an empty database and no key, until the backup's key file is given
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'new' / 'safe4c.db'}"
        else:
            empty_schema(url)
        new = env_for(url, tmp_path / "new")
        nokey = run(new, "restore", str(tmp_path / "b"))
        assert nokey.returncode == 1 and "--key-from FILE" in nokey.stderr
        wrong = tmp_path / "wrong.key"
        wrong.write_text("some-other-key")
        mismatch = run(new, "restore", str(tmp_path / "b"), "--key-from", str(wrong))
        assert mismatch.returncode == 1 and "did not seal this backup" in mismatch.stderr
        ok(new, "restore", str(tmp_path / "b"), "--key-from", str(tmp_path / "key"))
        assert every_row(url) == snapshot
        assert (tmp_path / "new" / "secret.key").read_bytes().strip() == key
        ok(new, "demo", "--count", "1")  # and it runs on: the key opens the data, new ids follow the old ones


def test_a_damaged_backup_or_one_from_a_newer_version_changes_nothing(tmp_path):
    env = env_for("", tmp_path / "data")
    ok(env, "db", "upgrade")
    ok(env, "demo", "--count", "3")
    ok(env, "backup", str(tmp_path / "b"), "--no-key")
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["key"].startswith("not copied")
    target = env_for("", tmp_path / "other")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "secret.key").write_text((tmp_path / "data" / "secret.key").read_text())

    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "database.sqlite").write_bytes((tmp_path / "b" / "database.sqlite").read_bytes())
    (newer / "manifest.json").write_text(json.dumps(dict(manifest, revision="9999_future")))
    result = run(target, "restore", str(newer))
    assert result.returncode == 1 and "does not know" in result.stderr

    with (tmp_path / "b" / "database.sqlite").open("r+b") as f:
        f.seek(5000)
        f.write(b"\xff" * 16)
    result = run(target, "restore", str(tmp_path / "b"))
    assert result.returncode == 1 and "damaged" in result.stderr
    assert not (tmp_path / "other" / "safe4c.db").exists()


def test_a_sqlite_backup_taken_while_reports_arrive_holds_every_acknowledged_report(tmp_path):
    env = env_for("", tmp_path / "data")
    ok(env, "db", "upgrade")
    settings = Settings(data_dir=tmp_path / "data", secret_key="", worker_in_process=False)
    factory = UowFactory(engine_for(settings.resolved_database_url), settings, SystemClock())
    acknowledged: list[str] = []
    stop = threading.Event()

    def write() -> None:
        report = parse_report({"situations": ["grooming"], "accounts": ["@orang.asing"],
                               "story": "Dia terus mengirim pesan setiap malam."})
        while not stop.is_set():
            with factory() as uow:
                acknowledged.append(intake.submit_report(uow=uow, report=report, channel="web",
                                                         language="id").report_id)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(acknowledged) < 300:
            stop.wait(0.05)
        before = set(acknowledged)
        ok(env, "backup", str(tmp_path / "b"), "--no-key")
        after = set(acknowledged)
    finally:
        stop.set()
        writer.join()
    assert len(after) > len(before)  # reports kept arriving while the backup ran
    engine = engine_for(f"sqlite:///{tmp_path / 'b' / 'database.sqlite'}")
    with engine.connect() as conn:
        copied = set(conn.scalars(text("SELECT public_id FROM reports")))
        assert conn.scalar(text("PRAGMA integrity_check")) == "ok"
    engine.dispose()
    assert before <= copied <= after  # nothing acknowledged before it is missing; nothing half-written
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["tables"]["reports"] == len(copied)


@pytest.mark.parametrize("missing", ["pg_dump"])
def test_postgres_backup_needs_the_client_tools(tmp_path, missing):
    with fresh_database("postgres", tmp_path) as url:
        env = env_for(url, tmp_path / "data")
        ok(env, "db", "upgrade")
        result = run(dict(env, PATH=str(tmp_path)), "backup", str(tmp_path / "b"), "--no-key")
        assert result.returncode == 1 and f"{missing} was not found" in result.stderr
