"""Issue 12, the analyst: one open takedown order per platform and target whichever way it is issued (the form,
a network's decision, the database itself), a Telegram group ordered as its link, and withdrawing an order
only with a reason and a confirmation; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
import time

import pytest
from helpers import hidden, make_user, sign_in
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from safe4c.access import platforms
from safe4c.db.platforms import TakedownEvent, TakedownOrder
from safe4c.db.tables import AuditEntry, Report
from safe4c.networks import membership
from safe4c.reports import intake
from safe4c.reports.rules.report import parse_report
from safe4c.takedowns import compliance, orders as takedowns
from safe4c.web.i18n import translate
from safe4c.worker import Worker

GROUP = "https://t.me/grup_rahasia_x"


def submit(uow_factory, **fields) -> str:
    with uow_factory() as uow:
        return intake.submit_report(uow=uow, report=parse_report({"situations": ["grooming"]} | fields),
                                    channel="web", language="id").report_id


def login(client, uow_factory) -> str:
    make_user(uow_factory, "analis")
    sign_in(client, "analis")
    return hidden(client.get("/staff/takedowns").text)


def open_orders(uow_factory) -> list[TakedownOrder]:
    with uow_factory() as uow:
        rows = list(uow.session.scalars(select(TakedownOrder).where(TakedownOrder.status.in_(takedowns.OPEN_STATUSES))))
        uow.session.expunge_all()
        return rows


def form(csrf, platform_id, target_type, value) -> dict:
    return {"csrf": csrf, "platform_id": str(platform_id), "target_type": target_type, "target_value": value,
            "category": "csam"}


def test_the_form_does_not_issue_a_second_open_order_and_links_to_the_first(client, uow_factory):
    with uow_factory() as uow:
        tiktok = platforms.create_platform(uow=uow, name="TikTok Indonesia", taxonomy_code="tiktok")
    csrf = login(client, uow_factory)
    video = "https://www.tiktok.com/@kak.rian/video/7312345678901234567?utm_source=wa"
    first = client.post("/staff/takedowns", data=form(csrf, tiktok.id, "url", video), follow_redirects=False)
    assert first.status_code == 303
    kept = open_orders(uow_factory)[0].public_id
    for lang, said in (("en", "This order was not issued: an open order already exists"),
                       ("id", "Perintah ini tidak diterbitkan: sudah ada perintah yang masih terbuka")):
        again = client.post(f"/staff/takedowns?lang={lang}", data=form(
            csrf, tiktok.id, "url", "http://tiktok.com/@Kak.Rian/video/7312345678901234567"))
        assert again.status_code == 409 and said in again.text
        assert f'href="/staff/takedowns/{kept}"' in again.text
    assert [o.public_id for o in open_orders(uow_factory)] == [kept]
    # once the first is closed, the same target may be ordered again
    page = client.get(f"/staff/takedowns/{kept}").text
    client.post(f"/staff/takedowns/{kept}/withdraw", data={"csrf": hidden(page), "reason": "Salah tautan.",
                                                           "confirm": "yes"})
    assert client.post("/staff/takedowns", data=form(csrf, tiktok.id, "url", video),
                       follow_redirects=False).status_code == 303


def test_a_telegram_group_is_one_link_target_from_the_network_page_and_the_form(client, uow_factory):
    a = submit(uow_factory, accounts=[GROUP], platforms=["telegram"])
    b = submit(uow_factory, story=f"Dia suruh gabung {GROUP} sekarang.")
    worker = Worker(uow_factory)
    while worker.run_once():
        pass
    with uow_factory() as uow:
        telegram = platforms.create_platform(uow=uow, name="Telegram", taxonomy_code="telegram")
        cid = membership.cluster_of(uow, uow.session.scalar(select(Report.id).where(Report.public_id == a)))
    csrf = login(client, uow_factory)
    page = client.get(f"/staff/clusters/{cid}?lang=en").text
    assert "Telegram link t.me/grup_rahasia_x" in page and "Telegram account" not in page
    group_id = re.search(r'id="td-(\d+)"[^>]*>\s*<label for="td-\1">Telegram link <code>t\.me/grup_rahasia_x',
                         page).group(1)
    for _ in range(2):  # ordering it twice from the network page gives one order
        r = client.post(f"/staff/clusters/{cid}/decisions/takedown", follow_redirects=False,
                        data={"csrf": csrf, "reason": "Grup penjualan.", "identifiers": [group_id]})
        assert r.status_code == 303
    [order] = open_orders(uow_factory)
    assert (order.platform_id, order.target_type, order.target_value) == (telegram.id, "url", GROUP)
    # the form's "account" path resolves to the same target, in any spelling
    for value in ("@Grup_Rahasia_X", "grup_rahasia_x", "telegram.me/grup_rahasia_x"):
        r = client.post("/staff/takedowns?lang=en", data=form(csrf, telegram.id, "account", value))
        assert r.status_code == 409 and f'href="/staff/takedowns/{order.public_id}"' in r.text
    assert len(open_orders(uow_factory)) == 1
    with uow_factory() as uow:  # the story's link joined the same network as the account's report
        assert b and b != a and cid is not None
        assert membership.cluster_of(uow, uow.session.scalar(select(Report.id).where(Report.public_id == b))) == cid


def test_the_database_refuses_a_second_open_order_for_a_target(uow_factory):
    with uow_factory() as uow:
        x = platforms.create_platform(uow=uow, name="X Corp", taxonomy_code="x")
    with uow_factory() as uow:
        first = takedowns.place_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=x.id, target_type="url", target_value="https://x.com/a/status/1", category="csam"))
        uow.commit()
    with uow_factory() as uow, pytest.raises(IntegrityError):  # bypassing the use case: the index still holds
        row = uow.session.scalar(select(TakedownOrder).where(TakedownOrder.public_id == first.public_id))
        copy = {c.key: getattr(row, c.key) for c in TakedownOrder.__table__.columns if c.key != "id"}
        uow.session.add(TakedownOrder(**{**copy, "public_id": "00000000-0000-0000-0000-000000000001"}))
        uow.session.flush()
    with uow_factory() as uow:  # a withdrawn or removed order leaves the index
        takedowns.withdraw(uow=uow, public_id=first.public_id, actor_id=None, reason="Uji.", confirmed=True)
    with uow_factory() as uow:
        takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=x.id, target_type="url", target_value="https://x.com/a/status/1", category="csam"))
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(TakedownOrder)) == 2


def wait_until_waiting_on_a_lock(engine, thread: threading.Thread) -> None:
    """PostgreSQL: until another session waits on a row lock on takedown_orders (the second insert into the
    unique index, blocked by the first transaction's uncommitted row). SQLite: the second transaction waits for
    the write lock (BEGIN IMMEDIATE) and is given a moment to get there."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.3)
        return
    for _ in range(200):
        with engine.connect() as conn:
            if conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                "AND datname = current_database() AND query ILIKE '%takedown_orders%'")):
                return
        assert thread.is_alive(), "the second order was not held back by the first"
        time.sleep(0.05)
    raise AssertionError("the second transaction never waited for the first")


