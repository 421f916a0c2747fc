"""Staff sign-in throttling over HTTP, on SQLite and PostgreSQL: back-off per account and per address, a lock for
unrecognised devices that an administrator lifts, and staff who still sign in from their own browser while
someone who knows every username attacks them all."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from helpers import PASSWORD, hidden, make_user
from sqlalchemy import select, text

from safe4c.kernel.clock import FrozenClock
from safe4c.kernel.settings import Settings
from safe4c.db.session import make_engine
from safe4c.db.tables import AuditEntry, StaffSession
from safe4c.access import accounts
from safe4c.kernel.uow import UowFactory
from safe4c.web.app import create_app

ATTACKER = "198.51.100.66"
LOCKED_ID = "Akun ini dikunci setelah terlalu banyak percobaan masuk yang gagal"
LOCKED_EN = "This account is locked after too many failed sign-ins from devices it has not used before."


def browser(app, address: str) -> TestClient:
    """A browser of its own (its own cookies) connecting from ``address``."""
    return TestClient(app, client=(address, 40000))


def try_login(client: TestClient, username: str, password: str, lang: str | None = None):
    headers = {"Accept-Language": lang} if lang else None  # the browser's language
    form = client.get("/staff/login", headers=headers)
    return client.post("/staff/login", data={"username": username, "password": password, "csrf": hidden(form.text)},
                       headers=headers, follow_redirects=False)


def signed_in(response) -> bool:
    return response.status_code == 303 and "safe4c_session=" in response.headers.get("set-cookie", "")


def audit(uow_factory, action: str) -> list[dict]:
    """The details of the audit entries for ``action``."""
    with uow_factory() as uow:
        return list(uow.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == action)))


def lock_by_many_addresses(app, clock, username: str, tries: int = 20) -> None:
    """A patient attacker with many addresses: one wrong password from each, waiting out every back-off."""
    for n in range(tries):
        r = try_login(browser(app, f"198.51.{100 + n // 200}.{n % 200 + 1}"), username, f"tebakan-{n}")
        assert r.status_code in (401, 429)
        clock.advance(seconds=901)


def test_200_wrong_passwords_then_the_right_one_does_not_get_in(app, uow_factory, clock):
    make_user(uow_factory, "analis")
    attacker = browser(app, ATTACKER)
    codes = []
    for n in range(200):  # 200 tries in 26 s, as in the finding
        codes.append(try_login(attacker, "analis", f"tebakan-{n}").status_code)
        clock.advance(seconds=0.13)
    r = try_login(attacker, "analis", PASSWORD)
    assert r.status_code == 429 and not signed_in(r)
    assert "Terlalu banyak percobaan masuk yang gagal. Tunggu" in r.text and int(r.headers["Retry-After"]) > 0
    # the passwords actually checked: the 5 free tries and the few the doubling wait let through in 26 s
    assert codes.count(401) == len(audit(uow_factory, "auth.login_failed")) == 8
    assert codes.count(429) == 192
    with uow_factory() as uow:
        assert uow.session.scalar(select(StaffSession.user_id)) is None


def test_a_slow_attack_locks_the_account_for_unrecognised_devices_until_an_admin_unlocks_it(app, uow_factory, clock):
    make_user(uow_factory, "analis")
    make_user(uow_factory, "kepala", "admin")
    admin = browser(app, "203.0.113.20")
    assert signed_in(try_login(admin, "kepala", PASSWORD))  # before the attack, on the admin's own computer
    attacker = browser(app, ATTACKER)
    for n in range(40):  # waits out every back-off: never more than 20 passwords are checked
        try_login(attacker, "analis", f"tebakan-{n}")
        clock.advance(seconds=901)
    assert len(audit(uow_factory, "auth.login_failed")) == 20
    assert len(audit(uow_factory, "auth.locked")) == 1
    # the right password no longer helps from a device that never signed in to the account, days later too
    clock.advance(days=3)
    r = try_login(browser(app, "203.0.113.30"), "analis", PASSWORD)
    assert r.status_code == 429 and LOCKED_ID in r.text and not signed_in(r)
    r = try_login(browser(app, "203.0.113.31"), "analis", PASSWORD, lang="en")
    assert r.status_code == 429 and LOCKED_EN in r.text

    assert signed_in(try_login(admin, "kepala", PASSWORD))  # the admin's session expired; their device still works
    users = admin.get("/staff/users")
    assert "Dikunci sejak" in users.text and 'action="/staff/users/analis/unlock"' in users.text
    r = admin.post("/staff/users/analis/unlock", data={"csrf": hidden(users.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert "Kunci akun sudah dibuka" in admin.get(r.headers["location"]).text
    assert audit(uow_factory, "user.unlock") == [{"was_locked": True}]
    assert signed_in(try_login(browser(app, "203.0.113.30"), "analis", PASSWORD))


def test_only_an_admin_can_unlock(app, uow_factory, clock, settings):
    settings.login_lock_failures = 3  # fewer tries to lock, so the test is quick
    make_user(uow_factory, "analis")
    make_user(uow_factory, "analis2")
    lock_by_many_addresses(app, clock, "analis2", tries=3)
    colleague = browser(app, "203.0.113.40")
    assert signed_in(try_login(colleague, "analis", PASSWORD))
    page = colleague.get("/staff")
    r = colleague.post("/staff/users/analis2/unlock", data={"csrf": hidden(page.text)}, follow_redirects=False)
    assert r.status_code == 403
    assert LOCKED_ID in try_login(browser(app, "203.0.113.41"), "analis2", PASSWORD).text


def test_an_attacker_who_knows_every_name_cannot_keep_staff_out_of_their_own_browsers(app, uow_factory, clock,
                                                                                     settings):
    settings.login_lock_failures = 3  # fewer tries to lock, so the test is quick
    names = ["analis", "kepala", "regulator1"]
    for name, role in zip(names, ["analyst", "admin", "regulator"]):
        make_user(uow_factory, name, role)
    own = {name: browser(app, f"203.0.113.{50 + i}") for i, name in enumerate(names)}
    for name, client in own.items():  # each has signed in at work before, then signed out
        assert signed_in(try_login(client, name, PASSWORD))
        client.cookies.delete("safe4c_session")
    for name in names + ["tidakada"]:  # every real name, and one that does not exist
        lock_by_many_addresses(app, clock, name, tries=4)
    attacker = browser(app, ATTACKER)
    for name in names:  # and from one address, as fast as it likes
        for n in range(10):
            try_login(attacker, name, f"tebakan-{n}")
    for name in names:  # locked for any new device; the answer for a name that does not exist is the same
        assert LOCKED_ID in try_login(browser(app, "192.0.2.77"), name, PASSWORD).text
    assert LOCKED_ID in try_login(browser(app, "192.0.2.77"), "tidakada", PASSWORD).text
    for name, client in own.items():  # yet each signs in at once from their own browser
        assert signed_in(try_login(client, name, PASSWORD)), name
    # even from the attacker's own network (same address): the device cookie is what counts
    shared_wifi = browser(app, ATTACKER)
    shared_wifi.cookies = own["analis"].cookies
    shared_wifi.cookies.delete("safe4c_session")
    assert signed_in(try_login(shared_wifi, "analis", PASSWORD))


def test_with_the_real_clock_the_right_password_gets_in_at_once(engine, settings, uow_factory):
    make_user(uow_factory, "analis")
    app = create_app(settings, engine=engine)  # the system clock: each reading is a little later than the last
    assert signed_in(try_login(browser(app, "203.0.113.80"), "analis", PASSWORD))


def test_one_address_trying_many_names_is_slowed_down(app, uow_factory, clock):
    for n in range(8):
        make_user(uow_factory, f"staf{n}")
    sprayer = browser(app, ATTACKER)
    codes = [try_login(sprayer, f"staf{n}", "Jakarta2026!!").status_code for n in range(8)]
    assert codes == [401] * 5 + [429] * 3
    # someone else, elsewhere, is not slowed by it
    assert signed_in(try_login(browser(app, "203.0.113.60"), "staf7", PASSWORD))


def test_failures_are_counted_across_app_instances(engine, settings, clock, uow_factory):
    make_user(uow_factory, "analis")
    first, second = (create_app(settings, clock=clock, engine=engine) for _ in range(2))
    codes = [try_login(browser(app, ATTACKER), "analis", f"tebakan-{n}").status_code
             for n, app in enumerate([first, second] * 3)]
    assert codes == [401] * 5 + [429]


def test_a_burst_is_charged_before_any_password_is_checked(uow_factory, clock):
    from safe4c.access import login_throttle

    # five tries in flight at once, none settled yet: a sixth must wait, not be checked alongside them
    for _ in range(5):
        with uow_factory() as uow:
            login_throttle.begin(uow=uow, name="analis", address=ATTACKER)
    with uow_factory() as uow, pytest.raises(login_throttle.SignInWait) as refused:
        login_throttle.begin(uow=uow, name="analis", address=ATTACKER)
    assert refused.value.params == {"seconds": 2}


def test_a_device_that_fails_too_often_is_not_recognised_any_more(app, uow_factory, clock, settings):
    settings.login_lock_failures = 6
    make_user(uow_factory, "analis")
    stolen = browser(app, "203.0.113.70")
    assert signed_in(try_login(stolen, "analis", PASSWORD))
    stolen.cookies.delete("safe4c_session")
    for n in range(12):  # 6 against the device, then 6 more against the account: it locks
        try_login(stolen, "analis", f"tebakan-{n}")
        clock.advance(seconds=901)
    assert LOCKED_ID in try_login(stolen, "analis", PASSWORD).text


def test_messages_in_english_and_waits_in_minutes(app, uow_factory, clock):
    make_user(uow_factory, "analis")
    attacker = browser(app, ATTACKER)
    for n in range(5):
        try_login(attacker, "analis", f"tebakan-{n}")
    r = try_login(attacker, "analis", "lagi", lang="en")
    assert r.status_code == 429 and "Too many failed sign-ins. Wait 2 seconds, then try again." in r.text
    for n in range(6):
        clock.advance(seconds=600)
        try_login(attacker, "analis", f"tebakan-{n}")
    r = try_login(attacker, "analis", "lagi", lang="en")
    # 11 failures: the next try waits 2**7 = 128 s, said in minutes
    assert "Too many failed sign-ins. Wait 3 minutes, then try again." in r.text
    assert r.headers["Retry-After"] == "128"


def test_no_name_or_address_is_logged_or_stored(app, uow_factory, clock, caplog, settings):
    caplog.set_level(logging.DEBUG)
    settings.login_lock_failures = 3
    make_user(uow_factory, "analis")
    secret_name = "namarahasia"
    lock_by_many_addresses(app, clock, "analis", tries=3)
    attacker = browser(app, ATTACKER)
    for n in range(8):
        try_login(attacker, secret_name, f"tebakan-{n}")
        try_login(attacker, "analis", f"tebakan-{n}")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in ("analis", secret_name, ATTACKER, "198.51.100", "tebakan"):
        assert secret not in logged
    with uow_factory() as uow:
        stored = " ".join(str(row) for row in uow.session.execute(text("SELECT * FROM login_failures")))
        stored += " ".join(str(e.detail) for e in uow.session.scalars(select(AuditEntry)))
    for secret in ("analis", secret_name, ATTACKER, "198.51.100", "tebakan"):
        assert secret not in stored


def test_the_cli_lists_and_unlocks_a_locked_account(tmp_path):
    from safe4c.access import login_throttle

    env = dict(os.environ, SAFE4C_DATA_DIR=str(tmp_path), SAFE4C_DATABASE_URL="", SAFE4C_SECRET_KEY="cli-test")

    def run(*args, stdin=None):
        return subprocess.run([sys.executable, "-m", "safe4c.cli", *args], env=env, input=stdin,
                              capture_output=True, text=True, timeout=120)

    assert run("db", "upgrade").returncode == 0
    assert run("user", "create", "analis", "--password-stdin", stdin=PASSWORD + "\n").returncode == 0
    settings = Settings(data_dir=tmp_path, secret_key="cli-test", login_lock_failures=3)
    clock = FrozenClock()
    engine = make_engine(settings.resolved_database_url)
    factory = UowFactory(engine, settings, clock)

    def sign_in(password, address):
        with factory() as uow:
            return accounts.authenticate(uow=uow, username="analis", password=password, address=address)

    for n in range(3):
        clock.advance(seconds=901)
        assert sign_in(f"tebakan-{n}", f"198.51.100.{n + 1}") is None
    with pytest.raises(login_throttle.AccountLocked):
        sign_in(PASSWORD, "203.0.113.5")
    assert "analis\tanalyst\tlocked" in run("user", "list").stdout
    unlocked = run("user", "unlock", "analis")
    assert unlocked.returncode == 0 and unlocked.stdout == "unlocked analis\n"
    assert sign_in(PASSWORD, "203.0.113.5").username == "analis"
    assert "analis\tanalyst\tactive" in run("user", "list").stdout
    unknown = run("user", "unlock", "tidakada")
    assert unknown.returncode == 1 and "There is no staff account with this name." in unknown.stderr
    engine.dispose()
