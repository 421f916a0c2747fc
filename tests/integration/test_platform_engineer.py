"""What a platform engineer met (issue 12), on SQLite and PostgreSQL: orders point back to the platform's own
report, a platform reads its reports back (another's is 404), the webhook body is the pulled order with RFC 3339
"Z" times, a cursor the API never gave is 422, test events (signed, tried once, counted nowhere), and the
webhook address and signing secret changed after registration (API and CLI), with a grace period."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

from fakes import Receiver, drain
from sqlalchemy import func, select

from safe4c.access import platforms
from safe4c.db.platforms import Platform, TakedownEvent, WebhookDelivery
from safe4c.db.tables import AuditEntry
from safe4c.hashlist import banks as hashlist
from safe4c.takedowns import orders as takedowns, webhooks
from safe4c.takedowns.rules import signing
from safe4c.worker import Worker

Z_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
REPORT = {"external_id": "TT-2026-0042",
          "incident": {"situation": "sextortion", "time": "2026-01-05T06:30:00+07:00"},
          "reported_accounts": [{"screen_name": "@pemeras.uji"}],
          "content": [{"url": "https://www.tiktok.com/@pemeras.uji/video/7", "file_name": "klip.mp4",
                       "md5": "9e107d9d372bb6826bd81d3542a419d6"}]}


def make_platform(uow_factory, name="TikTok Indonesia", webhook="https://hooks.example.com/safe4c"):
    with uow_factory() as uow:
        return platforms.create_platform(uow=uow, name=name, taxonomy_code="tiktok", webhook_url=webhook)


def auth(key, **more):
    return {"Authorization": f"Bearer {key}", **more}


def worker(uow_factory, receiver) -> Worker:
    return Worker(uow_factory, handlers={"webhook.deliver": lambda *, uow, payload: webhooks.deliver(
        uow=uow, delivery_id=payload["delivery_id"], send=receiver)})


def order_from_report(uow_factory, platform_id, report_id) -> str:
    with uow_factory() as uow:
        return takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=platform_id, target_type="url", target_value=REPORT["content"][0]["url"],
            category="csam", report_id=report_id))


def times_in(value, path="") -> list[tuple[str, str]]:
    """Every (path, text) in a JSON value whose key ends in _at or _until, or is "at"."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key.endswith(("_at", "_until")) or key == "at"):
                found.append((f"{path}.{key}", item))
            found += times_in(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += times_in(item, f"{path}.{i}")
    return found


def test_an_order_from_the_platforms_own_report_carries_its_reference_and_the_webhook_is_the_pulled_order(
        client, uow_factory):
    tiktok = make_platform(uow_factory)
    sent = client.post("/api/v1/reports", json=REPORT, headers=auth(tiktok.api_key))
    assert sent.status_code == 201 and Z_TIME.match(sent.json()["received_at"])
    order_id = order_from_report(uow_factory, tiktok.id, sent.json()["id"])
    pulled = client.get(f"/api/v1/takedowns/{order_id}", headers=auth(tiktok.api_key)).json()
    assert pulled["report"] == {"id": sent.json()["id"], "external_id": "TT-2026-0042"}
    assert pulled["escalation"]["next_step_due_at"] == pulled["deadline_at"]  # warning 1 falls due at the deadline
    listed = client.get("/api/v1/takedowns", headers=auth(tiktok.api_key)).json()["items"]
    assert [o["report"] for o in listed] == [pulled["report"]]

    receiver = Receiver()
    drain(worker(uow_factory, receiver))
    (event, headers, body), = receiver.received
    assert event["type"] == "takedown.issued" and headers[signing.EVENT_HEADER] == "takedown.issued"
    assert event["data"] == pulled  # the same serializer, byte for byte in meaning: no field more or less
    times = times_in(event) + times_in(pulled)
    assert times and all(Z_TIME.match(t) for _, t in times), [t for t in times if not Z_TIME.match(t[1])]
    assert b"+00:00" not in body

    # an order for another platform's content, or from a child's report, points to no report of this platform
    other = make_platform(uow_factory, "Instagram", webhook=None)
    foreign = order_from_report(uow_factory, other.id, sent.json()["id"])
    assert client.get(f"/api/v1/takedowns/{foreign}", headers=auth(other.api_key)).json()["report"] is None


def test_a_platform_reads_back_its_own_report_and_never_anothers(client, uow_factory):
    tiktok, other = make_platform(uow_factory), make_platform(uow_factory, "Instagram", webhook=None)
    sent = client.post("/api/v1/reports", json=REPORT, headers=auth(tiktok.api_key)).json()
    order_id = order_from_report(uow_factory, tiktok.id, sent["id"])
    mine = client.get(f"/api/v1/reports/{sent['id']}", headers=auth(tiktok.api_key))
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["id"] == sent["id"] and body["external_id"] == "TT-2026-0042" and body["status"] == "new"
    assert body["received_at"] == sent["received_at"]
    assert body["takedown_orders"] == [{"id": order_id, "status": "issued"}]
    assert body["received"]["content"][0]["file_name"] == "klip.mp4"
    assert body["received"]["reported_accounts"][0]["screen_name"] == "@pemeras.uji"
    assert "priority" not in body and "triage_reasons" not in body  # our triage stays ours

    by_ref = client.get("/api/v1/reports", params={"external_id": "TT-2026-0042"}, headers=auth(tiktok.api_key))
    assert [r["id"] for r in by_ref.json()["items"]] == [sent["id"]]

    # another platform: 404 (not 403), in the language asked for; and its own reference search finds nothing
    refused = client.get(f"/api/v1/reports/{sent['id']}", headers=auth(other.api_key, **{"Accept-Language": "en"}))
    assert refused.status_code == 404
    assert refused.json()["error"]["message"] == "We could not find this report among the reports your platform sent."
    assert client.get(f"/api/v1/reports/{sent['id']}", headers=auth(other.api_key)).json()["error"]["message"] \
        == "Kami tidak menemukan laporan ini di antara laporan yang dikirim platform Anda."
    assert client.get("/api/v1/reports", params={"external_id": "TT-2026-0042"},
                      headers=auth(other.api_key)).json() == {"items": []}
    with uow_factory() as uow:  # each read-back of a report that names people is audited
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "platform.report.view", AuditEntry.subject_id == sent["id"])) == 2


