"""The audit log around its deployment: entries from before the keyed chain, `safe4c db upgrade`, the grants
for a PostgreSQL application role (as docs/operations.md gives them), and what staff see when nothing can be
audited."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from audit_helpers import ids, safe4c, sha256_chain, summary, verify, write
from helpers import as_owner, login, make_user
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from safe4c.bench.databases import drop_schema, pg_schema
from safe4c.db.migrate import upgrade
from safe4c.db.session import make_engine
from safe4c.db.tables import AuditEntry
from safe4c.kernel import audit
from safe4c.kernel.uow import UowFactory


@pytest.fixture
def engine_at_0004(engine, tmp_path):
    """A new database of the same kind as ``engine``, migrated only up to before the keyed chain."""
    if engine.dialect.name == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'before-0006.db'}")
        upgrade(eng, "0004")
        yield eng
        eng.dispose()
        return
    admin, schema, url = pg_schema(os.environ["SAFE4C_TEST_DATABASE_URL"], prefix="t_audit0004")
    eng = make_engine(url, pool_size=2)
    try:
        upgrade(eng, "0004")
        yield eng
    finally:
        eng.dispose()
        drop_schema(admin, schema)


def write_as_0004(engine, clock, n) -> str:
    """Entries as they were written before the keyed chain; returns the last one's hash."""
    prev = "0" * 64
    with engine.begin() as conn:
        for i in range(n):
            row = dict(at=clock.now(), actor_id=None, action="report.view", subject_type="report",
                       subject_id=f"R-{i}", detail={"i": i})
            digest = sha256_chain(prev, *row.values())
            conn.execute(insert(AuditEntry.__table__).values(**row, prev_hash=prev, hash=digest))
            prev = digest
    return prev


def test_entries_from_before_the_keyed_chain_are_covered_by_it(engine_at_0004, settings, clock):
    engine = engine_at_0004
    prev = write_as_0004(engine, clock, 3)
    upgrade(engine)  # the migration alone: `safe4c db upgrade` then covers the old entries
    factory = UowFactory(engine, settings, clock)
    assert verify(factory).problem == ("3 entries from before the keyed chain and no keyed entry: `safe4c db "
                                       "upgrade` covers them when it adds the keyed chain; found at any other "
                                       "time, the log was rewritten in the old format and its head reset")
    with factory() as uow, pytest.raises(audit.AuditBroken):
        audit.record(uow, actor_id=None, action="report.view")
    with factory() as uow:
        assert audit.seal_old_entries(uow=uow) == 3
    write(factory, 1, start=3)
    assert verify(factory) == audit.Verdict(True, 5)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT prev_hash FROM audit_log WHERE seq = 1")) == prev
    # Rewriting an old entry, even with its SHA-256 chain made whole again, no longer goes unseen
    first_keyed = ids(engine)[3]
    with as_owner(engine) as conn:
        entries = list(Session(bind=conn).scalars(select(AuditEntry).where(AuditEntry.seq.is_(None))
                                                  .order_by(AuditEntry.id)))
        prev = "0" * 64
        for e in entries:
            action = "report.edit" if e.subject_id == "R-1" else e.action
            digest = sha256_chain(prev, e.at, e.actor_id, action, e.subject_type, e.subject_id, e.detail)
            conn.execute(text("UPDATE audit_log SET action = :action, prev_hash = :prev, hash = :hash WHERE id = :id"),
                         {"action": action, "prev": prev, "hash": digest, "id": e.id})
            prev = digest
    assert summary(verify(factory)) == (False, 3, first_keyed)
    assert verify(factory).problem == ("the entries from before the keyed chain do not end where the keyed chain "
                                       "starts: they were rewritten")
    with factory() as uow:
        assert audit.seal_old_entries(uow=uow) == 0  # once covered, never again


def test_db_upgrade_covers_the_old_entries_at_once(engine_at_0004, settings, clock, tmp_path):
    write_as_0004(engine_at_0004, clock, 3)
    done = safe4c(engine_at_0004, "db", "upgrade", secret=settings.secret_key, data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "audit log: the 3 entries from before the keyed chain are now covered by it" in done.stdout
    assert verify(UowFactory(engine_at_0004, settings, clock)) == audit.Verdict(True, 4)
    with engine_at_0004.connect() as conn:
        last = conn.execute(text("SELECT seq, action, actor_id FROM audit_log ORDER BY id DESC LIMIT 1")).one()
    assert tuple(last) == (1, "audit.keyed", None)


def test_db_upgrade_of_an_empty_log_starts_the_keyed_chain_without_an_entry(engine_at_0004, tmp_path):
    # A database with no audit entries has nothing to cover: the upgrade writes no audit.keyed entry (the key
    # a new database gets at upgrade is safe4c.kernel.keys' business, tested in test_keys.py).
    done = safe4c(engine_at_0004, "db", "upgrade", secret=None, data_dir=tmp_path / "data")
    assert done.returncode == 0 and "covered" not in done.stdout, done.stderr
    with engine_at_0004.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM audit_log")) == 0


def documented_grants(schema: str, role: str) -> list[str]:
    """The statements docs/operations.md tells an operator to run for the application's role."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    block = next(b for b in re.findall(r"```sql\n(.*?)```", doc, re.S) if "safe4c_app" in b)
    return [s.replace("safe4c_app", f'"{role}"').replace("public", f'"{schema}"')
            for s in block.split(";") if s.strip()]


def test_postgresql_grants_leave_the_application_role_only_appending(engine, settings, clock):
    if engine.dialect.name != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's; on SQLite the file's owner is the database's")
    role = f"safe4c_app_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        schema = conn.scalar(text("SELECT current_schema()"))
        conn.execute(text(f'CREATE ROLE "{role}"'))
        for statement in documented_grants(schema, role):
            conn.execute(text(statement))
    # The superuser's connection, turned into the role from its first statement on (as a login would be).
    app_engine = make_engine(engine.url.difference_update_query(["options"]).render_as_string(hide_password=False),
                             pool_size=2, connect_args={"options": f"-csearch_path={schema} -crole={role}"})
    try:
        factory = UowFactory(app_engine, settings, clock)
        write(factory, 3)
        for statement, refusal in (("UPDATE audit_log SET action = 'x'", "permission denied"),
                                   ("DELETE FROM audit_log", "permission denied"),
                                   ("TRUNCATE audit_log", "permission denied"),
                                   ("DELETE FROM audit_head", "permission denied"),
                                   ("ALTER TABLE audit_log DISABLE TRIGGER USER", "must be owner"),
                                   ("SET session_replication_role = replica", "permission denied")):
            with app_engine.begin() as conn, pytest.raises(DBAPIError, match=refusal):
                conn.execute(text(statement))
        assert verify(factory) == audit.Verdict(True, 3)
    finally:
        app_engine.dispose()
        with engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))


def test_staff_are_told_in_their_language_when_nothing_can_be_audited(client, uow_factory, engine):
    make_user(uow_factory)
    with as_owner(engine) as conn:
        conn.execute(text("DELETE FROM audit_head"))
    answer = login(client)  # signing in is audited, so it cannot happen
    assert answer.status_code == 500
    assert "Log audit gagal dalam pemeriksaan integritas" in answer.text and "safe4c audit verify" in answer.text
    client.cookies.set("lang", "en")
    assert "The audit log failed its integrity check" in login(client).text
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM staff_sessions")) == 0
