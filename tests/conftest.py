"""Shared fixtures. Integration tests run on SQLite and on PostgreSQL (SAFE4C_TEST_DATABASE_URL).

Locally, PostgreSQL and browser tests skip with a message when their server or browser is missing;
in CI (CI=true) they fail instead, so a green CI always means they ran.
"""

from __future__ import annotations

import os
import shutil

import pytest
from helpers import database_at, empty_postgresql_schema, need

from safe4c.bench.databases import drop_schema, pg_schema
from safe4c.kernel.clock import FrozenClock
from safe4c.kernel.settings import Settings
from safe4c.db.migrate import upgrade
from safe4c.db.session import make_engine
from safe4c.kernel.uow import UowFactory

PG_URL = os.environ.get("SAFE4C_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def pg_schema_url():
    """A schema of our own in the test database, migrated once per test process."""
    need(bool(PG_URL), "SAFE4C_TEST_DATABASE_URL is not set")
    try:
        admin, schema, url = pg_schema(PG_URL, prefix=f"t_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no PostgreSQL here"
        need(False, f"PostgreSQL is not reachable at SAFE4C_TEST_DATABASE_URL ({type(exc).__name__})")
    engine = make_engine(url, pool_size=5, max_overflow=5)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_schema(admin, schema)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file migrated once per test process; each test gets a copy (migrating costs ~0.15 s a test)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "migrated.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # the last connection to close checkpoints the write-ahead log into the file
    assert not path.with_name(path.name + "-wal").exists() or not path.with_name(path.name + "-wal").stat().st_size
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def old_engine(request, tmp_path):
    """For a migration's own test: a database on SQLite and one on PostgreSQL, migrated only to the test
    module's ``BEFORE`` revision (the one before the migration under test)."""
    with database_at(request.param, tmp_path, request.module.BEFORE) as engine:
        yield engine


@pytest.fixture(autouse=True)
def cheap_password_hashing(request, monkeypatch):
    """Staff passwords hashed with argon2's CHEAPEST profile (the library's profile for tests): real argon2id
    hashes that verify and rehash as usual, at a millisecond instead of ~0.1 s per user and per sign-in (a
    third of an ordinary test's time went there). test_accounts.py checks the production parameters."""
    if request.node.get_closest_marker("production_password_hashing") is None:
        from argon2 import PasswordHasher, profiles

        from safe4c.access import accounts

        monkeypatch.setattr(accounts, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key="test-secret-not-for-production",
                    public_rate_limit_per_minute=0, worker_in_process=False)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")  # and makes the copy private, as for any database file
        yield eng
        eng.dispose()
        return
    url = request.getfixturevalue("pg_schema_url")
    eng = make_engine(url, pool_size=5, max_overflow=5)
    yield eng
    empty_postgresql_schema(eng)
    eng.dispose()



@pytest.fixture
def uow_factory(engine, settings, clock):
    return UowFactory(engine, settings, clock)


@pytest.fixture
def app(engine, settings, clock):
    from safe4c.web.app import create_app

    return create_app(settings, clock=clock, engine=engine)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c