def test_two_transactions_placing_the_same_order_at_once_give_one_order(uow_factory, engine):
    """Neither transaction sees the other's uncommitted order when it looks; the unique index decides, and the
    one that loses is told which order is open (place_order's IntegrityError path on PostgreSQL)."""
    with uow_factory() as uow:
        x = platforms.create_platform(uow=uow, name="X Corp", taxonomy_code="x")
    order = takedowns.OrderInput(platform_id=x.id, target_type="url", target_value="https://x.com/a/status/2",
                                 category="csam")
    outcome: dict = {}

    def second():
        try:
            with uow_factory() as uow:
                outcome["placed"] = takedowns.place_order(uow=uow, order=order, actor_id=None).public_id
                uow.commit()
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["error"] = exc

    with uow_factory() as uow:
        first = takedowns.place_order(uow=uow, order=order, actor_id=None).public_id  # written, not committed
        thread = threading.Thread(target=second)
        thread.start()
        wait_until_waiting_on_a_lock(engine, thread)
        uow.commit()
    thread.join(timeout=30)
    assert not thread.is_alive() and "placed" not in outcome
    refused = outcome["error"]
    assert isinstance(refused, takedowns.DuplicateOrder) and refused.existing == first
    assert translate("en", refused.message, **refused.params) == (
        f"An open order for this target and platform already exists: order {first[:8]}.")
    assert [o.public_id for o in open_orders(uow_factory)] == [first]
    with pytest.raises(ValueError):  # never "order ." without the order's reference
        takedowns.DuplicateOrder("")
    with uow_factory() as uow:  # one order, one "issued" event: the loser left nothing behind
        assert uow.session.scalar(select(func.count()).select_from(TakedownOrder)) == 1
        assert uow.session.scalar(select(func.count()).select_from(TakedownEvent)) == 1


def test_withdrawing_needs_a_reason_and_a_confirmation_and_is_counted(client, uow_factory, clock):
    with uow_factory() as uow:
        ig = platforms.create_platform(uow=uow, name="Instagram", taxonomy_code="instagram")
        public_id = takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=ig.id, target_type="account", target_value="@pelaku.satu", category="csam"))
    csrf = login(client, uow_factory)
    assert client.get(f"/staff/takedowns/{public_id}/withdraw").status_code == 405  # a GET never withdraws
    for lang, data, said in (
            ("en", {}, "Say why the order is withdrawn"),
            ("id", {"reason": "Salah platform."}, "Centang kotak untuk memastikan penarikan."),
            ("en", {"confirm": "yes", "reason": "   "}, "Say why the order is withdrawn")):
        r = client.post(f"/staff/takedowns/{public_id}/withdraw?lang={lang}", data={"csrf": csrf, **data})
        assert r.status_code == 422 and said in r.text
        assert open_orders(uow_factory)[0].status == "issued"
    r = client.post(f"/staff/takedowns/{public_id}/withdraw", follow_redirects=False,
                    data={"csrf": csrf, "reason": "Akun sudah dihapus sendiri oleh pemiliknya.", "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"].endswith("saved=withdrawn")
    page = client.get(f"/staff/takedowns/{public_id}?lang=en").text
    assert "Order withdrawn" in page and "Reason: Akun sudah dihapus sendiri oleh pemiliknya." in page
    with uow_factory() as uow:
        event = uow.session.scalar(select(TakedownEvent).where(TakedownEvent.kind == "withdrawn"))
        assert event.note_sealed and b"dihapus" not in event.note_sealed  # sealed
        entry = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "takedown.withdraw"))
        assert len(entry.detail["reason_sha256"]) == 64 and "dihapus" not in str(entry.detail)
        found = compliance.period(uow=uow, month=compliance.parse_month(None, now=uow.now()))
    assert found.total.withdrawn == 1 and found.total.received == 1
