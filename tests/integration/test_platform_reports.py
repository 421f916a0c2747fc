"""Reports from platforms over HTTP, on SQLite and PostgreSQL: auth, triage, idempotency, bad input."""

from __future__ import annotations

import copy
import threading

from sqlalchemy import func, select

from safe4c.db.platforms import PlatformReport
from safe4c.db.tables import Report
from safe4c.access import platforms
from safe4c.reports import fields as report_fields

REPORT = {
    "external_id": "TT-2026-0001",
    "incident": {
        "situation": "sextortion",
        "time": "2026-01-05T06:30:00+07:00",
        "escalate_to_urgent": False,
        "annotations": ["sextortion", "minor_to_minor"],
    },
    "reported_accounts": [{
        "platform_user_id": "7712001",
        "screen_name": "@pemburu.rahasia",
        "display_names": ["Kak Rian"],
        "profile_urls": ["https://www.tiktok.com/@pemburu.rahasia"],
        "emails": ["rian.pemburu@example.com"],
        "phones": ["+62 812 3456 7890"],
        "ip_capture_events": [{"ip_address": "203.0.113.7", "event_type": "login", "at": "2026-01-04T22:10:00Z"}],
    }],
    "victims": [{"age": 14, "screen_name": "@korban_x"}],
    "content": [{
        "url": "https://www.tiktok.com/@pemburu.rahasia/video/1",
        "md5": "0" * 32, "sha1": "1" * 40, "sha256": "A" * 64, "pdq": "f" * 64,
        "file_name": "video1.mp4", "industry_classification": "B2",
    }],
    "additional_information": "Pengguna mengancam menyebarkan video korban.",
}


def make_platform(uow_factory, name="TikTok Indonesia", code="tiktok", webhook_url=None):
    with uow_factory() as uow:
        return platforms.create_platform(uow=uow, name=name, taxonomy_code=code, webhook_url=webhook_url)


def auth(key: str, **extra) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


def count(uow_factory, model) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_report_is_stored_as_a_triaged_report_with_sealed_detail(client, uow_factory):
    p = make_platform(uow_factory)
    r = client.post("/api/v1/reports", json=REPORT, headers=auth(p.api_key))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "received"
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report).where(Report.public_id == r.json()["id"]))
        assert row.channel == "platform" and row.platforms == ["tiktok"]
        assert row.priority == "P2" and row.situations == ["sextortion"]  # same triage as a child's report
        assert row.age_band == "13_15" and row.incident_when == "today"
        assert "@pemburu.rahasia" in report_fields.accounts(uow.ctx.sealer, row)
        assert b"pemburu" not in row.accounts_sealed  # the accounts are sealed too
        detail = uow.session.get(PlatformReport, row.id)
        assert detail.platform_id == p.id and detail.annotations == ["sextortion", "minor_to_minor"]
        assert {"type": "sha256", "value": "a" * 64} in detail.content_hashes
        assert b"203.0.113.7" not in detail.detail_sealed  # IP addresses and e-mails are sealed
        opened = uow.ctx.sealer.open(detail.detail_sealed, context="platform_report.detail")
        assert "203.0.113.7" in opened


def test_escalate_to_urgent_makes_p1_with_a_reason(client, uow_factory):
    p = make_platform(uow_factory)
    body = copy.deepcopy(REPORT)
    body["incident"].update(escalate_to_urgent=True, escalation_reason="Meeting planned tonight")
    r = client.post("/api/v1/reports", json=body, headers=auth(p.api_key))
    assert r.status_code == 201
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report).where(Report.public_id == r.json()["id"]))
        assert row.priority == "P1"
        assert row.triage_reasons[0]["code"] == "platform.escalated"


