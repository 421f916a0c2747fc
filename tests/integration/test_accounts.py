"""Staff accounts and sessions (on SQLite and PostgreSQL), and the pure helpers of the queue."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from safe4c.db.tables import AuditEntry, StaffSession
from safe4c.db.tables import StaffUser as StaffUserRow
from safe4c.kernel.errors import Invalid
from safe4c.access import accounts
from safe4c.kernel import audit
from safe4c.reports.queue import QueueFilters, TimeLeft, time_left

PASSWORD = "correct horse battery"

pytestmark = pytest.mark.production_password_hashing  # the parameters staff passwords really get


def make_user(uow_factory, username="analis", role="analyst", password=PASSWORD) -> int:
    with uow_factory() as uow:
        return accounts.create_user(uow=uow, username=username, password=password, role=role,
                                    display_name="Analis Satu")


def audit_actions(uow_factory) -> list[tuple[str, dict]]:
    with uow_factory() as uow:
        return [(e.action, e.detail) for e in uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# --- pure ------------------------------------------------------------------------------------------------

def test_time_left_reads_naturally():
    now = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    assert time_left(now + timedelta(minutes=35), now) == TimeLeft(35, "min", False)
    assert time_left(now + timedelta(seconds=30), now) == TimeLeft(1, "min", False)
    assert time_left(now + timedelta(hours=3, minutes=59), now) == TimeLeft(3, "h", False)
    assert time_left(now - timedelta(hours=2, minutes=10), now) == TimeLeft(2, "h", True)
    assert time_left(now - timedelta(minutes=5), now) == TimeLeft(5, "min", True)
    assert time_left(now + timedelta(days=3), now) == TimeLeft(3, "d", False)
    assert time_left(None, now) is None


def test_filters_drop_unknown_values():
    f = QueueFilters.parse({"status": "closed", "priority": "P9", "situation": "grooming", "platform": "<x>",
                            "province": "32", "page": "abc"})
    assert f == QueueFilters(status="closed", situation="grooming", province="32")
    assert QueueFilters.parse({"province": "99", "page": "3"}) == QueueFilters(page=3)
    assert f.query(page=2) == {"status": "closed", "situation": "grooming", "province": "32", "page": "2"}


# --- accounts on a database ------------------------------------------------------------------------------

def test_create_user_hashes_with_argon2_and_lists(uow_factory):
    user_id = make_user(uow_factory, username=" Analis ")
    with uow_factory() as uow:
        row = uow.session.get(StaffUserRow, user_id)
        assert row.username == "analis"
        assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
        assert "$m=65536,t=3,p=4$" in row.password_hash  # argon2-cffi's default, RFC 9106's low-memory profile
        users = accounts.list_users(uow=uow)
    assert [(u.username, u.role, u.display_name) for u in users] == [("analis", "analyst", "Analis Satu")]
    assert audit_actions(uow_factory) == [("user.create", {"role": "analyst", "agency": None})]


@pytest.mark.parametrize("kwargs, field", [
    ({"password": "short"}, "password"),
    ({"role": "superuser"}, "role"),
    ({"username": "a b"}, "username"),
    ({"username": ""}, "username"),
])
def test_create_user_rejects_bad_input(uow_factory, kwargs, field):
    args = {"username": "analis", "password": PASSWORD, "role": "analyst", "display_name": ""} | kwargs
    with uow_factory() as uow:
        with pytest.raises(Invalid) as exc:
            accounts.create_user(uow=uow, **args)
    assert [f.field for f in exc.value.fields] == [field]
    with uow_factory() as uow:
        assert accounts.list_users(uow=uow) == []


def test_duplicate_username_is_invalid(uow_factory):
    make_user(uow_factory)
    with uow_factory() as uow:
        with pytest.raises(Invalid) as exc:
            accounts.create_user(uow=uow, username="ANALIS", password=PASSWORD, role="admin", display_name="")
    assert exc.value.fields[0].field == "username"


def test_authenticate_and_audit_without_personal_data(uow_factory):
    user_id = make_user(uow_factory)
    with uow_factory() as uow:
        assert accounts.authenticate(uow=uow, username="analis", password=PASSWORD).id == user_id
        assert accounts.authenticate(uow=uow, username="analis", password="wrong password!") is None
        assert accounts.authenticate(uow=uow, username="nobody", password=PASSWORD) is None
    actions = audit_actions(uow_factory)
    assert [a for a, _ in actions] == ["user.create", "auth.login", "auth.login_failed", "auth.login_failed"]
    text = repr(actions)
    assert "analis" not in text and "nobody" not in text and "wrong" not in text and PASSWORD not in text
    # the same name tried twice gives the same pseudonym, so repeated attempts can be spotted
    with uow_factory() as uow:
        accounts.authenticate(uow=uow, username="nobody", password="x")
    failed = [d["name_hash"] for a, d in audit_actions(uow_factory) if a == "auth.login_failed"]
    assert failed[1] == failed[2] != failed[0]


def test_inactive_user_cannot_sign_in(uow_factory):
    user_id = make_user(uow_factory)
    with uow_factory() as uow:
        token = accounts.start_session(uow=uow, user_id=user_id)
        uow.session.get(StaffUserRow, user_id).active = False
        uow.commit()
        assert accounts.authenticate(uow=uow, username="analis", password=PASSWORD) is None
        assert accounts.session_user(uow=uow, token=token) is None


def test_password_is_rehashed_when_parameters_change(uow_factory):
    user_id = make_user(uow_factory)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with uow_factory() as uow:
        uow.session.get(StaffUserRow, user_id).password_hash = weak.hash(PASSWORD)
        uow.commit()
        assert accounts.authenticate(uow=uow, username="analis", password=PASSWORD) is not None
        new_hash = uow.session.get(StaffUserRow, user_id).password_hash
    assert "m=8192" not in new_hash and not accounts._hasher.check_needs_rehash(new_hash)


def test_sessions_store_only_a_hash_and_slide(uow_factory, clock):
    user_id = make_user(uow_factory)
    with uow_factory() as uow:
        token = accounts.start_session(uow=uow, user_id=user_id)
        assert len(token) >= 43  # 256 bits, url-safe base64
        stored = uow.session.scalars(select(StaffSession)).all()
        assert len(stored) == 1 and stored[0].token_hash != token and token not in stored[0].token_hash
    hours = 8
    for _ in range(3):  # active use keeps the session alive past its first expiry
        clock.advance(hours=hours - 1)
        with uow_factory() as uow:
            assert accounts.session_user(uow=uow, token=token).id == user_id
    clock.advance(hours=hours, minutes=1)  # idle too long
    with uow_factory() as uow:
        assert accounts.session_user(uow=uow, token=token) is None
        assert accounts.session_user(uow=uow, token="not-a-token") is None
        assert uow.session.scalars(select(StaffSession)).all() == []


def test_end_session_is_audited_and_chain_verifies(uow_factory):
    user_id = make_user(uow_factory)
    with uow_factory() as uow:
        token = accounts.start_session(uow=uow, user_id=user_id)
        accounts.end_session(uow=uow, token=token)
        assert accounts.session_user(uow=uow, token=token) is None
        accounts.end_session(uow=uow, token=token)  # twice is harmless
        assert audit.verify(uow=uow) == audit.Verdict(True, 2)
    assert [a for a, _ in audit_actions(uow_factory)] == ["user.create", "auth.logout"]
