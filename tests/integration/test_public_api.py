"""The public intake API over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from safe4c.db.tables import Job, Report, ReportEvent

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
        assert body["followup_code"] not in str(row.followup_hash)
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
