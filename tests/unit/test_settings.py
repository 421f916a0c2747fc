"""Settings that are checked when they are read, and the generated secret key."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import ValidationError

from safe4c.config import Settings

DEADLINES = {"P1": 60, "P2": 240, "P3": 1440, "P4": 4320}


@pytest.mark.parametrize("bad", [
    {"P1": 60, "P2": 240, "P3": 1440},  # a priority without a deadline
    {**DEADLINES, "P5": 10},  # a priority that does not exist
    {**DEADLINES, "P2": 0},
    {**DEADLINES, "P3": -5},
])
def test_triage_deadlines_need_a_positive_time_for_each_priority(bad):
    with pytest.raises(ValidationError, match="triage_deadline_minutes"):
        Settings(triage_deadline_minutes=bad)


def test_triage_deadlines_from_the_environment_are_checked(monkeypatch):
    monkeypatch.setenv("SAFE4C_TRIAGE_DEADLINE_MINUTES", '{"P1": 30}')
    with pytest.raises(ValidationError, match="triage_deadline_minutes"):
        Settings()
    monkeypatch.setenv("SAFE4C_TRIAGE_DEADLINE_MINUTES", '{"P1": 30, "P2": 60, "P3": 90, "P4": 120}')
    assert Settings().triage_deadline_minutes["P1"] == 30


def test_the_generated_key_is_kept_and_private(tmp_path):
    key = Settings(data_dir=tmp_path / "new").resolved_secret
    assert len(key) >= 64
    assert Settings(data_dir=tmp_path / "new").resolved_secret == key
    assert (tmp_path / "new" / "secret.key").stat().st_mode & 0o077 == 0
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["secret.key"]  # no temporary file left


def test_threads_starting_together_share_one_key(tmp_path):
    with ThreadPoolExecutor(16) as pool:
        keys = set(pool.map(lambda _: Settings(data_dir=tmp_path).resolved_secret, range(64)))
    assert len(keys) == 1 and keys.pop()


def _resolve(data_dir: str, start, out) -> None:
    start.wait()
    try:
        out.put(Settings(data_dir=data_dir).resolved_secret)
    except Exception as exc:  # noqa: BLE001 - reported to the test
        out.put(exc)


def test_processes_starting_together_share_one_key(tmp_path):
    """`serve --workers N` without SAFE4C_SECRET_KEY: every process must end up with the same key."""
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_resolve, args=(str(tmp_path), start, out)) for _ in range(8)]
    for p in procs:
        p.start()
    start.set()
    results = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert not [r for r in results if isinstance(r, Exception)]
    assert len(set(results)) == 1 and results[0]


def test_an_empty_key_file_is_refused(tmp_path, monkeypatch):
    import safe4c.config as config

    monkeypatch.setattr(config.time, "sleep", lambda _: None)
    (tmp_path / "secret.key").write_text("\n")
    with pytest.raises(RuntimeError, match="empty"):
        Settings(data_dir=tmp_path).resolved_secret
