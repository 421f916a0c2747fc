"""The child's status page follows what really happened to her report, on SQLite and PostgreSQL, over HTTP:
read, takedown requested, content taken down, help arranged, closed; and it tells nothing about others."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from helpers import hidden, make_user, sign_in
from sqlalchemy import select, update

from safe4c.access import platforms
from safe4c.db.platforms import TakedownOrder
from safe4c.db.tables import Report
from safe4c.networks import linking
from safe4c.takedowns import orders as takedowns
from safe4c.worker import Worker

PHONE = "0812-3456-7890"
MD5 = "9e107d9d372bb6826bd81d3542a419d6"
VIDEO = "https://www.tiktok.com/@kak.rian/video/7312345678901234567"
SECRETS = ("TikTok", "tiktok", "kak.rian", PHONE, MD5, "polisi", "police", "P1", "jaringan", "network")


@pytest.fixture
def child(app):
    """The child's own phone: no staff session, only the public pages."""
    with TestClient(app) as c:
        yield c


def child_reports(client, **extra) -> str:
    """The child's report through the form; returns her follow-up code."""
    data = {"situations": ["sextortion"], "story": "Dia minta foto lagi.", "accounts": f"{PHONE}\n{VIDEO}\nmd5 {MD5}",
            "consent_services": "yes"} | extra
    r = client.post("/lapor", data=data)
    assert r.status_code == 200, r.text
    return re.search(r'id="followup-code"[^>]*>([0-9A-Z-]+)<', r.text).group(1)


def someone_else_reports(client) -> None:
    r = client.post("/api/v1/public/reports", json={"situations": ["grooming"], "accounts": [PHONE],
                                                    "reporter_role": "parent"})
    assert r.status_code == 201


def run_jobs(uow_factory):
    worker = Worker(uow_factory)
    while worker.run_once():
        pass


def her_report(uow_factory) -> tuple[str, int]:
    with uow_factory() as uow:
        row = uow.session.execute(select(Report.public_id, Report.id).where(Report.channel == "web")).one()
        return row.public_id, linking.cluster_of(uow, row.id)


def status_page(client, code: str, lang: str = "id") -> str:
    r = client.post("/status", data={"code": code}, params={"lang": lang})
    assert r.status_code == 200, r.text
    return r.text


def status_api(client, code: str, lang: str = "en") -> dict:
    r = client.post("/api/v1/public/reports/status", json={"code": code}, params={"lang": lang})
    assert r.status_code == 200, r.text
    return r.json()


def staff(client, uow_factory) -> str:
    make_user(uow_factory, "analis")
    sign_in(client, "analis")
    return hidden(client.get("/staff").text)


def assert_tells_nothing_about_others(html: str, other_id: str | None = None) -> None:
    main = html.split('<main', 1)[1].split("</main>", 1)[0]
    for secret in SECRETS:
        assert secret not in main, secret
    if other_id:
        assert other_id[:8] not in main


def test_read_then_takedown_then_removed_even_while_the_status_stays_new(child, client, uow_factory):
    """The issue's case: read, triaged P1, material confirmed, takedown orders issued, status still "new"."""
    code = child_reports(child)
    someone_else_reports(child)
    run_jobs(uow_factory)
    public_id, cid = her_report(uow_factory)
    assert status_api(child, code)["stage"] == "received"
    assert "Laporanmu sudah kami terima" in status_page(child, code)

    with uow_factory() as uow:
        tiktok = platforms.create_platform(uow=uow, name="TikTok Indonesia", taxonomy_code="tiktok")
    csrf = staff(client, uow_factory)
    assert client.get(f"/staff/reports/{public_id}").status_code == 200  # a trained person opens it
    html = status_page(child, code)
    assert "Sedang dibaca" in html and "Petugas terlatih sedang membaca laporanmu" in html
    assert "Petugas terlatih membacanya." in html

    page = client.get(f"/staff/clusters/{cid}").text
    hash_id = re.search(r'id="cm-(\d+)"', page).group(1)
    video_id = next(i for i in re.findall(r'id="td-(\d+)"', page)
                    if re.search(rf'for="td-{i}">[^<]*<code>https://tiktok.com', page))
    assert client.post(f"/staff/clusters/{cid}/decisions/confirm_material", follow_redirects=False,
                       data={"csrf": csrf, "reason": "Materi dikonfirmasi.", "identifiers": [hash_id]}).status_code == 303
    assert client.post(f"/staff/clusters/{cid}/decisions/takedown", follow_redirects=False,
                       data={"csrf": csrf, "reason": "Video pelaku.", "identifiers": [video_id]}).status_code == 303
    with uow_factory() as uow:  # a second order, from the takedown form
        takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=tiktok.id, target_type="hash", target_value=MD5, hash_type="md5", category="csam",
            report_id=public_id))
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report).where(Report.public_id == public_id))
        assert (row.status, row.priority) == ("new", "P1")
        orders = list(uow.session.scalars(select(TakedownOrder.public_id).where(TakedownOrder.report_id == row.id)))
        assert len(orders) == 2

    found = status_api(child, code)
    assert found["status"] == "new"  # the report's own status, as before
    assert found["stage"] == "takedown_requested"
    assert found["status_text"].startswith("We have asked for the content you told us about to be taken down")
    assert found["steps"] == ["We received your report.", "A trained person read it.",
                              "We asked for the content to be taken down."]
    html = status_page(child, code)
    assert "Sudah ditindaklanjuti" in html and "Kami sudah meminta agar konten yang kamu laporkan diturunkan" in html
    assert_tells_nothing_about_others(html)

    with uow_factory() as uow:
        takedowns.mark_removed(uow=uow, platform_id=tiktok.id, public_id=orders[0])
    found = status_api(child, code)
    assert found["stage"] == "content_removed"
    assert found["steps"][-1] == "The content was taken down."
    html = status_page(child, code, lang="en")
    assert "Content you told us about has been taken down." in html
    assert "2" not in re.sub(r"<[^>]+>|\d{4}", "", html.split("<ol", 1)[1].split("</ol>", 1)[0])  # no counts
    assert_tells_nothing_about_others(html)


