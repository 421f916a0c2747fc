"""Fresh, unmigrated databases for tests that migrate, back up or restore themselves (SQLite and PostgreSQL).

The shared ``engine`` fixture is migrated once per process; these tests need a database of their own at a
chosen revision, or two (a backup and the database it is restored into).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import need

from safe4c.bench.databases import drop_schema, pg_schema
from safe4c.db.session import make_engine

PG_URL = os.environ.get("SAFE4C_TEST_DATABASE_URL", "")
BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"])


@contextmanager
def fresh_database(backend: str, directory: Path, name: str = "safe4c.db"):
    """Yields the URL of an empty database: a SQLite file in ``directory``, or a new PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / name}"
        return
    need(bool(PG_URL), "SAFE4C_TEST_DATABASE_URL is not set")
    try:
        admin, schema, url = pg_schema(PG_URL, prefix=f"k_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no PostgreSQL here"
        need(False, f"PostgreSQL is not reachable at SAFE4C_TEST_DATABASE_URL ({type(exc).__name__})")
    try:
        yield url
    finally:
        drop_schema(admin, schema)


def engine_for(url: str):
    return make_engine(url) if url.startswith("sqlite") else make_engine(url, pool_size=2, max_overflow=2)
