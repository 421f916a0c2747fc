"""Replays of public submissions (Idempotency-Key on the API, the one-time form id on the portal), on SQLite and
PostgreSQL: a repeat is one report and shows the same follow-up code, which is never stored in clear."""

from __future__ import annotations

import json
import re
import threading

from sqlalchemy import func, select

from safe4c.db.tables import Report
from safe4c.reports.rules.report import parse_report
from safe4c.reports import intake
from safe4c.reports import replay

URL = "/api/v1/public/reports"
KEY = "3f1c2b9e-6d4a-4f0e-9a51-2c7b8d0e4f11"
GOOD = {"situations": ["grooming"], "platforms": ["instagram"], "accounts": ["@orang.asing"],
        "story": "Dia minta foto dan bilang jangan cerita ke siapa pun.", "age_band": "13_15"}


def reports(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(Report))


def test_a_retry_with_the_same_key_gets_the_same_receipt_and_code(client, uow_factory):
    first = client.post(URL, json=GOOD, headers={"Idempotency-Key": KEY})
    assert first.status_code == 201, first.text
    # The same report, spaced and ordered differently, as another client library would send it.
    again = client.post(URL, content=json.dumps(dict(reversed(list(GOOD.items()))), indent=2),
                        headers={"Idempotency-Key": KEY, "Content-Type": "application/json",
                                 "Accept-Language": "en"})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["followup_code"] == first.json()["followup_code"]
    assert again.json()["advice"][0] != first.json()["advice"][0]  # in the language asked for this time
    assert reports(uow_factory) == 1
    status = client.post(f"{URL}/status", json={"code": again.json()["followup_code"]})
    assert status.status_code == 200 and status.json()["status"] == "new"


def test_the_code_and_the_key_are_not_stored_in_clear(client, uow_factory):
    code = client.post(URL, json=GOOD, headers={"Idempotency-Key": KEY}).json()["followup_code"]
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report))
        stored = [str(getattr(row, c.key)) for c in Report.__table__.columns] + [row.followup_sealed.hex()]
        assert not any(KEY in value or code in value or code.replace("-", "") in value for value in stored)
        assert len(row.submission_key) == 64  # a keyed hash of the key
        report = parse_report(GOOD)
        same = replay.Submission.of(uow.ctx, channel="api", key=KEY, report=report)
        assert same.open(row.followup_sealed) == code
        # Another key, or another report with this key, cannot open it.
        assert replay.Submission.of(uow.ctx, channel="api", key=KEY + "x", report=report).open(
            row.followup_sealed) is None
        assert replay.Submission.of(uow.ctx, channel="api", key=KEY, report=parse_report(
            dict(GOOD, story="Cerita lain."))).open(row.followup_sealed) is None
        # The form's ids and the API's keys live apart.
        assert replay.Submission.of(uow.ctx, channel="web", key=KEY, report=report).key_hash != row.submission_key


def test_the_same_key_for_another_report_is_refused_and_saves_nothing(client, uow_factory):
    assert client.post(URL, json=GOOD, headers={"Idempotency-Key": KEY}).status_code == 201
    r = client.post(URL, json=dict(GOOD, story="Laporan yang lain."),
                    headers={"Idempotency-Key": KEY, "Accept-Language": "en"})
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == [
        {"field": "Idempotency-Key",
         "message": "This Idempotency-Key was already used for a different report. Use a new key for a new report."}]
    assert reports(uow_factory) == 1


def test_replays_are_honoured_for_24_hours_then_the_sealed_code_is_cleared(client, uow_factory, clock):
    assert client.post(URL, json=GOOD, headers={"Idempotency-Key": KEY}).status_code == 201
    clock.advance(hours=23)
    assert client.post(URL, json=GOOD, headers={"Idempotency-Key": KEY}).status_code == 200
    with uow_factory() as uow:
        assert replay.forget_expired(uow=uow) == 0
    clock.advance(hours=2)
    late = client.post(URL, json=GOOD, headers={"Idempotency-Key": KEY})
    assert late.status_code == 422 and "24" in late.json()["error"]["fields"][0]["message"]
    with uow_factory() as uow:
        assert replay.forget_expired(uow=uow) == 1
        assert uow.session.scalar(select(Report.followup_sealed)) is None
    assert client.post(URL, json=GOOD, headers={"Idempotency-Key": KEY}).status_code == 422
    assert reports(uow_factory) == 1


