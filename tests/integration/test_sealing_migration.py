"""Migration 0005 seals the accounts and "other" app that reports stored in the clear before it, with the
master key that `safe4c db upgrade` passes in, and refuses (changing nothing) without the right key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from fresh_databases import BACKENDS, engine_for, fresh_database

from safe4c.kernel.settings import KeyProblem, Settings
from safe4c.kernel.crypto import Sealer
from safe4c.db.migrate import current_revision, downgrade, forget_plaintext, upgrade
from safe4c.db.tables import UTCDateTime
from safe4c.kernel.keys import fingerprint, secret_for

KEY = "the-key-that-sealed-the-stories"
ACCOUNTS = ["@pemeras.rahasia", "0812-7777-8888", "https://t.me/+GrupRahasia123"]
OTHER = "Situs Obrolan Tersembunyi"
STORY = "Dia mengancam menyebarkan foto saya."
PLAINTEXT = ["pemeras.rahasia", "0812-7777-8888", "GrupRahasia123", "Situs Obrolan"]

legacy = sa.table(
    "reports", *(sa.column(name) for name in (
        "public_id", "channel", "language", "contact_method", "consent_services", "followup_hash", "status",
        "platform_other")),
    sa.column("situations", sa.JSON), sa.column("platforms", sa.JSON), sa.column("accounts", sa.JSON),
    sa.column("urgent_signals", sa.JSON), sa.column("story_sealed", sa.LargeBinary),
    sa.column("received_at", UTCDateTime()), sa.column("updated_at", UTCDateTime()),
)


def store_legacy_reports(engine) -> None:
    """Three reports as version 0004 stored them: accounts and the "other" app in plaintext."""
    now = datetime.now(timezone.utc)
    story = Sealer(KEY.encode()).seal(STORY, context="report.story")
    rows = [(ACCOUNTS, OTHER, story), ([], None, None), (ACCOUNTS[:1], None, None)]
    with engine.begin() as conn:
        for accounts, other, sealed in rows:
            conn.execute(legacy.insert().values(
                public_id=str(uuid.uuid4()), channel="web", language="id", contact_method="none",
                consent_services=False, followup_hash=uuid.uuid4().hex, status="new", platform_other=other,
                situations=["sextortion"], platforms=["other"], accounts=accounts, urgent_signals=[],
                story_sealed=sealed, received_at=now, updated_at=now))


def settings_with(tmp_path, key: str) -> Settings:
    return Settings(data_dir=tmp_path, secret_key=key)


@BACKENDS
def test_upgrade_seals_what_was_stored_in_the_clear(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = engine_for(url)
        upgrade(engine, "0004")
        store_legacy_reports(engine)

        with pytest.raises(RuntimeError, match="needs the secret key"):
            upgrade(engine)  # no key given: nothing changes
        with pytest.raises(KeyProblem) as wrong:
            upgrade(engine, secret=lambda conn: secret_for(settings_with(tmp_path, "another-key"), conn))
        assert wrong.value.code == "key_mismatch"  # told apart by opening a story sealed with the right key
        assert current_revision(engine) == "0004"
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM reports WHERE platform_other IS NOT NULL")).scalar() == 1

        settings = settings_with(tmp_path, KEY)
        assert upgrade(engine, secret=lambda conn: secret_for(settings, conn)) == 2
        forget_plaintext(engine)
        sealer = Sealer(KEY.encode())
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("reports")}
            assert {"accounts", "platform_other"}.isdisjoint(columns)
            rows = conn.execute(sa.text("SELECT accounts_sealed, platform_other_sealed FROM reports ORDER BY id")).all()
            recorded = conn.execute(sa.text("SELECT fingerprint FROM key_fingerprints")).scalar()
        opened = [(json.loads(sealer.open(bytes(a), context="report.accounts")) if a is not None else None,
                   sealer.open(bytes(o), context="report.platform_other") if o is not None else None) for a, o in rows]
        assert opened == [(ACCOUNTS, OTHER), (None, None), (ACCOUNTS[:1], None)]
        assert recorded == fingerprint(KEY.encode())
        for a, o in rows:
            for value in (a, o):
                assert value is None or not any(p.encode() in bytes(value) for p in PLAINTEXT)

        # and back: the older schema gets its plaintext again (with the key), for a rollback
        downgrade(engine, "0004", secret=lambda conn: secret_for(settings, conn))
        with engine.connect() as conn:
            back = conn.execute(sa.select(legacy.c.accounts, legacy.c.platform_other).order_by(sa.text("id"))).all()
        assert [tuple(r) for r in back] == [(ACCOUNTS, OTHER), ([], None), (ACCOUNTS[:1], None)]
        engine.dispose()


def test_db_upgrade_leaves_no_plaintext_in_the_sqlite_files(tmp_path):
    """The real command, on a SQLite file written by 0004: afterwards not even the file's free pages or its
    write-ahead log hold the plaintext."""
    path = tmp_path / "safe4c.db"
    engine = engine_for(f"sqlite:///{path}")
    upgrade(engine, "0004")
    store_legacy_reports(engine)
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("safe4c.db*"))
    assert all(p.encode() in raw for p in PLAINTEXT)  # the test would see them

    env = dict(os.environ, SAFE4C_DATA_DIR=str(tmp_path), SAFE4C_DATABASE_URL="", SAFE4C_SECRET_KEY="")
    missing = subprocess.run([sys.executable, "-m", "safe4c.cli", "db", "upgrade"], env=env, capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 1 and "secret.key is missing" in missing.stderr
    assert not (tmp_path / "secret.key").exists()  # never a new key for a database that holds sealed data

    (tmp_path / "secret.key").write_text(KEY)
    done = subprocess.run([sys.executable, "-m", "safe4c.cli", "db", "upgrade"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "sealed the accounts and app names of 2 stored reports" in done.stdout
    raw = b"".join(p.read_bytes() for p in Path(tmp_path).glob("safe4c.db*"))
    assert [p for p in PLAINTEXT if p.encode() in raw] == []
