"""The audit log: a keyed chain with a head, append-only for the application.

Tampering is done the way someone with the database owner's rights (but not the application's secret)
would do it: past the triggers (dropped on SQLite, replica mode as superuser on PostgreSQL), then through
plain SQL. Every attack is checked with `verify` and with the real `safe4c audit verify`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import uuid
from datetime import timezone
from pathlib import Path

import pytest
from helpers import as_owner, login, make_user
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from safe4c.bench.databases import drop_schema, pg_schema
from safe4c.db.migrate import upgrade
from safe4c.db.session import make_engine
from safe4c.db.tables import AuditEntry
from safe4c.services import audit
from safe4c.services.uow import UowFactory


def write(uow_factory, n, start=0):
    for i in range(start, start + n):
        with uow_factory() as uow:
            audit.record(uow, actor_id=None, action="report.view", subject_type="report", subject_id=f"R-{i}",
                         detail={"i": i})
            uow.commit()


def verify(uow_factory, kept=()):
    with uow_factory() as uow:
        return audit.verify(uow=uow, kept=kept)


def summary(verdict) -> tuple:
    return verdict.intact, verdict.checked, verdict.broken


def ids(engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT id FROM audit_log ORDER BY id")))


def safe4c(engine, *args, secret: str | None, data_dir):
    """The real `safe4c` command on ``engine``'s database."""
    env = {k: v for k, v in os.environ.items() if k != "SAFE4C_SECRET_KEY"}
    env.update(SAFE4C_DATABASE_URL=engine.url.render_as_string(hide_password=False), SAFE4C_DATA_DIR=str(data_dir))
    if secret:
        env["SAFE4C_SECRET_KEY"] = secret
    return subprocess.run([sys.executable, "-m", "safe4c.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def cli(engine, settings, tmp_path):
    """`safe4c audit ...` on the test database with the test's secret."""
    return lambda *args: safe4c(engine, "audit", *args, secret=settings.secret_key, data_dir=tmp_path / "cli")


def assert_broken(cli, *args, says: str) -> str:
    result = cli("verify", *args)
    assert result.returncode == 1, result.stdout
    assert "audit log BROKEN" in result.stderr and says in result.stderr, result.stderr
    return result.stderr


def test_an_untouched_log_verifies(uow_factory, cli):
    write(uow_factory, 5)
    assert verify(uow_factory) == audit.Verdict(True, 5)
    result = cli("verify")
    assert result.returncode == 0 and result.stdout == "audit log intact: 5 entries verified\n"


def test_a_changed_entry_is_detected(uow_factory, engine, cli):
    write(uow_factory, 5)
    third = ids(engine)[2]
    with as_owner(engine) as conn:
        conn.execute(text("UPDATE audit_log SET action = 'report.edit' WHERE id = :id"), {"id": third})
    assert_broken(cli, says=f"at entry {third}: entry {third} (#3) does not match its MAC")
    assert summary(verify(uow_factory)) == (False, 2, third)


def test_a_deleted_entry_is_detected(uow_factory, engine, cli):
    write(uow_factory, 5)
    second, third = ids(engine)[1:3]
    with as_owner(engine) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": second})
    assert_broken(cli, says="keyed entry #2 is missing")
    assert summary(verify(uow_factory)) == (False, 1, third)


def test_two_swapped_entries_are_detected(uow_factory, engine, cli):
    write(uow_factory, 5)
    second, third = ids(engine)[1:3]
    with as_owner(engine) as conn:
        for old, new in ((second, -1), (third, second), (-1, third)):
            conn.execute(text("UPDATE audit_log SET id = :new WHERE id = :old"), {"old": old, "new": new})
    assert_broken(cli, says=f"entry {second} (#3) is out of order: #2 is entry {third}")
    assert not verify(uow_factory).intact


def test_deleting_the_newest_entries_is_detected(uow_factory, engine, cli):
    write(uow_factory, 5)
    fourth = ids(engine)[3]
    with as_owner(engine) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id >= :id"), {"id": fourth})
    assert_broken(cli, says="the head names 5 keyed entries but the log holds 3: the newest 2 were deleted")
    assert summary(verify(uow_factory)) == (False, 3, None)


def test_deleting_every_entry_is_detected(uow_factory, engine, cli):
    write(uow_factory, 5)
    with as_owner(engine) as conn:
        conn.execute(text("DELETE FROM audit_log"))
    assert_broken(cli, says="the head names 5 keyed entries but the log holds 0: every keyed entry was deleted")
    assert summary(verify(uow_factory)) == (False, 0, None)


def sha256_chain(prev, at, actor_id, action, subject_type, subject_id, detail) -> str:
    """The chain function before 0005, which anyone could read in the source and run."""
    body = json.dumps([prev, at.astimezone(timezone.utc).isoformat(), actor_id, action, subject_type, subject_id,
                       detail], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def test_deleting_one_and_chaining_again_with_sha256_is_detected(uow_factory, engine, cli):
    write(uow_factory, 5)
    first, second = ids(engine)[:2]
    with as_owner(engine) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": second})
        prev = "0" * 64
        for e in list(Session(bind=conn).scalars(select(AuditEntry).order_by(AuditEntry.id))):
            digest = sha256_chain(prev, e.at, e.actor_id, e.action, e.subject_type, e.subject_id, e.detail)
            conn.execute(text("UPDATE audit_log SET prev_hash = :prev, hash = :hash WHERE id = :id"),
                         {"prev": prev, "hash": digest, "id": e.id})
            prev = digest
    assert_broken(cli, says=f"at entry {first}: entry {first} (#1) does not match its MAC")
    # ... and passing the entries off as pre-keyed ones does not help: the head counts the keyed entries
    with as_owner(engine) as conn:
        conn.execute(text("UPDATE audit_log SET seq = NULL"))
    assert_broken(cli, says="4 entries from before the keyed chain, but the head says 0: some were deleted or added")


def test_deleting_the_head_is_detected_and_stops_recording(uow_factory, engine, cli):
    write(uow_factory, 2)
    with as_owner(engine) as conn:
        conn.execute(text("DELETE FROM audit_head"))
    assert_broken(cli, says="the audit head row is missing")
    with uow_factory() as uow, pytest.raises(audit.AuditBroken):
        audit.record(uow, actor_id=None, action="report.view")


def test_a_head_put_back_is_detected(uow_factory, engine, cli):
    write(uow_factory, 3)
    with engine.connect() as conn:
        earlier = conn.execute(text("SELECT * FROM audit_head")).one()._asdict()
    write(uow_factory, 2, start=3)
    with as_owner(engine) as conn:
        conn.execute(text("UPDATE audit_head SET seq = :seq, last_id = :last_id, last_mac = :last_mac, mac = :mac"),
                     earlier)
    assert_broken(cli, says="the log goes on past its head (#3, the log has #5): the head was put back")
    with as_owner(engine) as conn:
        conn.execute(text("UPDATE audit_head SET seq = 9"))
    assert_broken(cli, says="the audit head does not match its MAC")


def test_the_applications_connection_cannot_change_the_log(uow_factory, engine):
    write(uow_factory, 3)
    attempts = ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "DELETE FROM audit_head",
                "UPDATE audit_head SET seq = seq - 1", "UPDATE audit_head SET seq = seq + 1",
                "INSERT INTO audit_head (id, seq, last_mac, anchor, legacy_count) VALUES (2, 0, 'a', 'a', 0)"]
    if engine.dialect.name == "postgresql":
        attempts += ["TRUNCATE audit_log", "TRUNCATE audit_head"]
    for statement in attempts:
        with uow_factory() as uow, pytest.raises(DBAPIError, match="the audit log is append-only"):
            uow.session.execute(text(statement))
            uow.commit()
    assert verify(uow_factory) == audit.Verdict(True, 3)
    write(uow_factory, 1, start=3)  # while appending still works
    assert verify(uow_factory) == audit.Verdict(True, 4)


def test_kept_heads_show_a_database_put_back_to_an_earlier_copy(uow_factory, engine, cli, tmp_path):
    write(uow_factory, 3)
    with engine.connect() as conn:
        copy = conn.execute(text("SELECT * FROM audit_head")).one()._asdict()
    write(uow_factory, 2, start=3)
    kept = tmp_path / "heads.jsonl"
    taken = cli("head")
    assert taken.returncode == 0, taken.stderr
    kept.write_text(taken.stdout)
    assert json.loads(taken.stdout)["seq"] == 5
    result = cli("verify", "--head", str(kept))
    assert result.returncode == 0 and "consistent with 1 kept head(s)" in result.stdout
    # The owner puts the log and its head back as they were after the third entry: consistent in itself ...
    with as_owner(engine) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq > 3"))
        conn.execute(text("UPDATE audit_head SET seq = :seq, last_id = :last_id, last_mac = :last_mac, mac = :mac"),
                     copy)
    assert verify(uow_factory) == audit.Verdict(True, 3)  # what no head inside the database can show
    assert cli("verify").returncode == 0
    # ... but not with the head kept outside
    said = assert_broken(cli, "--head", str(kept), says="kept head 1: on ")
    assert "the log had 5 keyed entries, now 3: the newest were deleted, or the database was put back" in said
    forged = dict(json.loads(taken.stdout), seq=3)
    kept.write_text(json.dumps(forged) + "\n")
    assert_broken(cli, "--head", str(kept), says="kept head 1: it does not match its MAC")


def test_a_broken_log_gets_no_kept_head(uow_factory, engine, cli):
    write(uow_factory, 2)
    second = ids(engine)[1]
    with as_owner(engine) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": second})
    result = cli("head")
    assert result.returncode == 1 and result.stdout == "" and "the newest 1 were deleted" in result.stderr


def test_concurrent_appends_make_one_chain(uow_factory):
    errors = []

    def append(n):
        try:
            write(uow_factory, 10, start=n * 10)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert verify(uow_factory) == audit.Verdict(True, 40)


def test_rolled_back_work_leaves_no_entry(uow_factory):
    with uow_factory() as uow:
        audit.record(uow, actor_id=None, action="x")
    assert verify(uow_factory) == audit.Verdict(True, 0)
    with uow_factory() as uow:
        assert uow.session.query(AuditEntry).count() == 0


@pytest.fixture
def engine_at_0004(engine, tmp_path):
    """A new database of the same kind as ``engine``, migrated only up to before the keyed chain."""
    if engine.dialect.name == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'before-0005.db'}")
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
    upgrade(engine)
    factory = UowFactory(engine, settings, clock)
    assert verify(factory).problem == ("3 entries from before the keyed chain and no keyed entry yet: anyone with "
                                       "database access could have rewritten them; `safe4c db upgrade` or the "
                                       "next audited action seals them")
    write(factory, 2, start=3)
    assert verify(factory) == audit.Verdict(True, 5)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT prev_hash FROM audit_log WHERE seq = 1")) == prev
    # Rewriting an old entry, even with its SHA-256 chain made whole again, no longer goes unseen
    first_keyed = ids(engine)[3]
    with as_owner(engine) as conn:
        prev = "0" * 64
        entries = list(Session(bind=conn).scalars(select(AuditEntry).where(AuditEntry.seq.is_(None))
                                                  .order_by(AuditEntry.id)))
        for e in entries:
            action = "report.edit" if e.subject_id == "R-1" else e.action
            digest = sha256_chain(prev, e.at, e.actor_id, action, e.subject_type, e.subject_id, e.detail)
            conn.execute(text("UPDATE audit_log SET action = :action, prev_hash = :prev, hash = :hash WHERE id = :id"),
                         {"action": action, "prev": prev, "hash": digest, "id": e.id})
            prev = digest
    assert summary(verify(factory)) == (False, 3, first_keyed)
    assert verify(factory).problem == ("the entries from before the keyed chain do not end where the keyed chain "
                                       "starts: they were rewritten")


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


def test_a_head_file_that_is_not_one_is_refused(uow_factory, cli, tmp_path):
    write(uow_factory, 1)
    junk = tmp_path / "junk.jsonl"
    junk.write_text("not json\n")
    result = cli("verify", "--head", str(junk))
    assert result.returncode == 2 and "line 1 is not a head written by `safe4c audit head`" in result.stderr
    assert cli("verify", "--head", str(tmp_path / "absent.jsonl")).returncode == 2


def test_db_upgrade_covers_the_old_entries_at_once(engine_at_0004, settings, clock, tmp_path):
    write_as_0004(engine_at_0004, clock, 3)
    done = safe4c(engine_at_0004, "db", "upgrade", secret=settings.secret_key, data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "audit log: the 3 entries from before the keyed chain are now covered by it" in done.stdout
    assert verify(UowFactory(engine_at_0004, settings, clock)) == audit.Verdict(True, 4)
    with engine_at_0004.connect() as conn:
        last = conn.execute(text("SELECT seq, action, actor_id FROM audit_log ORDER BY id DESC LIMIT 1")).one()
    assert tuple(last) == (1, "audit.keyed", None)


def test_db_upgrade_reads_no_secret_when_there_is_nothing_to_cover(engine_at_0004, tmp_path):
    done = safe4c(engine_at_0004, "db", "upgrade", secret=None, data_dir=tmp_path / "data")
    assert done.returncode == 0 and "covered" not in done.stdout, done.stderr
    assert not (tmp_path / "data" / "secret.key").exists()


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