def test_a_key_must_be_long_enough_to_be_unique(client, uow_factory):
    r = client.post(URL, json=GOOD, headers={"Idempotency-Key": "1"})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "Idempotency-Key"
    r = client.post(URL, json=GOOD, headers={"Idempotency-Key": "kunci dengan spasi 12345"})
    assert r.status_code == 422
    assert reports(uow_factory) == 0


def test_without_a_key_every_request_is_a_report(client, uow_factory):
    codes = {client.post(URL, json=GOOD).json()["followup_code"] for _ in range(2)}
    assert len(codes) == 2 and reports(uow_factory) == 2


def test_two_requests_with_one_key_at_the_same_moment_are_one_report(uow_factory):
    report = parse_report(GOOD)
    start = threading.Barrier(4)
    receipts, errors = [], []

    def send():
        start.wait()
        try:
            with uow_factory() as uow:
                receipts.append(intake.submit_report(uow=uow, report=report, channel="api", language="id",
                                                     idempotency_key=KEY))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({(r.report_id, r.followup_code) for r in receipts}) == 1
    assert sorted(r.replayed for r in receipts) == [False, True, True, True]
    assert reports(uow_factory) == 1


def form_id(html: str) -> str:
    return re.search(r'name="form_id" value="([^"]+)"', html).group(1)


def test_the_same_form_sent_twice_shows_the_same_code(client, uow_factory):
    """A child taps "send" twice on a slow network: she sees her code, and the report is stored once."""
    data = {"form_id": form_id(client.get("/lapor").text), "situations": ["grooming"], "accounts": "@orang.asing"}
    first = client.post("/lapor", data=data)
    again = client.post("/lapor", data=data)
    assert first.status_code == again.status_code == 200
    code = re.search(r'id="followup-code"[^>]*>([^<]+)<', first.text).group(1)
    assert re.search(r'id="followup-code"[^>]*>([^<]+)<', again.text).group(1) == code
    h1 = re.compile(r"<h1>(.*?)</h1>")
    assert h1.search(again.text).group(1) == h1.search(first.text).group(1)  # the thanks page, not "we have it"
    assert reports(uow_factory) == 1


def test_the_same_form_with_changed_answers_says_so_and_a_second_send_is_a_new_report(client, uow_factory):
    data = {"form_id": form_id(client.get("/lapor").text), "situations": ["grooming"], "accounts": "@orang.asing"}
    assert client.post("/lapor", data=data).status_code == 200
    changed = client.post("/lapor", data=dict(data, situations=["sextortion"]))
    assert changed.status_code == 409
    assert "Formulir ini sudah pernah dikirim" in changed.text and "followup-code" not in changed.text
    assert 'value="sextortion" checked' in changed.text  # her answers are kept
    assert reports(uow_factory) == 1
    new_id = form_id(changed.text)
    assert new_id != data["form_id"]
    assert client.post("/lapor", data=dict(data, situations=["sextortion"], form_id=new_id)).status_code == 200
    assert reports(uow_factory) == 2


def test_the_api_description_tells_clients_about_the_key(client):
    """The route reads the header itself (web/api/public.py): /openapi.json still describes it, as a header a
    client may send, with the rule the route applies."""
    operation = client.get("/openapi.json").json()["paths"][URL]["post"]
    [header] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header" and header["required"] is False
    assert header["schema"]["type"] == "string" and header["schema"]["pattern"] == "^[A-Za-z0-9_.:-]{16,200}$"
    assert "24 hours" in header["description"]


def test_the_route_still_refuses_unstorable_query_text(client, uow_factory):
    """Served without FastAPI's dependency solving (RequestOnlyRoute), the route still runs the app's checks."""
    r = client.post(URL + "?catatan=a%00b", json=GOOD, headers={"Accept-Language": "en"})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "catatan"
    assert reports(uow_factory) == 0