def test_a_cursor_the_api_never_gave_is_422_in_the_requests_language(client, uow_factory):
    tiktok = make_platform(uow_factory, webhook=None)
    with uow_factory() as uow:
        bank = hashlist.create_bank(uow=uow, name="Daftar nasional")
    with uow_factory() as uow:
        hashlist.add_entry(uow=uow, bank_id=bank, signal_type="md5", value="a" * 32, source="analyst", actor_id=None)
    first = client.get("/api/v1/signals", headers=auth(tiktok.api_key)).json()
    head = first["next_cursor"]
    assert len(first["additions"]) == 1 and not first["has_more"]
    assert client.get("/api/v1/signals", params={"cursor": head}, headers=auth(tiktok.api_key)).json() == {
        "additions": [], "removals": [], "next_cursor": head, "has_more": False}  # up to date: fine
    for never_given in (str(int(head) + 1), "999999999", "0" + head):
        r = client.get("/api/v1/signals", params={"cursor": never_given},
                       headers=auth(tiktok.api_key, **{"Accept-Language": "en"}))
        assert r.status_code == 422, (never_given, r.text)
        (problem,) = r.json()["error"]["fields"]
        assert problem["field"] == "cursor"
    r = client.get("/api/v1/signals", params={"cursor": "999999999"}, headers=auth(tiktok.api_key))
    assert r.json()["error"]["fields"][0]["message"].startswith("Cursor ini tidak diberikan oleh API ini")
    # once the log has reached it, the same position is a position the API gives
    with uow_factory() as uow:
        hashlist.add_entry(uow=uow, bank_id=bank, signal_type="md5", value="b" * 32, source="analyst", actor_id=None)
    assert client.get("/api/v1/signals", params={"cursor": head}, headers=auth(tiktok.api_key)).status_code == 200


