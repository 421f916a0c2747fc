"""The master key: made once for an empty database, never for one that holds sealed data, checked against the
database's fingerprint by every process, and kept private on disk (data dir 0700, key and database 0600)."""

from __future__ import annotations

import multiprocessing
import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from fresh_databases import engine_for, fresh_database
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from safe4c.kernel.clock import FrozenClock
from safe4c.kernel.settings import KeyProblem, Settings
from safe4c.kernel.crypto import Sealer
from safe4c.db.migrate import upgrade
from safe4c.db.session import make_engine
from safe4c.db.tables import Job, Report
from safe4c.reports.rules.report import parse_report
from safe4c.kernel.keys import fingerprint, open_secret
from safe4c.reports import intake
from safe4c.kernel import jobs
from safe4c.kernel.uow import UowFactory
from safe4c.web.app import create_app
from safe4c.worker import Worker

SAFE4C = [sys.executable, "-m", "safe4c.cli"]


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def keyless(tmp_path, secret_key: str = "") -> Settings:
    """Settings without SAFE4C_SECRET_KEY (the key lives in DATA_DIR/secret.key), unless one is given."""
    return Settings(data_dir=tmp_path / "data", secret_key=secret_key, worker_in_process=False)


def store_a_report(factory) -> int:
    with factory() as uow:
        report = parse_report({"situations": ["grooming"], "accounts": ["@orang.asing"], "story": "Dia terus mengirim pesan."})
        return intake.submit_report(uow=uow, report=report, channel="web", language="id").report_id


@pytest.fixture(params=["sqlite", "postgres"])
def migrated(request, tmp_path):
    with fresh_database(request.param, tmp_path) as url:
        engine = engine_for(url)
        upgrade(engine)
        yield engine
        engine.dispose()


def test_a_new_database_gets_one_private_key_and_its_fingerprint(migrated, tmp_path):
    settings = keyless(tmp_path)
    key = open_secret(settings, migrated)
    assert len(key) >= 64 and settings.secret_path.read_bytes().strip() == key
    assert mode(settings.secret_path) == 0o600 and mode(settings.data_dir) == 0o700
    assert [p.name for p in settings.data_dir.iterdir()] == ["secret.key"]  # no temporary file left
    with migrated.connect() as conn:
        assert conn.execute(text("SELECT fingerprint FROM key_fingerprints")).scalar() == fingerprint(key)
    assert open_secret(keyless(tmp_path), migrated) == key  # kept, not made again


def test_no_new_key_is_made_for_a_database_that_holds_sealed_data(migrated, tmp_path):
    settings = keyless(tmp_path)
    store_a_report(UowFactory(migrated, settings, FrozenClock()))
    settings.secret_path.unlink()  # a restore without secret.key
    with pytest.raises(KeyProblem) as missing:
        UowFactory(migrated, keyless(tmp_path), FrozenClock())
    assert missing.value.code == "key_missing" and "Restore the key file" in str(missing.value)
    assert not settings.secret_path.exists()


def test_a_key_that_did_not_seal_the_data_is_refused(migrated, tmp_path):
    store_a_report(UowFactory(migrated, keyless(tmp_path), FrozenClock()))
    with pytest.raises(KeyProblem) as wrong:
        UowFactory(migrated, keyless(tmp_path, secret_key="a-mistyped-key"), FrozenClock())
    assert wrong.value.code == "key_mismatch"


def test_data_sealed_before_fingerprints_is_checked_by_opening_it(migrated, tmp_path):
    right = keyless(tmp_path, secret_key="the-right-key")
    store_a_report(UowFactory(migrated, right, FrozenClock()))
    with migrated.begin() as conn:
        conn.execute(text("DELETE FROM key_fingerprints"))  # as a database from before fingerprints
    with pytest.raises(KeyProblem, match="not the key that sealed"):
        UowFactory(migrated, keyless(tmp_path, secret_key="another-key"), FrozenClock())
    UowFactory(migrated, right, FrozenClock())  # the right key opens it, and its fingerprint is recorded
    with migrated.connect() as conn:
        assert conn.execute(text("SELECT fingerprint FROM key_fingerprints")).scalar() == fingerprint(b"the-right-key")


def test_the_app_without_its_key_answers_503_and_healthz_says_why(migrated, tmp_path):
    store_a_report(UowFactory(migrated, keyless(tmp_path), FrozenClock()))
    keyless(tmp_path).secret_path.unlink()
    app = create_app(keyless(tmp_path), engine=migrated)
    with TestClient(app) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["key"] == "key_missing" and "restore the key" in health.json()["reason"]
        page = client.get("/staff")
        assert page.status_code == 503 and page.json()["error"]["code"] == "unavailable"
        assert "tidak dapat digunakan" in page.json()["error"]["message"]  # Indonesian by default
        english = client.post("/api/v1/public/reports", json={"situations": ["other"]},
                              headers={"Accept-Language": "en"})
        assert english.status_code == 503 and "not available" in english.json()["error"]["message"]
    assert not keyless(tmp_path).secret_path.exists()
    with migrated.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM reports")).scalar() == 1  # nothing was written


