"""Alembic, configured in code so `safe4c db upgrade` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


SecretFor = Callable[[Connection], bytes]


def upgrade(engine: Engine, revision: str = "head", *, secret: SecretFor | None = None) -> int:
    """Migrate. ``secret(connection)`` gives the master key to a migration that must seal plaintext already
    stored (0005); it is asked for only then, so a new or empty database is migrated without one.
    Returns how many rows a migration sealed (then call ``forget_plaintext``)."""
    return _run(engine, command.upgrade, revision, secret)


def downgrade(engine: Engine, revision: str, *, secret: SecretFor | None = None) -> int:
    return _run(engine, command.downgrade, revision, secret)


def _run(engine: Engine, step, revision: str, secret) -> int:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        cfg.attributes["secret"] = secret
        cfg.attributes["sealed_rows"] = 0
        step(cfg, revision)
    return cfg.attributes["sealed_rows"]


def forget_plaintext(engine: Engine) -> None:
    """After a migration sealed stored plaintext: leave no old copy where the database keeps freed space.

    SQLite: VACUUM writes the file anew (freed pages held the old rows), then the write-ahead log is emptied.
    PostgreSQL: VACUUM removes the dead row versions that still held the plaintext (docs/operations.md says
    what remains outside the tables: WAL segments and backups taken before)."""
    raw = engine.raw_connection()  # outside any transaction: neither VACUUM runs inside one
    try:
        if engine.dialect.name == "sqlite":
            raw.driver_connection.execute("VACUUM")
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            raw.driver_connection.autocommit = True
            raw.driver_connection.execute("VACUUM reports")
            raw.driver_connection.autocommit = False
    finally:
        raw.close()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