def test_a_test_event_is_signed_tried_once_visible_to_the_platform_and_counted_nowhere(client, uow_factory, clock):
    tiktok = make_platform(uow_factory)
    sent = client.post("/api/v1/webhook/test", headers=auth(tiktok.api_key))
    assert sent.status_code == 202, sent.text
    delivery = sent.json()
    assert delivery["type"] == "webhook.test" and delivery["test"] and delivery["state"] == "pending"

    receiver = Receiver(503)  # the endpoint fails: a test is not retried, the platform sees why
    drain(worker(uow_factory, receiver))
    (event, headers, body), = receiver.received
    assert event == {"id": delivery["id"], "type": "webhook.test", "created_at": delivery["created_at"],
                     "data": {"test": True}}
    assert headers[signing.DELIVERY_HEADER] == delivery["id"]
    assert signing.verify(headers[signing.SIGNATURE_HEADER], body, tiktok.webhook_secret,
                          now=int(clock.now().timestamp()))
    seen = client.get(f"/api/v1/webhook/deliveries/{delivery['id']}", headers=auth(tiktok.api_key)).json()
    assert (seen["state"], seen["attempts"], seen["last_status"], seen["last_error"]) == ("failed", 1, 503, "HTTP 503")
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(TakedownEvent)) == 0

    ok = client.post("/api/v1/webhook/test", headers=auth(tiktok.api_key)).json()
    drain(worker(uow_factory, Receiver(204)))
    listed = client.get("/api/v1/webhook", headers=auth(tiktok.api_key)).json()
    assert [(d["id"], d["state"]) for d in listed["deliveries"]] == [(ok["id"], "delivered"),
                                                                     (delivery["id"], "failed")]
    # never an order, so never in the compliance figures (the regulator's come from the same query)
    figures = client.get("/api/v1/compliance", params={"month": "2026-01"}, headers=auth(tiktok.api_key)).json()
    assert [(row["month"], row["platform"]) for row in figures] == [("2026-01", "TikTok Indonesia")]
    assert all(row["received"] == 0 for row in figures)
    assert all((row["acknowledged"], row["removed"], row["overdue_now"], row["disputes"], row["withdrawn"])
               == (0, 0, 0, 0, 0) for row in figures)
    # another platform cannot read the delivery
    other = make_platform(uow_factory, "Instagram", webhook=None)
    assert client.get(f"/api/v1/webhook/deliveries/{ok['id']}", headers=auth(other.api_key)).status_code == 404
    # without a webhook address there is nothing to test; too many tests a minute are refused
    no_hook = client.post("/api/v1/webhook/test", headers=auth(other.api_key, **{"Accept-Language": "en"}))
    assert no_hook.status_code == 409 and "no webhook address" in no_hook.json()["error"]["message"]
    answers = [client.post("/api/v1/webhook/test", headers=auth(tiktok.api_key)).status_code for _ in range(5)]
    assert answers[:3] == [202, 202, 202] and answers[3:] == [429, 429]
    refused = client.post("/api/v1/webhook/test", headers=auth(tiktok.api_key, **{"Accept-Language": "en"}))
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert refused.json()["error"]["message"] == ("Too many test events: at most 5 a minute. "
                                                  "Please wait a minute and try again.")
    clock.advance(minutes=1)  # a new minute: tests are accepted again, and the refused ones were stored nowhere
    assert client.post("/api/v1/webhook/test", headers=auth(tiktok.api_key)).status_code == 202
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 6


def test_the_platform_changes_its_webhook_address_with_the_same_checks_as_registration(client, uow_factory):
    tiktok = make_platform(uow_factory)
    headers = auth(tiktok.api_key, **{"Accept-Language": "en"})
    for url, words in (("http://hooks.example.com/x", "must start with https://"),
                       ("https://10.1.2.3/hook", "reachable on the public internet"),
                       ("https://169.254.169.254/latest", "reachable on the public internet"),
                       ("bukan alamat", "not a valid web address")):
        r = client.put("/api/v1/webhook", json={"url": url}, headers=headers)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["error"]["fields"][0]["field"] == "url" and words in r.json()["error"]["fields"][0]["message"]
    assert client.get("/api/v1/webhook", headers=headers).json()["url"] == "https://hooks.example.com/safe4c"
    changed = client.put("/api/v1/webhook", json={"url": "https://93.184.216.34/safe4c"}, headers=headers)
    assert changed.status_code == 200 and changed.json()["url"] == "https://93.184.216.34/safe4c"
    removed = client.put("/api/v1/webhook", json={"url": None}, headers=headers)
    assert removed.json()["url"] is None
    with uow_factory() as uow:
        assert uow.session.scalar(select(Platform.webhook_url).where(Platform.id == tiktok.id)) is None


