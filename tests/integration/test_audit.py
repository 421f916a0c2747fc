"""The audit log: a keyed chain with a head, append-only for the application.

Tampering is done the way someone with the database owner's rights (but not the application's secret)
would do it: past the triggers (dropped on SQLite, replica mode as superuser on PostgreSQL), then through
plain SQL. Every attack is checked with `verify` and with the real `safe4c audit verify`.
"""

from __future__ import annotations

import json
import threading

import pytest
from audit_helpers import ids, rechain_with_sha256, safe4c, summary, verify, write
from helpers import as_owner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from safe4c.db.tables import AuditEntry
from safe4c.kernel import audit


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

def test_deleting_one_and_chaining_again_with_sha256_is_detected(uow_factory, engine, cli):
    write(uow_factory, 5)
    first, second = ids(engine)[:2]
    with as_owner(engine) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": second})
        rechain_with_sha256(conn)
    assert_broken(cli, says=f"at entry {first}: entry {first} (#1) does not match its MAC")
    # ... and passing the entries off as pre-keyed ones does not help: the head counts the keyed entries
    with as_owner(engine) as conn:
        conn.execute(text("UPDATE audit_log SET seq = NULL"))
    assert_broken(cli, says="4 entries from before the keyed chain, but the head says 0: some were deleted or added")


def test_a_log_passed_off_as_one_from_before_the_keyed_chain_is_never_sealed(uow_factory, engine, cli, settings,
                                                                              tmp_path):
    write(uow_factory, 5)
    second = ids(engine)[1]
    with as_owner(engine) as conn:  # delete, chain again with SHA-256, and reset the head to before the chain
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": second})
        last = rechain_with_sha256(conn)
        conn.execute(text("UPDATE audit_log SET seq = NULL"))
        conn.execute(text("UPDATE audit_head SET seq = 0, last_id = NULL, last_mac = :last, anchor = :last, "
                          "legacy_count = 4, mac = NULL"), {"last": last})
    says = "4 entries from before the keyed chain and no keyed entry: `safe4c db upgrade` covers them when it adds"
    assert_broken(cli, says=says)
    with uow_factory() as uow, pytest.raises(audit.AuditBroken):  # the application does not seal it ...
        audit.record(uow, actor_id=None, action="report.view")
    upgraded = safe4c(engine, "db", "upgrade", secret=settings.secret_key, data_dir=tmp_path / "cli")
    assert upgraded.returncode == 0 and "covered" not in upgraded.stdout, upgraded.stderr  # ... nor a later upgrade
    assert_broken(cli, says=says)


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

def test_a_head_file_that_is_not_one_is_refused(uow_factory, cli, tmp_path):
    write(uow_factory, 1)
    junk = tmp_path / "junk.jsonl"
    junk.write_text("not json\n")
    result = cli("verify", "--head", str(junk))
    assert result.returncode == 2 and "line 1 is not a head written by `safe4c audit head`" in result.stderr
    assert cli("verify", "--head", str(tmp_path / "absent.jsonl")).returncode == 2