def test_a_job_that_meets_data_sealed_with_another_key_fails_at_once(migrated, tmp_path):
    factory = UowFactory(migrated, keyless(tmp_path), FrozenClock())
    public_id = store_a_report(factory)
    foreign = Sealer(b"some-other-deployment").seal("cerita", context="report.story")
    with factory() as uow:  # a row sealed elsewhere (or altered): no retry can open it
        uow.session.scalar(select(Report).where(Report.public_id == public_id)).story_sealed = foreign
        uow.commit()
    Worker(factory).run_once()
    with factory() as uow:
        link = uow.session.execute(select(Job.attempts, Job.failed_at, Job.last_error)
                                   .where(Job.kind == "report.link")).one()
    assert link.attempts == 1 and link.failed_at is not None and link.last_error == jobs.UNSEALABLE


def test_threads_starting_together_share_one_key(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'safe4c.db'}")
    upgrade(engine)
    with ThreadPoolExecutor(16) as pool:
        keys = set(pool.map(lambda _: open_secret(keyless(tmp_path), engine), range(64)))
    assert len(keys) == 1 and keys.pop()


def _start(data_dir: str, ready, start, out) -> None:
    ready.put(True)  # imported and about to wait: the parent lets all of them go at once
    start.wait()
    try:
        settings = Settings(data_dir=data_dir, secret_key="")
        out.put(open_secret(settings, make_engine(settings.resolved_database_url)))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        out.put(exc)


def test_processes_starting_together_share_one_key(tmp_path):
    """`serve --workers N` without SAFE4C_SECRET_KEY: every process must end up with the same key."""
    upgrade(make_engine(f"sqlite:///{tmp_path / 'safe4c.db'}"))
    # spawn, as the server's worker processes start: a forked child would inherit this test process's open files
    # (the browser tests' Playwright driver pipe among them) and its threads' held locks.
    ctx = multiprocessing.get_context("spawn")
    ready, start, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_start, args=(str(tmp_path), ready, start, out), daemon=True) for _ in range(8)]
    try:
        for p in procs:
            p.start()
        for _ in procs:  # spawned children take a second or more to import: start them together once all are up
            ready.get(timeout=120)
        start.set()
        results = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        assert not [p for p in procs if p.is_alive()], "a process that gave its key did not exit"
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
    assert not [r for r in results if isinstance(r, Exception)]
    assert len(set(results)) == 1 and results[0]


def test_an_empty_key_file_is_refused(tmp_path, monkeypatch):
    import safe4c.kernel.settings as config

    monkeypatch.setattr(config.time, "sleep", lambda _: None)
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'safe4c.db'}")
    upgrade(engine)
    (tmp_path / "data" / "secret.key").write_text("\n")
    with pytest.raises(KeyProblem) as empty:
        open_secret(keyless(tmp_path), engine)
    assert empty.value.code == "key_empty"


def run(env, *args):
    return subprocess.run([*SAFE4C, *args], env=env, capture_output=True, text=True, timeout=120)


def test_commands_refuse_to_start_without_the_key_that_sealed_the_data(tmp_path):
    env = dict(os.environ, SAFE4C_DATA_DIR=str(tmp_path), SAFE4C_DATABASE_URL="", SAFE4C_SECRET_KEY="")
    assert run(env, "db", "upgrade").returncode == 0
    key = (tmp_path / "secret.key").read_text()
    assert run(env, "demo", "--count", "3").returncode == 0
    (tmp_path / "secret.key").unlink()  # the restore of the issue: data without its key
    for command in (("serve", "--port", "1"), ("worker", "--once"), ("demo", "--count", "1"), ("db", "upgrade")):
        result = run(env, *command)
        assert result.returncode == 1, (command, result.stderr)
        assert "refusing to start" in result.stderr and "secret.key is missing" in result.stderr
        assert not (tmp_path / "secret.key").exists()
    wrong = run(dict(env, SAFE4C_SECRET_KEY="not-" + key), "serve", "--port", "1")
    assert wrong.returncode == 1 and "is not the key that sealed" in wrong.stderr


def test_the_data_dir_key_and_database_files_are_private(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    env = dict(os.environ, SAFE4C_DATA_DIR=str(data), SAFE4C_DATABASE_URL="", SAFE4C_SECRET_KEY="")
    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "demo", "--count", "2").returncode == 0
    assert mode(data) == 0o700 and mode(data / "secret.key") == 0o600 and mode(data / "safe4c.db") == 0o600
    for loose in (data, data / "secret.key", data / "safe4c.db"):  # an older install, or a careless copy
        loose.chmod(0o755 if loose.is_dir() else 0o644)
    engine = make_engine(f"sqlite:///{data / 'safe4c.db'}")
    with engine.begin() as conn:  # write, so the -wal and -shm files exist while the engine is open
        conn.execute(text("UPDATE reports SET status = status"))
        assert mode(data / "safe4c.db-wal") == 0o600 and mode(data / "safe4c.db-shm") == 0o600
        assert mode(data / "safe4c.db") == 0o600
    open_secret(Settings(data_dir=data, secret_key=""), engine)
    assert mode(data) == 0o700 and mode(data / "secret.key") == 0o600
    engine.dispose()