def test_a_rotated_secret_signs_with_both_secrets_during_the_grace_period(client, uow_factory, clock):
    tiktok = make_platform(uow_factory)
    rotated = client.post("/api/v1/webhook/secret", json={"grace_hours": 2}, headers=auth(tiktok.api_key))
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != tiktok.webhook_secret
    until = rotated.json()["previous_secret_valid_until"]
    assert until == (clock.now() + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    assert client.get("/api/v1/webhook", headers=auth(tiktok.api_key)).json()["previous_secret_valid_until"] == until

    def one_delivery():
        receiver = Receiver()
        client.post("/api/v1/webhook/test", headers=auth(tiktok.api_key))
        drain(worker(uow_factory, receiver))
        (_, headers, body), = receiver.received
        return headers[signing.SIGNATURE_HEADER], body

    header, body = one_delivery()
    now = int(clock.now().timestamp())
    assert header.count("v1=") == 2
    assert signing.verify(header, body, new_secret, now=now) and signing.verify(header, body, tiktok.webhook_secret,
                                                                                now=now)
    clock.advance(hours=2, seconds=1)  # the grace period is over: the old secret no longer signs
    header, body = one_delivery()
    now = int(clock.now().timestamp())
    assert header.count("v1=") == 1 and signing.verify(header, body, new_secret, now=now)
    assert not signing.verify(header, body, tiktok.webhook_secret, now=now)
    refused = client.post("/api/v1/webhook/secret", json={"grace_hours": 500}, headers=auth(tiktok.api_key))
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "grace_hours"


def test_an_admin_changes_the_webhook_and_rotates_the_secret_by_cli(tmp_path):
    """The real command on a fresh SQLite database (as tests/integration/test_platform_cli.py)."""
    from safe4c.kernel.settings import Settings
    from safe4c.web.app import create_app

    env = dict(os.environ, SAFE4C_DATA_DIR=str(tmp_path), SAFE4C_DATABASE_URL="", SAFE4C_SECRET_KEY="cli-test")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "safe4c.cli", *args], env=env, capture_output=True, text=True,
                              timeout=120)

    assert run("db", "upgrade").returncode == 0
    assert run("platform", "create", "Likee", "--webhook-url", "https://93.184.216.34/a").returncode == 0
    refused = run("platform", "webhook-set", "Likee", "--webhook-url", "http://hooks.example.com/b")
    assert refused.returncode == 2 and "https://" in refused.stderr
    done = run("platform", "webhook-set", "Likee", "--webhook-url", "https://93.184.216.34/b")
    assert done.returncode == 0 and "https://93.184.216.34/b" in done.stdout
    rotated = run("platform", "secret-rotate", "Likee", "--grace-hours", "0")
    assert rotated.returncode == 0 and "no longer signs" in rotated.stdout
    secret = re.search(r"(whsec_\S+)", rotated.stdout).group(1)
    app = create_app(Settings(data_dir=tmp_path, database_url="", secret_key="cli-test", worker_in_process=False))
    with app.state.uow_factory() as uow:
        row = uow.session.scalar(select(Platform).where(Platform.name == "Likee"))
        assert row.webhook_url == "https://93.184.216.34/b" and row.webhook_secret_previous_sealed is None
        assert uow.ctx.sealer.open(row.webhook_secret_sealed, context="platform.webhook_secret") == secret
    app.state.engine.dispose()
    assert run("platform", "webhook-set", "Likee", "--no-webhook").returncode == 0
    assert run("platform", "webhook-set", "Likee").returncode == 2
    assert run("platform", "secret-rotate", "Nobody").returncode == 1
