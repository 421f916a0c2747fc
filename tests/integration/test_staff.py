"""Staff pages over HTTP, on SQLite and PostgreSQL: sign-in, CSRF, the queue, a report, status changes, audit."""

from __future__ import annotations

import re

import pytest
from helpers import PASSWORD, as_owner, hidden, login, make_user
from sqlalchemy import func, select

from safe4c.db.tables import AuditEntry, Report, ReportEvent, StaffSession
from safe4c.reports.rules.report import parse_report
from safe4c.kernel import audit
from safe4c.reports import intake
from safe4c.reports import status as report_status_use_case
from safe4c.reports.rules.queue_order import sort_key

STORY = "Dia mengancam akan menyebar foto saya kalau saya tidak transfer uang."
CONTACT = "anak.pelapor@example.org"
REPORT_LINK = re.compile(r'href="/staff/reports/([0-9a-f-]{36})"')


def submit(uow_factory, **fields) -> str:
    data = {"situations": ["grooming"]} | fields
    with uow_factory() as uow:
        return intake.submit_report(uow=uow, report=parse_report(data), channel="web", language="id").report_id


def count(uow_factory, model) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def actions(uow_factory) -> list[str]:
    with uow_factory() as uow:
        return list(uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def queue_ids(client, query: str = "") -> list[str]:
    r = client.get("/staff" + query)
    assert r.status_code == 200
    return REPORT_LINK.findall(r.text)


def report_status(uow_factory, public_id: str) -> str:
    with uow_factory() as uow:
        return uow.session.scalar(select(Report.status).where(Report.public_id == public_id))


# --- sign in, sign out -----------------------------------------------------------------------------------

def test_login_sets_a_safe_cookie_and_logout_ends_the_session(client, uow_factory):
    make_user(uow_factory)
    r = login(client)
    assert r.status_code == 303 and r.headers["location"] == "/staff"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("safe4c_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    assert count(uow_factory, StaffSession) == 1
    page = client.get("/staff")
    assert page.status_code == 200 and "Analis" in page.text
    assert page.headers["cache-control"] == "no-store"

    r = client.post("/staff/logout", data={"csrf": hidden(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff/login"
    assert count(uow_factory, StaffSession) == 0
    assert client.get("/staff", follow_redirects=False).status_code == 303
    assert actions(uow_factory) == ["user.create", "auth.login", "auth.logout"]


def test_cookies_are_secure_when_configured(engine, settings, clock, uow_factory):
    from fastapi.testclient import TestClient

    from safe4c.web.app import create_app

    make_user(uow_factory)
    app = create_app(settings.model_copy(update={"secure_cookies": True}), clock=clock, engine=engine)
    with TestClient(app, base_url="https://testserver") as c:
        assert "Secure" in c.get("/staff/login").headers["set-cookie"]
        r = login(c)
        assert r.status_code == 303
        assert all("Secure" in h for h in r.headers.get_list("set-cookie"))


def test_wrong_password_and_unknown_user_look_the_same(client, uow_factory):
    make_user(uow_factory)
    wrong, unknown = login(client, password="wrong password!!"), login(client, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda html: re.sub(r'value="[^"]*"', 'value=""', html)  # noqa: E731 - tokens and typed names differ
    assert strip(wrong.text) == strip(unknown.text)
    assert "salah" in wrong.text  # "Nama pengguna atau kata sandi salah." in Indonesian, the default
    assert all(not c.startswith("safe4c_session=") for c in wrong.headers.get_list("set-cookie"))
    assert count(uow_factory, StaffSession) == 0
    assert actions(uow_factory) == ["user.create", "auth.login_failed", "auth.login_failed"]


def test_login_without_csrf_is_refused(client, uow_factory):
    make_user(uow_factory)
    r = client.post("/staff/login", data={"username": "analis", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    client.get("/staff/login")  # has the cookie now, but the field is forged
    r = client.post("/staff/login", data={"username": "analis", "password": PASSWORD, "csrf": "0" * 64})
    assert r.status_code == 403
    assert count(uow_factory, StaffSession) == 0
    assert actions(uow_factory) == ["user.create"]


@pytest.mark.parametrize("target, expected", [("/staff/users", "/staff/users"), ("//evil.example", "/staff"),
                                              ("https://evil.example/staff", "/staff")])
def test_login_returns_only_to_staff_pages(client, uow_factory, target, expected):
    make_user(uow_factory)
    form = client.get("/staff/login", params={"next": target})
    r = client.post("/staff/login", data={"username": "analis", "password": PASSWORD, "csrf": hidden(form.text),
                                          "next": hidden(form.text, "next")}, follow_redirects=False)
    assert r.headers["location"] == expected


# --- not signed in ---------------------------------------------------------------------------------------

def test_visitors_are_redirected_and_see_no_report_data(client, uow_factory):
    public_id = submit(uow_factory, story=STORY, contact_method="email", contact_value=CONTACT)
    for path in ("/staff", f"/staff/reports/{public_id}", "/staff/users", "/staff?status=closed"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/staff/login")
        assert public_id not in r.text and STORY not in r.text and CONTACT not in r.text
    assert client.get(f"/staff/reports/{public_id}", follow_redirects=False).headers["location"] == \
        f"/staff/login?next=/staff/reports/{public_id}"
    r = client.post(f"/staff/reports/{public_id}/status", data={"status": "closed", "note": "x", "csrf": ""},
                    follow_redirects=False)
    assert r.status_code == 303
    assert report_status(uow_factory, public_id) == "new"
    assert count(uow_factory, AuditEntry) == 0
    # a made-up session cookie is no better
    client.cookies.set("safe4c_session", "forged-token")
    assert client.get("/staff", follow_redirects=False).status_code == 303


# --- the queue -------------------------------------------------------------------------------------------

def test_queue_orders_by_priority_then_deadline(client, uow_factory, clock):
    p3 = submit(uow_factory, situations=["grooming"], accounts=["@x"])  # P3, deadline +24 h
    p2_early = submit(uow_factory, situations=["sextortion"])  # P2, deadline +4 h
    clock.advance(minutes=30)
    p1_late = submit(uow_factory, situations=["grooming"], urgent_signals=["danger_now"])  # P1, +1 h from now
    p2_late = submit(uow_factory, situations=["abuse_material"])  # P2, later deadline
    clock.advance(minutes=5)
    p4 = submit(uow_factory, situations=["other"], accounts=["@y"])
    closed = submit(uow_factory, situations=["grooming"], urgent_signals=["danger_now"])
    with uow_factory() as uow:
        uow.session.execute(Report.__table__.update().where(Report.public_id == closed).values(status="closed"))
        uow.commit()
    make_user(uow_factory)
    login(client)
    assert queue_ids(client) == [p1_late, p2_early, p2_late, p3, p4]
    assert queue_ids(client, "?status=closed") == [closed]


def test_queue_filters(client, uow_factory):
    jabar = submit(uow_factory, situations=["grooming"], platforms=["instagram"], province_code="32")
    sextortion = submit(uow_factory, situations=["sextortion", "image_sharing"], platforms=["whatsapp"],
                        province_code="31")
    game = submit(uow_factory, situations=["gaming"], platforms=["free_fire", "discord"])
    make_user(uow_factory)
    login(client)
    assert queue_ids(client, "?situation=image_sharing") == [sextortion]
    assert queue_ids(client, "?situation=grooming") == [jabar]
    assert queue_ids(client, "?platform=discord") == [game]
    assert queue_ids(client, "?platform=instagram&situation=grooming") == [jabar]
    assert queue_ids(client, "?platform=instagram&situation=gaming") == []
    assert queue_ids(client, "?province=31") == [sextortion]
    assert queue_ids(client, "?priority=P2") == [sextortion]
    assert set(queue_ids(client, "?priority=P3")) == {jabar, game}
    assert queue_ids(client, "?status=in_review") == []
    assert len(queue_ids(client, "?status=new")) == 3
    # unknown values are ignored, not errors, and never reach the SQL
    assert len(queue_ids(client, "?situation=%25&platform=x%22&province=99&priority=P9&page=-1")) == 3
    page = client.get("/staff?province=31&situation=sextortion").text
    assert '<option value="31" selected>' in page and "Pemerasan seksual" in page  # filters stay chosen


def test_queue_pages_by_50(client, uow_factory):
    ids = [submit(uow_factory, situations=["other"]) for _ in range(52)]
    make_user(uow_factory)
    login(client)
    first = client.get("/staff")
    assert len(REPORT_LINK.findall(first.text)) == 50 and "Halaman 1 dari 2" in first.text
    assert 'href="/staff?page=2"' in first.text
    second = queue_ids(client, "?page=2")
    assert len(second) == 2 and set(REPORT_LINK.findall(first.text)) | set(second) == set(ids)


def test_time_left_follows_the_clock(client, uow_factory, clock):
    submit(uow_factory, situations=["grooming"], urgent_signals=["danger_now"])  # P1: 60 minutes
    make_user(uow_factory)
    login(client)

    def shown(lang="en") -> str:
        html = client.get("/staff", params={"lang": lang}).text
        return re.search(r'<td class="time-left"><time [^>]*>(.*?)</time>', html, re.S).group(1)

    assert shown() == "in 1 h"
    clock.advance(minutes=25)
    assert shown() == "in 35 min"
    assert shown("id") == "35 menit lagi"
    clock.advance(minutes=35 + 125)
    assert "overdue 2 h" in shown()
    assert "terlambat 2 jam" in shown("id")


def test_deadline_is_met_once_an_analyst_takes_the_report_up(client, uow_factory, clock):
    public_id = submit(uow_factory, situations=["grooming"], urgent_signals=["danger_now"])
    make_user(uow_factory)
    login(client)
    clock.advance(hours=3)
    assert "overdue 2 h" in client.get("/staff", params={"lang": "en"}).text
    assert change(client, public_id, status="in_review", note="Sedang saya tangani.", current="new").status_code == 303
    html = client.get("/staff", params={"lang": "en"}).text
    assert "overdue" not in html
    assert re.search(r'<td class="time-left">\s*—\s*</td>', html)


# --- a report and its status -----------------------------------------------------------------------------

def test_report_page_shows_everything_and_the_view_is_audited(client, uow_factory):
    public_id = submit(uow_factory, situations=["sextortion"], urgent_signals=["threat_deadline"], story=STORY,
                       contact_method="email", contact_value=CONTACT, accounts=["@pemeras"], age_band="10_12",
                       province_code="32", regency_code="32.76", platforms=["instagram"])
    make_user(uow_factory)
    login(client)
    before = count(uow_factory, AuditEntry)
    r = client.get(f"/staff/reports/{public_id}")
    assert r.status_code == 200
    for text in (STORY, CONTACT, "@pemeras", "Instagram", "Jawa Barat", "Anak diancam dengan batas waktu.",
                 "Pemerasan seksual", "Laporan diterima", "Batas waktu tindakan pertama"):
        assert text in r.text, text
    assert 'class="badge badge-p1"' in r.text
    assert count(uow_factory, AuditEntry) == before + 1
    with uow_factory() as uow:
        entry = uow.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert (entry.action, entry.subject_type, entry.subject_id, entry.detail) == \
            ("report.view", "report", public_id, {})


def test_unknown_report_is_404(client, uow_factory):
    make_user(uow_factory)
    login(client)
    r = client.get("/staff/reports/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and "Tidak ada laporan" in r.text


def change(client, public_id, *, status, note, csrf=None, current=None):
    page = client.get(f"/staff/reports/{public_id}")
    data = {"status": status, "note": note, "csrf": hidden(page.text) if csrf is None else csrf}
    if current is not None:
        data["current"] = current
    return client.post(f"/staff/reports/{public_id}/status", data=data, follow_redirects=False)


def test_status_change_writes_event_status_and_audit(client, uow_factory, clock):
    public_id = submit(uow_factory, story=STORY)
    user_id = make_user(uow_factory)
    login(client)
    clock.advance(minutes=12)
    r = change(client, public_id, status="in_review", note="Saya periksa akun pelaku.", current="new")
    assert r.status_code == 303 and r.headers["location"] == f"/staff/reports/{public_id}?saved=status"
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report).where(Report.public_id == public_id))
        assert row.status == "in_review" and row.updated_at == clock.now()
        event = uow.session.scalar(select(ReportEvent).where(ReportEvent.kind == "status"))
        assert (event.from_status, event.to_status, event.actor_id) == ("new", "in_review", user_id)
        assert b"pelaku" not in event.note_sealed  # encrypted at rest
        assert uow.ctx.sealer.open(event.note_sealed, context="report.note") == "Saya periksa akun pelaku."
        entry = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "report.status"))
        assert (entry.actor_id, entry.subject_id, entry.detail) == (user_id, public_id, {"from": "new", "to": "in_review"})
    page = client.get(r.headers["location"])
    assert "Saya periksa akun pelaku." in page.text and "Status diubah" in page.text
    assert 'role="status"' in page.text


def test_status_change_without_note_is_422_and_saves_nothing(client, uow_factory):
    public_id = submit(uow_factory, story=STORY, contact_method="email", contact_value=CONTACT)
    make_user(uow_factory)
    login(client)
    page = client.get(f"/staff/reports/{public_id}")
    audited = count(uow_factory, AuditEntry)
    r = client.post(f"/staff/reports/{public_id}/status",
                    data={"status": "in_review", "note": "   ", "csrf": hidden(page.text), "current": "new"})
    assert r.status_code == 422
    assert 'id="note-error"' in r.text and 'aria-invalid="true"' in r.text
    assert STORY not in r.text and CONTACT not in r.text  # not a way around the audited view
    assert report_status(uow_factory, public_id) == "new"
    assert count(uow_factory, ReportEvent) == 0
    assert count(uow_factory, AuditEntry) == audited


def test_disallowed_or_stale_transition_is_refused(client, uow_factory):
    public_id = submit(uow_factory)
    make_user(uow_factory)
    login(client)
    r = change(client, public_id, status="actioned", note="Langsung ditindak.")  # new -> actioned: not allowed
    assert r.status_code == 422 and 'id="status-error"' in r.text
    r = change(client, public_id, status="archived", note="?")
    assert r.status_code == 422
    r = change(client, public_id, status="closed", note="Tutup.", current="in_review")  # someone moved it
    assert r.status_code == 422 and "Orang lain" in r.text
    assert report_status(uow_factory, public_id) == "new"
    assert count(uow_factory, ReportEvent) == 0


def test_status_change_without_csrf_is_403_and_changes_nothing(client, uow_factory):
    public_id = submit(uow_factory)
    make_user(uow_factory)
    login(client)
    audited = count(uow_factory, AuditEntry)
    for token in ("", "f" * 64):
        r = change(client, public_id, status="in_review", note="Catatan.", csrf=token)
        assert r.status_code == 403
    audited += 2  # the two page views made by change() are audited; the posts are not
    assert report_status(uow_factory, public_id) == "new"
    assert count(uow_factory, ReportEvent) == 0
    assert count(uow_factory, AuditEntry) == audited
    # a token from another session does not work either
    make_user(uow_factory, "kedua")
    other = client.get("/staff")
    token = hidden(other.text)
    client.cookies.clear()
    login(client, "kedua")
    r = client.post(f"/staff/reports/{public_id}/status", data={"status": "in_review", "note": "x", "csrf": token})
    assert r.status_code == 403


# --- roles -----------------------------------------------------------------------------------------------

def test_only_admins_see_users(client, uow_factory):
    make_user(uow_factory, "analis", "analyst")
    make_user(uow_factory, "kepala", "admin")
    login(client, "analis")
    assert 'href="/staff/users"' not in client.get("/staff").text
    r = client.get("/staff/users")
    assert r.status_code == 403 and "kepala" not in r.text
    client.cookies.clear()
    login(client, "kepala")
    assert 'href="/staff/users"' in client.get("/staff").text
    r = client.get("/staff/users")
    assert r.status_code == 200
    assert '<th scope="row">analis</th>' in r.text and '<th scope="row">kepala</th>' in r.text
    assert "argon2" not in r.text


# --- the audit trail -------------------------------------------------------------------------------------

def test_audit_chain_verifies_after_a_working_session(client, uow_factory, clock, engine):
    first, second = submit(uow_factory, story=STORY), submit(uow_factory, situations=["sextortion"])
    make_user(uow_factory)
    login(client, password="wrong password!!")
    login(client)
    for public_id, steps in ((first, ("in_review", "actioned", "closed")), (second, ("in_review",))):
        for step in steps:
            clock.advance(minutes=3)
            assert change(client, public_id, status=step, note=f"Langkah {step}.").status_code == 303
    change(client, second, status="closed", note="")  # refused: nothing written
    client.post("/staff/logout", data={"csrf": hidden(client.get("/staff").text)})
    with uow_factory() as uow:
        verdict = audit.verify(uow=uow)
    assert verdict.intact and verdict.broken is None and verdict.checked == count(uow_factory, AuditEntry)
    got = actions(uow_factory)
    assert got[:3] == ["user.create", "auth.login_failed", "auth.login"] and got[-1] == "auth.logout"
    assert got.count("report.status") == 4 and got.count("report.view") == 5
    # and the chain notices tampering (by the database's owner: the application may not change the log)
    with as_owner(engine) as conn:
        conn.execute(AuditEntry.__table__.update().where(AuditEntry.action == "report.status")
                     .values(detail={"from": "new", "to": "closed"}))
    with uow_factory() as uow:
        assert audit.verify(uow=uow).intact is False


# --- pages -----------------------------------------------------------------------------------------------

def test_staff_pages_have_no_quick_exit_and_no_inline_code(client, uow_factory):
    public_id = submit(uow_factory, story=STORY)
    make_user(uow_factory, "kepala", "admin")
    pages = {"login": client.get("/staff/login").text}
    login(client, "kepala")
    pages |= {path: client.get(path).text for path in ("/staff", f"/staff/reports/{public_id}", "/staff/users")}
    for name, html in pages.items():
        assert 'id="quick-exit"' not in html and "<script" not in html, name
        assert "style=" not in html and "<style" not in html, name
        assert 'href="/static/staff.css"' in html and '<html lang="id">' in html, name
        assert re.findall(r"<th(?![^>]*scope=)[ >]", html) == [], name  # every header cell says its scope
    assert client.get("/static/staff.css").status_code == 200


def test_a_regulator_never_sees_a_childs_report(client, uow_factory):
    public_id = submit(uow_factory, story=STORY)
    make_user(uow_factory, username="regulator", role="regulator")
    r = client.get("/staff/login")
    r = client.post("/staff/login", data={"username": "regulator", "password": PASSWORD, "csrf": hidden(r.text),
                                          "next": "/staff"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff/compliance"
    for path in ("/staff", f"/staff/reports/{public_id}"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert STORY not in page.text and public_id not in page.text
    compliance = client.get("/staff/compliance")
    assert compliance.status_code == 200 and 'href="/staff"' not in compliance.text
    refused = client.post(f"/staff/reports/{public_id}/status",
                          data={"status": "closed", "note": "x", "csrf": hidden(compliance.text), "current": "new"})
    assert refused.status_code == 403 and report_status(uow_factory, public_id) == "new"


def test_queue_puts_new_and_overdue_p1_above_p1_in_review(client, uow_factory, clock):
    reviewed = [submit(uow_factory, situations=["grooming"], urgent_signals=["danger_now"]) for _ in range(2)]
    clock.advance(minutes=30)
    overdue_new = submit(uow_factory, situations=["grooming"], urgent_signals=["danger_now"])
    clock.advance(hours=2)  # every P1 deadline (1 h) has passed
    fresh_new = submit(uow_factory, situations=["grooming"], urgent_signals=["live_now"])
    p2_new = submit(uow_factory, situations=["sextortion"])
    user_id = make_user(uow_factory)
    for public_id in reviewed:
        with uow_factory() as uow:
            report_status_use_case.change_status(uow=uow, public_id=public_id, actor_id=user_id,
                                                 to_status="in_review", note="Sedang ditinjau.")
    login(client)
    shown = queue_ids(client)
    assert shown == [overdue_new, fresh_new, *reviewed, p2_new]
    with uow_factory() as uow:  # the SQL order is the rule's order
        keys = {r.public_id: sort_key(priority=r.priority, status=r.status, deadline_at=r.deadline_at,
                                      report_id=r.id) for r in uow.session.scalars(select(Report))}
    assert sorted(shown, key=keys.get) == shown
