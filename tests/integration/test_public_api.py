"""The public intake API over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from safe4c.db.tables import Job, Report, ReportEvent
from safe4c.reports.rules import followup

GOOD = {
    "situations": ["sextortion"],
    "urgent_signals": ["threat_deadline"],
    "platforms": ["instagram", "whatsapp"],
    "accounts": ["@pemburu.rahasia", "0812-3456-7890"],
    "province_code": "32",
    "regency_code": "32.76",
    "age_band": "13_15",
    "reporter_role": "child",
    "story": "Dia bilang akan menyebarkan foto saya kalau saya tidak transfer uang besok.",
}


def count(uow_factory, model) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_report_is_stored_triaged_and_enqueued(client, uow_factory):
    r = client.post("/api/v1/public/reports", json=GOOD)
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["followup_code"].replace("-", "")) == 16
    assert body["advice"][0].startswith("Jangan bayar")  # Indonesian by default
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report).where(Report.public_id == body["id"]))
        assert row.priority == "P1"
        assert "urgent.threat_deadline" in [r["code"] for r in row.triage_reasons]
        assert row.story_sealed is not None and b"transfer" not in row.story_sealed  # encrypted at rest
        assert uow.ctx.sealer.open(row.story_sealed, context="report.story") == GOOD["story"]
        # stored only as the keyed hash of the code: not the code, not an unkeyed hash anyone could compute
        canonical = followup.canonical(body["followup_code"])
        assert row.followup_hash == followup.code_hash(body["followup_code"], key=uow.ctx.followup_key)
        assert row.followup_hash != hashlib.sha256(canonical.encode()).hexdigest()
        assert canonical not in row.followup_hash.upper()
    assert count(uow_factory, ReportEvent) == 0  # its creation is the row's received_at
    with uow_factory() as uow:  # triaged inline: no triage job; only linking into networks (it has a story)
        assert list(uow.session.scalars(select(Job.kind))) == ["report.link"]


def test_status_by_code_in_english(client):
    code = client.post("/api/v1/public/reports", json=GOOD).json()["followup_code"]
    r = client.post("/api/v1/public/reports/status", json={"code": code.lower().replace("-", " ")},
                    headers={"Accept-Language": "en"})
    assert r.status_code == 200
    assert r.json()["status"] == "new"
    assert r.json()["status_text"].startswith("We have received")


def test_unknown_code_is_404_in_indonesian(client):
    r = client.post("/api/v1/public/reports/status", json={"code": "AAAA-BBBB-CCCC-DDDD"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert "kode" in r.json()["error"]["message"].lower()


def test_bad_input_gives_one_error_per_field_and_saves_nothing(client, uow_factory):
    bad = dict(GOOD, situations=["nope"], extra="x", province_code="99", story="x" * 5001, accounts="@a")
    r = client.post("/api/v1/public/reports", json=bad, headers={"Accept-Language": "en"})
    assert r.status_code == 422
    fields = {f["field"]: f["message"] for f in r.json()["error"]["fields"]}
    assert set(fields) == {"situations", "extra", "province_code", "story", "accounts"}
    assert fields["story"] == "This is too long (at most 5000 characters)."
    assert count(uow_factory, Report) == 0 and count(uow_factory, Job) == 0


def test_regency_must_be_in_province(client):
    r = client.post("/api/v1/public/reports", json=dict(GOOD, province_code="31", regency_code="32.76"))
    assert r.status_code == 422
    assert [f["field"] for f in r.json()["error"]["fields"]] == ["regency_code"]


def test_contact_needs_a_value_unless_anonymous(client):
    r = client.post("/api/v1/public/reports", json=dict(GOOD, contact_method="email", contact_value="not-mail"))
    assert r.status_code == 422
    r = client.post("/api/v1/public/reports", json=dict(GOOD, contact_method="email", contact_value="ibu@contoh.id"))
    assert r.status_code == 201


def test_oversize_body_is_413_and_saves_nothing(client, uow_factory):
    r = client.post("/api/v1/public/reports", content=b"{" + b" " * 70_000 + b"}",
                    headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"
    assert count(uow_factory, Report) == 0


def test_healthz_reports_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["database"] == "ok"


def chunks(data: bytes, size: int = 8192):
    """A body sent chunked, without Content-Length: the limit must hold while it is read."""
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_oversize_chunked_body_is_413_where_the_framework_reads_the_body(client, uow_factory):
    body = b'{"code": "' + b"A" * 70_000 + b'"}'
    r = client.post("/api/v1/public/reports/status", content=chunks(body),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["error"] == {"code": "too_large",
                                 "message": "Yang kamu kirim terlalu besar (paling banyak 65536 byte)."}
    r = client.post("/api/v1/public/reports", content=chunks(b"{" + b" " * 70_000 + b"}"),
                    headers={"content-type": "application/json", "accept-language": "en"})
    assert r.status_code == 413
    assert r.json()["error"]["message"] == "What you sent is too large (at most 65536 bytes)."
    assert count(uow_factory, Report) == 0


def test_a_declared_oversize_body_is_refused_before_it_is_read(client):
    r = client.post("/api/v1/public/reports/status", content=b"{" + b" " * 70_000 + b"}",
                    headers={"content-type": "application/json", "accept-language": "en"})
    assert r.status_code == 413 and r.headers["connection"] == "close"
    assert r.json() == {"error": {"code": "too_large", "message": "What you sent is too large (at most 65536 bytes)."}}


def test_field_errors_from_the_framework_say_what_is_wrong(client):
    r = client.post("/api/v1/public/reports/status", json={}, headers={"accept-language": "en"})
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == [{"field": "code", "message": "This is required."}]
    r = client.post("/api/v1/public/reports/status", json={"code": "A" * 41}, headers={"accept-language": "en"})
    assert r.json()["error"]["fields"] == [{"field": "code", "message": "This is too long (at most 40 characters)."}]


def test_a_malformed_request_says_so_instead_of_blaming_the_server(client):
    """A body that cannot be read (a multipart form without a boundary) is a 400 in plain words."""
    r = client.post("/lapor", content=b"abc", headers={"content-type": "multipart/form-data", "Accept-Language": "en"})
    assert r.status_code == 400
    assert "We could not read what you sent" in r.text