def test_help_arranged_only_with_her_consent_and_police_as_passed_on(child, client, uow_factory):
    code = child_reports(child)
    no_consent = child_reports(child, consent_services="", situations=["grooming"])
    run_jobs(uow_factory)
    with uow_factory() as uow:
        rows = dict(uow.session.execute(select(Report.consent_services, Report.public_id)).all())
    csrf = staff(client, uow_factory)
    for public_id in rows.values():
        assert client.post(f"/staff/reports/{public_id}/decisions/refer_child", follow_redirects=False,
                           data={"csrf": csrf, "reason": "Butuh pendampingan."}).status_code == 303
    assert status_api(child, code)["stage"] == "help_arranged"
    html = status_page(child, code)
    assert "Bantuan disiapkan" in html and "Sesuai persetujuanmu" in html
    assert status_api(child, no_consent)["stage"] == "in_review"  # decided on, but she said no to services

    assert client.post(f"/staff/reports/{rows[False]}/decisions/refer_police", follow_redirects=False,
                       data={"csrf": csrf, "reason": "Ancaman nyata."}).status_code == 303
    found = status_api(child, no_consent)
    assert found["stage"] == "passed_on" and "police" not in found["status_text"].lower()
    assert_tells_nothing_about_others(status_page(child, no_consent))


def test_closed_says_why_in_kind_words(child, client, uow_factory):
    code = child_reports(child, accounts="")
    public_id, _ = her_report(uow_factory)
    csrf = staff(client, uow_factory)
    assert client.post(f"/staff/reports/{public_id}/decisions/close", follow_redirects=False,
                       data={"csrf": csrf, "reason": "Tidak ada yang bisa ditindak."}).status_code == 303
    found = status_api(child, code, lang="id")
    assert (found["status"], found["stage"]) == ("closed", "closed_not_actionable")
    html = status_page(child, code)
    assert "Kamu sudah benar memberi tahu kami" in html and "Tidak ada yang bisa ditindak" not in html
    assert "Laporan ini sudah ditutup." in html


def test_a_withdrawn_order_is_not_an_action(child, client, uow_factory):
    code = child_reports(child)
    run_jobs(uow_factory)
    public_id, cid = her_report(uow_factory)
    with uow_factory() as uow:
        platforms.create_platform(uow=uow, name="TikTok Indonesia", taxonomy_code="tiktok")
    csrf = staff(client, uow_factory)
    page = client.get(f"/staff/clusters/{cid}").text
    video_id = next(i for i in re.findall(r'id="td-(\d+)"', page)
                    if re.search(rf'for="td-{i}">[^<]*<code>https://tiktok.com', page))
    assert client.post(f"/staff/clusters/{cid}/decisions/takedown", follow_redirects=False,
                       data={"csrf": csrf, "reason": "Video.", "identifiers": [video_id]}).status_code == 303
    assert status_api(child, code)["stage"] == "takedown_requested"
    with uow_factory() as uow:  # as a withdrawal leaves it (whatever its form asks for)
        uow.session.execute(update(TakedownOrder).values(status="withdrawn"))
        uow.commit()
    found = status_api(child, code)
    assert found["stage"] == "in_review" and "We asked for the content to be taken down." not in found["steps"]
