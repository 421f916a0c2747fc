"""The master key: where it comes from, and proof that it is the key that sealed the database's data.

Sealed data (stories, contacts, the accounts a report names, identifiers, notes) opens only with the key that
sealed it. A process started with another key (a restore without ``secret.key``, a mistyped
SAFE4C_SECRET_KEY) would look healthy and fail on every report, so:

- a key is generated (DATA_DIR/secret.key, 0600, in a 0700 folder) only while the database holds nothing
  sealed or keyed;
- the database keeps the key's fingerprint (``key_fingerprints``: HMAC-SHA256 of a constant under a key
  derived for this purpose, so it reveals nothing about the key); every process checks its key against it
  at start-up, and the first one records it;
- data sealed before fingerprints existed is checked by opening one sealed value.

Any failure is a ``KeyProblem``: ``safe4c serve``, ``safe4c worker`` and the other commands refuse to start,
and an app built anyway answers 503 everywhere, ``/healthz`` saying why.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection, Engine, LargeBinary, exists, inspect, select, table, column
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from safe4c.db.models import metadata
from safe4c.kernel.settings import KeyProblem, Settings
from safe4c.kernel.crypto import Sealer, derive_key

__all__ = ["KeyProblem", "fingerprint", "open_secret", "secret_for", "short"]

MASTER = "master"
_CONSTANT = b"safe4c master key fingerprint v1"

# Sealed values that tell a right key from a wrong one, for data sealed before fingerprints were recorded.
PROBES = (
    ("platforms", "webhook_secret_sealed", "platform.webhook_secret"),
    ("reports", "story_sealed", "report.story"),
    ("reports", "contact_sealed", "report.contact"),
    ("reports", "accounts_sealed", "report.accounts"),
    ("link_identifiers", "value_sealed", "identifier.key"),
)
# Tables whose rows hold sealed values or keyed hashes (follow-up codes, audit names): while any has a row,
# a new key would make them unreadable.
KEYED_TABLES = ("audit_log",)


def fingerprint(secret: bytes) -> str:
    return hmac.new(derive_key(secret, "key-fingerprint"), _CONSTANT, hashlib.sha256).hexdigest()


def short(fp: str) -> str:
    """The part of a fingerprint printed to operators, to tell key files apart."""
    return fp[:16]


@dataclass(frozen=True)
class DatabaseState:
    tables: frozenset[str]
    recorded: str | None  # the fingerprint in key_fingerprints, if any
    holds_keyed_data: bool

    @property
    def has_fingerprint_table(self) -> bool:
        return "key_fingerprints" in self.tables


def _keyed_tables(tables: frozenset[str]) -> list[str]:
    sealed = [t.name for t in metadata.sorted_tables if any(isinstance(c.type, LargeBinary) for c in t.columns)]
    return [name for name in (*sealed, *KEYED_TABLES) if name in tables]


def database_state(conn: Connection) -> DatabaseState:
    tables = frozenset(inspect(conn).get_table_names())
    recorded = None
    if "key_fingerprints" in tables:
        fp = table("key_fingerprints", column("name"), column("fingerprint"))
        recorded = conn.scalar(select(fp.c.fingerprint).where(fp.c.name == MASTER))
    holds = any(conn.scalar(select(exists().select_from(table(name)))) for name in _keyed_tables(tables))
    return DatabaseState(tables, recorded, bool(holds))


def secret_for(settings: Settings, conn: Connection, *, record: bool = True) -> bytes:
    """The master key for the database on ``conn``, checked against it; generated only for an empty database.
    Records the fingerprint when the database has none yet (``record``), in the caller's transaction."""
    secure_data_dir(settings)
    state = database_state(conn)
    secret = _load(settings, state)
    fp = fingerprint(secret)
    if state.recorded is not None:
        if not hmac.compare_digest(state.recorded, fp):
            raise KeyProblem("key_mismatch", _mismatch(settings, state.recorded, fp))
        return secret
    if state.holds_keyed_data:
        _probe(conn, state, secret, settings, fp)
    if record and state.has_fingerprint_table:
        _record(conn, fp)
        again = database_state(conn).recorded  # another process may have recorded first
        if again is not None and not hmac.compare_digest(again, fp):
            raise KeyProblem("key_mismatch", _mismatch(settings, again, fp))
    return secret


def open_secret(settings: Settings, engine: Engine) -> bytes:
    """``secret_for`` in a transaction of its own: what every entry point calls before anything else."""
    with engine.begin() as conn:
        return secret_for(settings, conn)


def _load(settings: Settings, state: DatabaseState) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.secret_path
    if not path.exists():
        if state.recorded is not None or state.holds_keyed_data:
            known = f" (fingerprint {short(state.recorded)})" if state.recorded else ""
            raise KeyProblem("key_missing", f"{path} is missing, and the database holds data sealed with a key"
                             f"{known}. Restore the key file from your backup (or set SAFE4C_SECRET_KEY): "
                             "safe4c never makes a new key for a database that holds sealed data.")
        create_secret_file(path)
    _private(path, 0o600)
    return settings.resolved_secret


def _probe(conn: Connection, state: DatabaseState, secret: bytes, settings: Settings, fp: str) -> None:
    sealer = Sealer(secret)
    for table_name, column_name, context in PROBES:
        if table_name not in state.tables:
            continue
        if column_name not in {c["name"] for c in inspect(conn).get_columns(table_name)}:
            continue
        col = column(column_name, LargeBinary)
        value = conn.scalar(select(col).select_from(table(table_name)).where(col.is_not(None)).limit(1))
        if value is None:
            continue
        try:
            sealer.open(bytes(value), context=context)
        except (InvalidTag, ValueError):
            raise KeyProblem("key_mismatch", _mismatch(settings, None, fp)) from None
        return


def _record(conn: Connection, fp: str) -> None:
    fps = table("key_fingerprints", column("name"), column("fingerprint"), column("created_at"))
    values = {"name": MASTER, "fingerprint": fp, "created_at": datetime.now(timezone.utc)}
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(fps).values(**values).on_conflict_do_nothing(index_elements=["name"]))


def _mismatch(settings: Settings, recorded: str | None, fp: str) -> str:
    source = "SAFE4C_SECRET_KEY" if settings.secret_key else str(settings.secret_path)
    expected = f" (fingerprint {short(recorded)})" if recorded else ""
    return (f"the key in {source} (fingerprint {short(fp)}) is not the key that sealed this database's data"
            f"{expected}. Use the key that belongs to this database: restore it from the backup of the data.")


def create_secret_file(path: Path) -> None:
    """Write a new key, once even when several processes start together (`serve --workers N`).

    The key is written in full to a private temporary file, then linked into place: the link either
    creates the finished file or fails because another process won, so nobody reads a half-written key.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process was first: use its key
    finally:
        tmp.unlink(missing_ok=True)


def secure_data_dir(settings: Settings) -> None:
    """DATA_DIR holds the key and the embedded database: only its owner may enter it."""
    data_dir = settings.data_dir
    if data_dir.is_dir():
        _private(data_dir, 0o700)


def _private(path: Path, mode: int) -> None:
    """Take away group and other access (``mode``), when this process owns ``path``."""
    try:
        st = path.stat()
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
            path.chmod(mode)
    except FileNotFoundError:
        pass