def test_escalation_survives_deferred_triage(client, uow_factory, monkeypatch):
    """If inline triage ever fails, the worker's triage still honours the platform's escalation."""
    import safe4c.reports.intake as intake_module
    import safe4c.reports.rules.escalation as triage_rules
    from safe4c.worker import Worker

    p = make_platform(uow_factory)
    body = copy.deepcopy(REPORT)
    body["incident"].update(escalate_to_urgent=True, escalation_reason="Meeting planned tonight")
    real_triage = triage_rules.triage
    monkeypatch.setattr(triage_rules, "triage", lambda *a, **k: 1 / 0)
    r = client.post("/api/v1/reports", json=body, headers=auth(p.api_key))
    assert r.status_code == 201
    monkeypatch.setattr(triage_rules, "triage", real_triage)
    Worker(uow_factory, handlers={"report.triage": lambda *, uow, payload: intake_module.triage_report(
        uow=uow, report_id=payload["report_id"])}).run_once()
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report).where(Report.public_id == r.json()["id"]))
        assert row.priority == "P1"
        assert row.triage_reasons[0]["code"] == "platform.escalated"


def test_escalation_needs_a_reason(client, uow_factory):
    p = make_platform(uow_factory)
    body = copy.deepcopy(REPORT)
    body["incident"]["escalate_to_urgent"] = True
    r = client.post("/api/v1/reports", json=body, headers=auth(p.api_key), )
    assert r.status_code == 422
    assert r.json()["error"]["fields"][0]["field"] == "incident"


