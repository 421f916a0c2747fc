"""Takedown orders end to end, on SQLite and PostgreSQL: issue (staff page), webhook + pull, acknowledge,
remove, dispute, uphold/withdraw, and the escalation ladder step by step with a moved clock."""

from __future__ import annotations

import itertools

from datetime import datetime

from helpers import hidden, sign_in_new
from fakes import Receiver, drain
from sqlalchemy import select

from safe4c.db.platforms import TakedownEvent, TakedownOrder, WebhookDelivery
from safe4c.db.tables import AuditEntry, Job
from safe4c.takedowns.rules import signing
from safe4c.access import platforms
from safe4c.takedowns import orders as takedowns, webhooks
from safe4c.worker import Worker

_ORDERS = itertools.count(1)  # one open order per platform and target: each order its own target

URL = "https://video.example.com/v/123"


def worker(uow_factory, receiver: Receiver) -> Worker:
    handlers = {
        "webhook.deliver": lambda *, uow, payload: webhooks.deliver(uow=uow, delivery_id=payload["delivery_id"],
                                                                    send=receiver),
        "takedown.escalate": lambda *, uow, payload: takedowns.escalate(uow=uow, order_id=payload["order_id"],
                                                                        level=payload["level"]),
    }
    return Worker(uow_factory, handlers=handlers)


def make_platform(uow_factory, name="TikTok Indonesia", webhook="https://hooks.example.com/safe4c"):
    with uow_factory() as uow:
        return platforms.create_platform(uow=uow, name=name, taxonomy_code="tiktok", webhook_url=webhook)


def issue(uow_factory, platform_id, *, category="csam", urgent=False, actor_id=None) -> str:
    with uow_factory() as uow:
        return takedowns.issue_order(uow=uow, actor_id=actor_id, order=takedowns.OrderInput(
            platform_id=platform_id, target_type="url", target_value=f"{URL}?n={next(_ORDERS)}", category=category,
            urgent=urgent))


def auth(key):
    return {"Authorization": f"Bearer {key}"}


def order_row(uow_factory, public_id) -> TakedownOrder:
    with uow_factory() as uow:
        row = uow.session.scalar(select(TakedownOrder).where(TakedownOrder.public_id == public_id))
        uow.session.expunge_all()
        return row


def test_full_cycle_staff_issues_platform_receives_by_webhook_and_pull_and_removes(client, uow_factory, clock):
    p = make_platform(uow_factory)
    sign_in_new(client, uow_factory)
    page = client.get("/staff/takedowns")
    assert page.status_code == 200 and "TikTok Indonesia" in page.text
    r = client.post("/staff/takedowns", data={
        "csrf": hidden(page.text), "platform_id": str(p.id), "target_type": "url", "target_value": URL,
        "category": "csam", "legal_basis": "", "report_id": ""}, follow_redirects=False)
    assert r.status_code == 303, r.text
    order_id = r.headers["location"].split("/")[-1].split("?")[0]
    row = order_row(uow_factory, order_id)
    assert row.urgent and (row.deadline_at - row.issued_at).total_seconds() == 4 * 3600  # CSAM: 4 hours
    assert (row.preserve_until - row.issued_at).days == 90

    # delivered by a signed webhook
    receiver = Receiver()
    w = worker(uow_factory, receiver)
    drain(w)
    payload, headers, body = receiver.received[0]
    assert payload["type"] == "takedown.issued" and payload["data"]["id"] == order_id
    assert headers[signing.EVENT_HEADER] == "takedown.issued"
    assert signing.verify(headers[signing.SIGNATURE_HEADER], body, p.webhook_secret, now=int(clock.now().timestamp()))
    assert not signing.verify(headers[signing.SIGNATURE_HEADER], body + b" ", p.webhook_secret,
                              now=int(clock.now().timestamp()))

    # and by pull
    listed = client.get("/api/v1/takedowns?status=open", headers=auth(p.api_key)).json()
    assert [o["id"] for o in listed["items"]] == [order_id] and listed["next"] is None
    assert listed["items"][0]["preserve_until"]

    clock.advance(minutes=10)
    r = client.post(f"/api/v1/takedowns/{order_id}/acknowledge", headers=auth(p.api_key))
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    clock.advance(hours=1)
    r = client.post(f"/api/v1/takedowns/{order_id}/removed", headers=auth(p.api_key))
    assert r.status_code == 200 and r.json()["status"] == "removed"
    again = client.post(f"/api/v1/takedowns/{order_id}/removed", headers=auth(p.api_key))
    assert again.status_code == 200  # idempotent
    detail = client.get(f"/api/v1/takedowns/{order_id}", headers=auth(p.api_key)).json()
    assert [e["kind"] for e in detail["events"]] == ["issued", "delivered", "acknowledged", "removed"]
    assert client.get("/api/v1/takedowns?status=open", headers=auth(p.api_key)).json()["items"] == []

    # the staff page shows the history; the view is audited
    page = client.get(f"/staff/takedowns/{order_id}")
    assert page.status_code == 200 and "TikTok Indonesia" in page.text
    with uow_factory() as uow:
        audited = list(uow.session.scalars(select(AuditEntry.action)))
    assert {"takedown.issue", "takedown.acknowledge", "takedown.removed", "takedown.view"} <= set(audited)


