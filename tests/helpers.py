"""Helpers the test modules share (importable because pyproject puts tests/ on pytest's pythonpath)."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import insert, text

from safe4c.db.models import Base
from safe4c.db.tables import AuditHead
from safe4c.access import accounts
from safe4c.kernel import audit

IN_CI = os.environ.get("CI") == "true"

PASSWORD = "correct horse battery"


def need(condition: bool, why: str) -> None:
    """Skip locally, fail in CI (so a green CI means PostgreSQL and browser tests ran)."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {why}", pytrace=False)
    pytest.skip(why)


def hidden(html: str, name: str = "csrf") -> str:
    """The value of a hidden form field (the CSRF token by default)."""
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def make_user(uow_factory, username: str = "analis", role: str = "analyst", agency: str | None = None) -> int:
    """A staff account; ``agency``: the code of the agency a case worker, supervisor or police liaison works for."""
    with uow_factory() as uow:
        return accounts.create_user(uow=uow, username=username, password=PASSWORD, role=role,
                                    display_name=username.title(), agency_code=agency)


def login(client, username: str = "analis", password: str = PASSWORD):
    """Post the login form as a browser would; returns the response (success or not)."""
    form = client.get("/staff/login")
    assert form.status_code == 200
    return client.post("/staff/login", data={"username": username, "password": password, "csrf": hidden(form.text)},
                       follow_redirects=False)


def sign_in(client, username: str = "analis") -> None:
    """Log in, expecting success."""
    assert login(client, username).status_code == 303


def sign_in_new(client, uow_factory, username: str = "analis", role: str = "analyst") -> int:
    """Create a staff user and log in as them (a fresh session); returns the user id."""
    user_id = make_user(uow_factory, username, role)
    client.cookies.clear()
    sign_in(client, username)
    return user_id


@contextmanager
def database_at(kind: str, tmp_path, revision: str):
    """A new database migrated only to ``revision``, for a migration's own test: a SQLite file, or a
    PostgreSQL schema of its own in SAFE4C_TEST_DATABASE_URL (dropped afterwards)."""
    from safe4c.bench.databases import drop_schema, pg_schema
    from safe4c.db.migrate import upgrade
    from safe4c.db.session import make_engine

    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        upgrade(engine, revision)
        yield engine
        engine.dispose()
        return
    url = os.environ.get("SAFE4C_TEST_DATABASE_URL", "")
    need(bool(url), "SAFE4C_TEST_DATABASE_URL is not set")
    admin, schema, schema_url = pg_schema(url, prefix="t_migration")
    engine = make_engine(schema_url, pool_size=1, max_overflow=0)
    try:
        upgrade(engine, revision)
        yield engine
    finally:
        engine.dispose()
        drop_schema(admin, schema)


@contextmanager
def as_owner(engine):
    """A transaction that the audit tables' triggers do not stop, as their owner could arrange."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
            return
        triggers = list(conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                          "AND tbl_name IN ('audit_log', 'audit_head')")))
        for name, _ in triggers:
            conn.execute(text(f'DROP TRIGGER "{name}"'))
        yield conn
        for _, sql in triggers:  # and put back, so the application meets them again
            conn.execute(text(sql))


def empty_postgresql_schema(eng) -> None:
    """Leave the shared test schema as the migrations left it, for the next test of this process."""
    with eng.begin() as conn:
        # As the superuser we are here: the audit tables' triggers refuse DELETE to everyone else.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        # DELETE from only the tables a test wrote into (TRUNCATE of every table costs ~85 ms of file work; this
        # ~3 ms; with the replica role no trigger or foreign key fires), then every sequence back to 1, as a
        # rolled-back insert into a table left empty also moved its sequence.
        tables = [t.name for t in Base.metadata.sorted_tables]
        probe = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables)
        written = [row[0] for row in conn.execute(text(probe))]
        for name in written:
            conn.execute(text(f'DELETE FROM "{name}"'))
        conn.execute(text("SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
                          "WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"))
        conn.execute(insert(AuditHead).values(**audit.GENESIS_HEAD))  # as the migration left it