def test_wrong_missing_or_revoked_key_is_401_and_revoked_here_at_once(client, uow_factory):
    p = make_platform(uow_factory)
    for headers in ({}, auth("s4c_wrong"), {"Authorization": "Basic abc"}, auth(p.api_key[:-1] + "x")):
        r = client.post("/api/v1/reports", json=REPORT, headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    with uow_factory() as uow:
        second = platforms.add_key(uow=uow, platform_name=p.name, label="rotation")
    assert client.get("/api/v1/takedowns", headers=auth(second)).status_code == 200
    # the key was just used (so remembered for a few seconds): revoked by this process, it is refused at once;
    # another process (the CLI) is heard within platforms.AUTH_CACHE_SECONDS (test_platform_cli.py)
    assert client.get("/api/v1/takedowns", headers=auth(p.api_key)).status_code == 200
    with uow_factory() as uow:
        platforms.revoke_key(uow=uow, prefix=p.api_key[:12])
    assert client.get("/api/v1/takedowns", headers=auth(p.api_key)).status_code == 401
    assert client.get("/api/v1/takedowns", headers=auth(second)).status_code == 200
    assert count(uow_factory, Report) == 0


def test_idempotency_key_same_body_same_report_different_body_409(client, uow_factory):
    p = make_platform(uow_factory)
    first = client.post("/api/v1/reports", json=REPORT, headers=auth(p.api_key, **{"Idempotency-Key": "k-1"}))
    again = client.post("/api/v1/reports", json=REPORT, headers=auth(p.api_key, **{"Idempotency-Key": "k-1"}))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    changed = copy.deepcopy(REPORT)
    changed["additional_information"] = "Lain"
    r = client.post("/api/v1/reports", json=changed, headers=auth(p.api_key, **{"Idempotency-Key": "k-1"}))
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    # the key is per platform: another platform may use the same key
    other = make_platform(uow_factory, name="Meta", code="instagram")
    r = client.post("/api/v1/reports", json=REPORT, headers=auth(other.api_key, **{"Idempotency-Key": "k-1"}))
    assert r.status_code == 201
    assert count(uow_factory, Report) == 2 and count(uow_factory, PlatformReport) == 2


def test_concurrent_retries_never_duplicate(app, uow_factory):
    from fastapi.testclient import TestClient

    p = make_platform(uow_factory)
    statuses, ids = [], set()
    barrier = threading.Barrier(8)

    def send():
        with TestClient(app) as c:
            barrier.wait()
            r = c.post("/api/v1/reports", json=REPORT, headers=auth(p.api_key, **{"Idempotency-Key": "same"}))
            statuses.append(r.status_code)
            ids.add(r.json().get("id"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 7 + [201]
    assert len(ids) == 1
    assert count(uow_factory, Report) == 1


def test_without_a_key_the_external_id_is_the_key(client, uow_factory):
    """A retry of a report sent without Idempotency-Key (its answer was lost) must not be stored twice."""
    p = make_platform(uow_factory)
    first = client.post("/api/v1/reports", json=REPORT, headers=auth(p.api_key))
    again = client.post("/api/v1/reports", json=REPORT, headers=auth(p.api_key))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    changed = copy.deepcopy(REPORT)
    changed["additional_information"] = "Laporan lain dengan id yang sama."
    r = client.post("/api/v1/reports", json=changed, headers=auth(p.api_key, **{"Accept-Language": "en"}))
    assert r.status_code == 409 and "external_id" in r.json()["error"]["message"]
    # A report sent with a key keeps to its key; one without external_id is always new; another platform's ids
    # are its own.
    assert client.post("/api/v1/reports", json=REPORT,
                       headers=auth(p.api_key, **{"Idempotency-Key": "k-9"})).status_code == 201
    anonymous = {k: v for k, v in REPORT.items() if k != "external_id"}
    assert [client.post("/api/v1/reports", json=anonymous, headers=auth(p.api_key)).status_code
            for _ in range(2)] == [201, 201]
    other = make_platform(uow_factory, name="Meta", code="instagram")
    assert client.post("/api/v1/reports", json=REPORT, headers=auth(other.api_key)).status_code == 201
    assert count(uow_factory, Report) == 5


def test_concurrent_retries_by_external_id_never_duplicate(app, uow_factory):
    from fastapi.testclient import TestClient

    p = make_platform(uow_factory)
    statuses, ids = [], set()
    barrier = threading.Barrier(6)

    def send():
        with TestClient(app) as c:
            barrier.wait()
            r = c.post("/api/v1/reports", json=REPORT, headers=auth(p.api_key))
            statuses.append(r.status_code)
            ids.add(r.json().get("id"))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 5 + [201]
    assert len(ids) == 1 and count(uow_factory, Report) == 1


def test_malformed_reports_are_422_with_field_errors_and_save_nothing(client, uow_factory):
    p = make_platform(uow_factory)
    bad = copy.deepcopy(REPORT)
    bad["incident"]["situation"] = "nope"
    bad["incident"]["time"] = "2026-01-05T06:30:00"  # no time zone
    bad["content"][0]["md5"] = "xyz"
    bad["victims"][0]["age"] = 30
    bad["surprise"] = 1
    r = client.post("/api/v1/reports", json=bad, headers=auth(p.api_key, **{"Accept-Language": "en"}))
    assert r.status_code == 422
    fields = {f["field"]: f["message"] for f in r.json()["error"]["fields"]}
    assert set(fields) == {"incident.situation", "incident.time", "content.0.md5", "victims.0.age", "surprise"}
    assert fields["victims.0.age"] == "This must be at most 17."
    r = client.post("/api/v1/reports", json=bad, headers=auth(p.api_key))
    assert r.json()["error"]["fields"][0]["message"] != fields["incident.situation"]  # Indonesian by default
    r = client.post("/api/v1/reports", content=b"{not json", headers=auth(p.api_key))
    assert r.status_code == 422
    r = client.post("/api/v1/reports", content=b'{"a": "' + b"x" * 70000 + b'"}',
                    headers=auth(p.api_key, **{"Content-Type": "application/json"}))
    assert r.status_code == 413
    assert count(uow_factory, Report) == 0 and count(uow_factory, PlatformReport) == 0


def test_openapi_documents_the_platform_api(client):
    schema = client.get("/openapi.json").json()
    assert "/api/v1/reports" in schema["paths"] and "/api/v1/takedowns/{order_id}/dispute" in schema["paths"]
    components = schema["components"]["schemas"]
    assert {"PlatformReportCreate", "Incident", "ReportedAccount", "ContentItem"} <= set(components)
    assert "PlatformApiKey" in schema["components"]["securitySchemes"]


def test_an_external_id_longer_than_its_column_is_a_field_error_not_a_server_error(client, uow_factory):
    p = make_platform(uow_factory)
    body = copy.deepcopy(REPORT)
    body["external_id"] = "x" * 150
    r = client.post("/api/v1/reports", json=body, headers=auth(p.api_key, **{"Accept-Language": "en"}))
    assert r.status_code == 422, r.text
    assert [f["field"] for f in r.json()["error"]["fields"]] == ["external_id"]
    body["external_id"] = "x" * 100  # the column's size fits
    assert client.post("/api/v1/reports", json=body, headers=auth(p.api_key)).status_code == 201
    assert count(uow_factory, PlatformReport) == 1


def test_a_replay_answers_the_same_received_at_as_the_first_response(client, uow_factory, clock):
    p = make_platform(uow_factory)
    ticking = clock.now

    def now():  # a clock that moves on every reading, as a real one does
        clock.advance(seconds=1)
        return ticking()

    clock.now = now
    headers = auth(p.api_key, **{"Idempotency-Key": "tick"})
    first = client.post("/api/v1/reports", json=REPORT, headers=headers)
    again = client.post("/api/v1/reports", json=REPORT, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["received_at"] == again.json()["received_at"]
    with uow_factory() as uow:
        stored = uow.session.scalar(select(Report.received_at).where(Report.public_id == first.json()["id"]))
    assert first.json()["received_at"] == stored.isoformat().replace("+00:00", "Z")  # RFC 3339 UTC


def test_the_shared_report_built_without_validation_is_what_validation_gives():
    from datetime import datetime, timezone

    from safe4c.reports.rules.platform_report import parse_platform_report, to_report_create
    from safe4c.reports.rules.report import ReportCreate

    received = datetime(2026, 1, 5, 3, 0, tzinfo=timezone.utc)
    for body, code in ((REPORT, "tiktok"), ({**REPORT, "additional_information": "  ", "victims": []}, None),
                       ({**REPORT, "reported_accounts": [], "victims": [{"estimated_age_band": "unknown"}]}, "other")):
        built = to_report_create(parse_platform_report(body), platform_code=code, platform_name="Platform X",
                                 received_at=received)
        assert built == ReportCreate.model_validate(built.model_dump()), body
        assert built.model_dump() == ReportCreate.model_validate(built.model_dump()).model_dump()


def test_body_hash_is_the_models_json_so_spacing_and_order_do_not_matter(client, uow_factory):
    import hashlib
    import json

    from safe4c.reports.rules.platform_report import parse_platform_report

    p = make_platform(uow_factory)
    reordered = json.dumps(dict(reversed(list(REPORT.items()))), indent=3)
    headers = auth(p.api_key, **{"Idempotency-Key": "order", "Content-Type": "application/json"})
    first = client.post("/api/v1/reports", json=REPORT, headers=headers)
    again = client.post("/api/v1/reports", content=reordered, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    with uow_factory() as uow:
        stored = uow.session.scalar(select(PlatformReport.body_hash))
    raw = parse_platform_report(REPORT).model_dump_json()
    assert stored == hashlib.sha256(raw.encode()).hexdigest()


def test_a_bad_content_hash_says_which_hash_and_how_long(client, uow_factory):
    p = make_platform(uow_factory)
    body = copy.deepcopy(REPORT)
    body["content"][0].update(md5="g" * 32, pdq="f" * 63)
    r = client.post("/api/v1/reports", json=body, headers=auth(p.api_key, **{"Accept-Language": "en"}))
    assert r.status_code == 422
    fields = {f["field"]: f["message"] for f in r.json()["error"]["fields"]}
    assert fields == {"content.0.md5": "This is not a md5 hash (hexadecimal, 32 characters).",
                      "content.0.pdq": "This is not a pdq hash (hexadecimal, 64 characters)."}