def test_standard_order_deadline_is_24_hours_and_bad_orders_are_refused(client, uow_factory):
    p = make_platform(uow_factory)
    order_id = issue(uow_factory, p.id, category="other")
    row = order_row(uow_factory, order_id)
    assert not row.urgent and (row.deadline_at - row.issued_at).total_seconds() == 24 * 3600
    sign_in_new(client, uow_factory)
    page = client.get("/staff/takedowns")
    r = client.post("/staff/takedowns", data={"csrf": hidden(page.text), "platform_id": str(p.id),
                                              "target_type": "hash", "target_value": "abc", "hash_type": "md5",
                                              "category": "csam"})
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text
    r = client.post("/staff/takedowns", data={"platform_id": str(p.id), "target_type": "url", "target_value": URL,
                                              "category": "csam"})
    assert r.status_code == 403  # no CSRF token


def test_webhook_retries_with_backoff_until_the_platform_answers(uow_factory, clock):
    p = make_platform(uow_factory)
    issue(uow_factory, p.id)
    receiver = Receiver(500, TimeoutError("slow"), ConnectionRefusedError())
    w = worker(uow_factory, receiver)
    drain(w)
    with uow_factory() as uow:
        d = uow.session.scalar(select(WebhookDelivery))
        assert d.attempts == 1 and d.last_status == 500 and d.delivered_at is None
    for wait in (10, 30, 60):  # the schedule, in seconds
        clock.advance(seconds=wait - 1)
        assert drain(w) == 0  # not due yet: nothing runs
        clock.advance(seconds=1)
        drain(w)
    with uow_factory() as uow:
        d = uow.session.scalar(select(WebhookDelivery))
        assert d.attempts == 4 and d.delivered_at is not None and d.last_error is None
    assert len(receiver.received) == 2  # the 500 and the final 200; the timeout and refusal never arrived
    assert receiver.received[0][0]["id"] == receiver.received[1][0]["id"]  # the same event id: dedupe by it


def test_webhook_gives_up_after_the_configured_hours_but_pull_still_works(client, uow_factory, clock, settings):
    p = make_platform(uow_factory)
    order_id = issue(uow_factory, p.id)
    receiver = Receiver(then=503)
    w = worker(uow_factory, receiver)
    for _ in range(80):
        drain(w)
        clock.advance(hours=1)
    with uow_factory() as uow:
        d = uow.session.scalar(select(WebhookDelivery).where(WebhookDelivery.event_type == "takedown.issued"))
        assert d.gave_up_at is not None and d.delivered_at is None
        assert "webhook.gave_up" in list(uow.session.scalars(select(AuditEntry.action)))
    r = client.get(f"/api/v1/takedowns/{order_id}", headers=auth(p.api_key))
    assert r.status_code == 200


def test_escalation_ladder_step_by_step(client, uow_factory, clock):
    p = make_platform(uow_factory)
    order_id = issue(uow_factory, p.id)  # urgent: 4 h
    receiver = Receiver()
    w = worker(uow_factory, receiver)
    drain(w)
    clock.advance(hours=3, minutes=59)
    drain(w)
    assert order_row(uow_factory, order_id).escalation_level == 0
    clock.advance(minutes=1)  # the deadline passes: warning 1 (interval 0)
    drain(w)
    row = order_row(uow_factory, order_id)
    assert row.escalation_level == 1 and row.escalated_at == clock.now()
    view = client.get(f"/api/v1/takedowns/{order_id}", headers=auth(p.api_key)).json()
    assert view["escalation"]["level"] == 1 and view["escalation"]["step"] == "warning_1"
    clock.advance(hours=23)
    drain(w)
    assert order_row(uow_factory, order_id).escalation_level == 1
    clock.advance(hours=1)
    drain(w)
    assert order_row(uow_factory, order_id).escalation_level == 2
    clock.advance(hours=24)
    drain(w)
    assert order_row(uow_factory, order_id).escalation_level == 3
    clock.advance(hours=100)
    drain(w)
    assert order_row(uow_factory, order_id).escalation_level == 3  # the top of the ladder
    types = [m[0]["type"] for m in receiver.received]
    assert types == ["takedown.issued"] + ["takedown.escalated"] * 3
    assert [m[0]["data"]["escalation"]["step"] for m in receiver.received[1:]] == ["warning_1", "warning_2",
                                                                                   "warning_3"]
    with uow_factory() as uow:
        levels = list(uow.session.scalars(select(TakedownEvent.level).where(TakedownEvent.kind == "escalated")
                                          .order_by(TakedownEvent.id)))
        audited = list(uow.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "takedown.escalate")))
    assert levels == [1, 2, 3] and [a["level"] for a in audited] == [1, 2, 3]
    events = client.get(f"/api/v1/takedowns/{order_id}", headers=auth(p.api_key)).json()["events"]
    assert [e["step"] for e in events if e["kind"] == "escalated"] == ["warning_1", "warning_2", "warning_3"]


