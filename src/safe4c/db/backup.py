"""Consistent copies of the database while it is in use, and putting one back.

- SQLite: the online backup API (``sqlite3.Connection.backup``), in one step, so the copy is one snapshot:
  every report acknowledged before it started is in it, even those still in the write-ahead log. Copying the
  live file with ``cp`` misses those (docs/operations.md has the figure).
- PostgreSQL: ``pg_dump -Fc`` of the schema safe4c uses, under a snapshot exported by a transaction that also
  counts the rows, so the counts describe exactly what was dumped; ``pg_restore`` in one transaction.

The master key is not handled here (safe4c.backup_cli): this module only moves data and counts it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, make_url, text

from safe4c.db.session import private_sqlite_file

DATA_FILES = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
MIN_PG_TOOLS = 15  # the server version safe4c runs on; the tools must be at least the server's version


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, int]  # rows per table, as copied
    schema: str | None  # PostgreSQL: the schema that was dumped
    revision: str | None  # the migration the copied database is at
    fingerprint: str | None  # the fingerprint of the key that sealed the copied data (key_fingerprints)


def _meta(tables, scalar) -> tuple[str | None, str | None]:
    """(revision, key fingerprint) of a copied database; ``scalar(sql)`` runs a query in its snapshot."""
    revision = scalar("SELECT version_num FROM alembic_version") if "alembic_version" in tables else None
    fp = scalar("SELECT fingerprint FROM key_fingerprints WHERE name = 'master'") if "key_fingerprints" in tables \
        else None
    return revision, fp


def sqlite_path(engine: Engine) -> Path:
    return Path(make_url(engine.url).database)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_private(path: Path, data: bytes) -> None:
    """A new file only its owner can read; never overwrites."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


# --- SQLite ---------------------------------------------------------------------------------------------

def backup_sqlite(engine: Engine, target: Path) -> Snapshot:
    source = sqlite3.connect(sqlite_path(engine), timeout=30)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    copy = sqlite3.connect(target)
    try:
        # pages=-1: the whole database in one step, inside one read transaction of the source: a snapshot.
        # Writers go on meanwhile (WAL); what they commit after the step started is not in this copy.
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the copy failed SQLite's integrity check; nothing was kept")
        tables = _sqlite_counts(copy)
        revision, fingerprint = _meta(tables, lambda sql: (copy.execute(sql).fetchone() or (None,))[0])
    finally:
        copy.close()
        source.close()
    return Snapshot(tables, None, revision, fingerprint)


def restore_sqlite(source: Path, engine: Engine) -> None:
    """Put the backup's pages into the database file (the server must be stopped), in one write transaction."""
    engine.dispose()
    private_sqlite_file(sqlite_path(engine))
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target = sqlite3.connect(sqlite_path(engine), timeout=30)
    try:
        backup.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=WAL")
        if target.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the restored database failed SQLite's integrity check")
    finally:
        target.close()
        backup.close()


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


# --- PostgreSQL -----------------------------------------------------------------------------------------

def backup_postgres(engine: Engine, target: Path) -> Snapshot:
    pg_dump = _tool("pg_dump", engine)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            schema = conn.scalar(text("SELECT current_schema()"))
            names = sorted(inspect(conn).get_table_names(schema=schema))
            tables = {n: conn.scalar(text(f'SELECT count(*) FROM "{schema}"."{n}"')) for n in names}
            revision, fingerprint = _meta(tables, lambda sql: conn.scalar(text(sql)))
            # The transaction stays open while pg_dump runs: its snapshot is the one exported above.
            _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--schema={schema}",
                  f"--snapshot={snapshot}", f"--file={target}", "--dbname", _libpq_uri(engine)], engine)
    target.chmod(0o600)
    return Snapshot(tables, schema, revision, fingerprint)


def restore_postgres(source: Path, engine: Engine, *, schema: str, replace: bool) -> None:
    pg_restore = _tool("pg_restore", engine)
    with engine.connect() as conn:
        current = conn.scalar(text("SELECT current_schema()"))
    if current != schema:
        raise BackupError(f"the backup holds schema {schema!r}, but SAFE4C_DATABASE_URL uses {current!r}: restore "
                          "into a database (or search_path) whose schema has the backup's name")
    engine.dispose()
    args = [pg_restore, "--no-owner", "--no-privileges", f"--schema={schema}", "--single-transaction",
            "--exit-on-error"]
    if replace:
        args += ["--clean", "--if-exists"]  # dropped and created again inside the same transaction
    _run([*args, "--dbname", _libpq_uri(engine), str(source)], engine)


def _libpq_uri(engine: Engine) -> str:
    """The database as a libpq URI without the password (it goes in PGPASSWORD, not on a command line)."""
    url = make_url(engine.url).set(drivername="postgresql", password=None)
    return url.render_as_string(hide_password=False)


def _run(args: list[str], engine: Engine) -> None:
    env = dict(os.environ)
    password = make_url(engine.url).password
    if password:
        env["PGPASSWORD"] = password
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


def _tool(name: str, engine: Engine) -> str:
    """``pg_dump`` or ``pg_restore`` from PATH, at least as new as the server (an older one refuses or, worse,
    misses what it does not know)."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found: install the PostgreSQL client tools (version {MIN_PG_TOOLS} or "
                          "newer, as the server)")
    found = re.search(r"(\d+)(?:\.\d+)?", subprocess.run([path, "--version"], capture_output=True, text=True).stdout)
    with engine.connect() as conn:
        server = int(conn.scalar(text("SHOW server_version_num"))) // 10000
    if found is None or int(found.group(1)) < max(server, MIN_PG_TOOLS):
        raise BackupError(f"{path} is version {found.group(1) if found else '?'}; the server is {server}: use "
                          f"{name} {max(server, MIN_PG_TOOLS)} or newer")
    return path
