"""Nothing personal is stored in the clear: the raw database, read with plain SQL, holds none of it.

A realistic public report (story, contact, the other person's accounts) and a platform report (the reported
account's e-mail, phone, screen name, IP address, a victim's handle, free text) go through intake, the
background jobs (linking, matching) and an analyst's audited view and status note. Then every column of every
table the database itself lists is read back with plain SQL: no plaintext value may appear anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers import hidden, sign_in_new
from sqlalchemy import inspect, text

from safe4c.worker import Worker

PUBLIC = {
    "situations": ["sextortion", "grooming"],
    "platforms": ["instagram", "other"],
    "platform_other": "Aplikasi Kencan Rahasia",
    "accounts": ["@om.baik_hati", "0857-2222-3333", "paman.rahasia@example.net",
                 "https://www.instagram.com/om.baik_hati"],
    "story": "Dia minta saya kirim foto ke nomor 0813-9999-1111 dan mengancam menyebarkannya ke teman sekolah.",
    "contact_method": "email",
    "contact_value": "ibu.sari.w@example.org",
    "age_band": "13_15",
    "reporter_role": "parent",
    "province_code": "32",
    "consent_services": True,
}
PLATFORM = {
    "external_id": "TT-2026-0042",
    "incident": {"situation": "sextortion", "time": "2026-01-05T06:30:00+07:00", "escalate_to_urgent": True,
                 "escalation_reason": "Akun itu mengatur pertemuan dengan anak malam ini di Bandung.",
                 "annotations": ["sextortion"]},
    "reported_accounts": [{
        "platform_user_id": "7712001", "screen_name": "@pemburu.rahasia", "display_names": ["Kak Rian Ganteng"],
        "profile_urls": ["https://www.tiktok.com/@pemburu.rahasia"], "emails": ["rian.pemburu@example.com"],
        "phones": ["+62 812 3456 7890"],
        "ip_capture_events": [{"ip_address": "203.0.113.77", "event_type": "login", "at": "2026-01-04T22:10:00Z"}],
    }],
    "victims": [{"age": 14, "screen_name": "@korban_kecil"}],
    "content": [{"url": "https://www.tiktok.com/@pemburu.rahasia/video/1", "md5": "9e107d9d372bb6826bd81d3542a419d6"}],
    "additional_information": "Pengguna mengancam menyebarkan video korban kepada keluarganya.",
}
NOTE = "Ibu pelapor minta ditelepon sore hari."

# Every plaintext value above that names or reaches a person, and the normalised forms linking derives.
SECRETS = [
    "Aplikasi Kencan Rahasia", "om.baik_hati", "0857-2222-3333", "85722223333", "paman.rahasia",
    "0813-9999-1111", "81399991111", "kirim foto", "ibu.sari.w", "pemburu.rahasia", "Kak Rian", "rian.pemburu",
    "812 3456 7890", "81234567890", "203.0.113.77", "korban_kecil", "pertemuan dengan anak",
    "menyebarkan video korban", NOTE,
]


def leaks(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    elif isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    else:
        value = str(value)
    return [s for s in SECRETS if s.lower() in value.lower()]


def scan(engine) -> dict[str, list[str]]:
    """Plain SQL over every column of every table the database lists (not only those the code knows)."""
    found = {}
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        assert "reports" in tables and "link_identifiers" in tables
        for name in tables:
            for row in conn.execute(text(f'SELECT * FROM "{name}"')).mappings():
                for column, value in row.items():
                    hit = leaks(value)
                    if hit:
                        found.setdefault(f"{name}.{column}", []).extend(hit)
    return found


def test_the_raw_database_holds_no_plaintext_of_what_is_sealed(client, uow_factory, engine):
    from test_platform_reports import auth, make_platform

    r = client.post("/api/v1/public/reports", json=PUBLIC)
    assert r.status_code == 201, r.text
    public_id = r.json()["id"]
    platform = make_platform(uow_factory)
    r = client.post("/api/v1/reports", json=PLATFORM, headers=auth(platform.api_key, **{"Idempotency-Key": "k-42"}))
    assert r.status_code == 201, r.text

    worker = Worker(uow_factory)
    while worker.run_once():
        pass
    sign_in_new(client, uow_factory)
    page = client.get(f"/staff/reports/{public_id}")  # the analyst sees it all: opened for an audited view
    assert "om.baik_hati" in page.text and "Aplikasi Kencan Rahasia" in page.text and "ibu.sari.w" in page.text
    r = client.post(f"/staff/reports/{public_id}/status", follow_redirects=False,
                    data={"status": "in_review", "note": NOTE, "csrf": hidden(page.text)})
    assert r.status_code == 303

    with engine.connect() as conn:
        linked = conn.execute(text("SELECT count(*) FROM report_identifiers")).scalar()
        failed = conn.execute(text("SELECT count(*) FROM jobs WHERE done_at IS NULL")).scalar()
    assert linked >= 8 and failed == 0  # linking ran and found the identifiers (all of them sealed)
    assert scan(engine) == {}
    if engine.dialect.name == "sqlite":  # and not in the file's bytes either (free pages, the write-ahead log)
        path = Path(engine.url.database)
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()).decode("latin-1")
        assert [s for s in SECRETS if s in raw] == []