def test_a_late_worker_catches_up_one_timestamped_step_at_a_time(uow_factory, clock):
    p = make_platform(uow_factory, webhook=None)
    order_id = issue(uow_factory, p.id)
    clock.advance(days=5)
    w = worker(uow_factory, Receiver())
    drain(w)
    assert order_row(uow_factory, order_id).escalation_level == 3
    with uow_factory() as uow:
        steps = [d["step"] for d in uow.session.scalars(select(TakedownEvent.detail)
                                                       .where(TakedownEvent.kind == "escalated")
                                                       .order_by(TakedownEvent.id))]
    assert steps == ["warning_1", "warning_2", "warning_3"]


def test_removal_stops_escalation(client, uow_factory, clock):
    p = make_platform(uow_factory)
    order_id = issue(uow_factory, p.id)
    w = worker(uow_factory, Receiver())
    clock.advance(hours=5)
    drain(w)
    assert order_row(uow_factory, order_id).escalation_level == 1
    client.post(f"/api/v1/takedowns/{order_id}/removed", headers=auth(p.api_key))
    clock.advance(days=3)
    drain(w)
    assert order_row(uow_factory, order_id).escalation_level == 1


def test_dispute_pauses_escalation_uphold_sets_new_deadline_withdraw_closes(client, uow_factory, clock):
    p = make_platform(uow_factory)
    first, second = issue(uow_factory, p.id), issue(uow_factory, p.id)
    receiver = Receiver()
    w = worker(uow_factory, receiver)
    r = client.post(f"/api/v1/takedowns/{first}/dispute", json={"reason": "Konten ini bukan di layanan kami."},
                    headers=auth(p.api_key))
    assert r.status_code == 200 and r.json()["status"] == "disputed"
    assert client.post(f"/api/v1/takedowns/{first}/dispute", json={}, headers=auth(p.api_key)).status_code == 422
    clock.advance(hours=10)
    drain(w)
    assert order_row(uow_factory, first).escalation_level == 0  # paused

    sign_in_new(client, uow_factory)
    page = client.get(f"/staff/takedowns/{first}")
    assert "Konten ini bukan di layanan kami." in page.text
    r = client.post(f"/staff/takedowns/{first}/uphold", data={"csrf": hidden(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    row = order_row(uow_factory, first)
    assert row.status == "issued" and row.dispute_outcome == "upheld"
    assert (row.deadline_at - clock.now()).total_seconds() == 4 * 3600
    clock.advance(hours=4)
    drain(w)
    assert order_row(uow_factory, first).escalation_level == 1
    assert client.post(f"/api/v1/takedowns/{first}/dispute", json={"reason": "lagi"},
                       headers=auth(p.api_key)).status_code == 409

    page = client.get(f"/staff/takedowns/{second}")
    r = client.post(f"/staff/takedowns/{second}/withdraw", follow_redirects=False,
                    data={"csrf": hidden(page.text), "reason": "Platform benar: konten sudah bukan di sana.",
                          "confirm": "yes"})
    assert r.status_code == 303
    assert order_row(uow_factory, second).status == "withdrawn"
    drain(w)
    assert "takedown.withdrawn" in [m[0]["type"] for m in receiver.received]
    assert client.post(f"/api/v1/takedowns/{second}/removed", headers=auth(p.api_key)).status_code == 409
    assert client.get("/api/v1/takedowns?status=withdrawn", headers=auth(p.api_key)).json()["items"][0]["id"] == second


def test_another_platforms_order_is_404_and_a_platform_key_opens_no_staff_page(client, uow_factory):
    mine = make_platform(uow_factory)
    theirs = make_platform(uow_factory, name="Meta")
    order_id = issue(uow_factory, theirs.id)
    for method, path in (("get", f"/api/v1/takedowns/{order_id}"), ("post", f"/api/v1/takedowns/{order_id}/acknowledge"),
                         ("post", f"/api/v1/takedowns/{order_id}/removed")):
        r = getattr(client, method)(path, headers=auth(mine.api_key))
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.post(f"/api/v1/takedowns/{order_id}/dispute", json={"reason": "Not ours"}, headers=auth(mine.api_key))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/takedowns", headers=auth(mine.api_key)).json()["items"] == []
    assert client.get(f"/api/v1/takedowns/{order_id}", headers=auth("s4c_nope")).status_code == 401
    for path in ("/staff/takedowns", f"/staff/takedowns/{order_id}", "/staff/compliance", "/staff"):
        r = client.get(path, headers=auth(theirs.api_key), follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/login"), path
    r = client.post(f"/staff/takedowns/{order_id}/withdraw", headers=auth(theirs.api_key), follow_redirects=False)
    assert r.status_code in (303, 403)
    assert order_row(uow_factory, order_id).status == "issued"


def test_pull_pages_with_a_cursor(client, uow_factory):
    p = make_platform(uow_factory, webhook=None)
    ids = [issue(uow_factory, p.id) for _ in range(5)]
    r = client.get("/api/v1/takedowns?limit=2", headers=auth(p.api_key)).json()
    seen = [o["id"] for o in r["items"]]
    while r["next"]:
        r = client.get(f"/api/v1/takedowns?limit=2&after={r['next']}", headers=auth(p.api_key)).json()
        seen += [o["id"] for o in r["items"]]
    assert seen == ids
    with uow_factory() as uow:
        assert uow.session.scalar(select(Job.id).where(Job.kind == "webhook.deliver")) is None  # no webhook URL


def delivered_events(uow_factory) -> int:
    with uow_factory() as uow:
        return len(list(uow.session.scalars(select(TakedownEvent).where(TakedownEvent.kind == "delivered"))))


def test_the_same_delivery_job_run_twice_delivers_and_counts_once(uow_factory):
    p = make_platform(uow_factory)
    issue(uow_factory, p.id)
    with uow_factory() as uow:
        delivery_id = uow.session.scalar(select(WebhookDelivery.id))
    receiver = Receiver()
    for _ in range(2):  # at-least-once: the job may run again after it succeeded
        with uow_factory() as uow:
            webhooks.deliver(uow=uow, delivery_id=delivery_id, send=receiver)
    assert delivered_events(uow_factory) == 1 and len(receiver.received) == 1

    # two workers on one delivery at once: the second finishes while the first waits for the platform
    issue(uow_factory, p.id)
    with uow_factory() as uow:
        second = uow.session.scalar(select(WebhookDelivery.id).order_by(WebhookDelivery.id.desc()))
    outcomes = []

    def slow_send(url, body, headers, timeout):
        if not outcomes:
            with uow_factory() as other:
                outcomes.append(webhooks.deliver(uow=other, delivery_id=second, send=receiver))
        return 200

    with uow_factory() as uow:
        outcomes.append(webhooks.deliver(uow=uow, delivery_id=second, send=slow_send))
    assert outcomes == ["delivered", "skipped"]
    assert delivered_events(uow_factory) == 2  # one per delivery
    with uow_factory() as uow:
        d = uow.session.get(WebhookDelivery, second)
        assert d.attempts == 1 and d.delivered_at is not None


def test_platform_actions_answer_with_the_step_they_just_took(client, uow_factory, clock):
    p = make_platform(uow_factory, webhook=None)
    order_id = issue(uow_factory, p.id)
    clock.advance(minutes=5)
    r = client.post(f"/api/v1/takedowns/{order_id}/acknowledge", headers=auth(p.api_key))
    assert [e["kind"] for e in r.json()["events"]] == ["issued", "acknowledged"]
    assert datetime.fromisoformat(r.json()["acknowledged_at"]) == clock.now()
    r = client.post(f"/api/v1/takedowns/{order_id}/dispute", json={"reason": "Satire"}, headers=auth(p.api_key))
    assert r.json()["status"] == "disputed" and r.json()["events"][-1]["kind"] == "disputed"
    again = client.post(f"/api/v1/takedowns/{order_id}/dispute", json={"reason": "Satire"}, headers=auth(p.api_key))
    assert again.json() == r.json()
    assert client.get(f"/api/v1/takedowns/{order_id}", headers=auth(p.api_key)).json() == r.json()


def test_hash_orders_are_checked_and_normalised_by_the_matching_library(uow_factory):
    import pytest

    from safe4c.kernel.errors import Invalid

    p = make_platform(uow_factory)
    with uow_factory() as uow:
        order_id = takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=p.id, target_type="hash", target_value=" " + "AB" * 16 + " ", hash_type="md5",
            category="csam"))
    assert order_row(uow_factory, order_id).target_value == "ab" * 16
    for value in ("abc", "g" * 32):
        with uow_factory() as uow, pytest.raises(Invalid) as caught:
            takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
                platform_id=p.id, target_type="hash", target_value=value, hash_type="md5", category="csam"))
        [error] = caught.value.fields
        assert (error.field, error.message, error.params) == (
            "target_value", "This is not a {hash_type} hash (hexadecimal, {length} characters).",
            {"hash_type": "md5", "length": 32})
