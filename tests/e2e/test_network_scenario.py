"""End to end over HTTP (in-process ASGI), on SQLite and PostgreSQL: one network reported in fragments.

A parent and a child report through the public API; two platforms report through the platform API. They
share a phone number, a Telegram invite and a content hash, and mention Instagram, WhatsApp, Telegram and
TikTok. One platform escalates its report (a child in imminent danger). After the worker has run: one
network, its cross-platform path in order, the other reports raised to P1 with the reason
``link.urgent_cluster``, and a police referral whose evidence package holds the identifiers, hashes, links,
timeline, reports and chain of custody.
"""

from __future__ import annotations

import re

from helpers import PASSWORD, hidden
from sqlalchemy import select

from safe4c.db.tables import Report
from safe4c.access import accounts, platforms
from safe4c.networks import membership
from safe4c.worker import Worker

PHONE_LOCAL, PHONE_E164 = "0812-3456-7890", "+6281234567890"
INVITE = "https://t.me/+PremPlace2024xYz"
MD5 = "5d41402abc4b2a76b9719d911017c592"


def test_fragments_of_one_network_become_one_cluster_with_path_priority_and_evidence(client, uow_factory, clock):
    with uow_factory() as uow:
        insta = platforms.create_platform(uow=uow, name="Instagram ID", taxonomy_code="instagram")
        tiktok = platforms.create_platform(uow=uow, name="TikTok Indonesia", taxonomy_code="tiktok")
        accounts.create_user(uow=uow, username="analis", password=PASSWORD, role="analyst", display_name="Analis")
    worker = Worker(uow_factory)

    # 1. A parent: someone on Instagram moved the conversation with her daughter to WhatsApp.
    parent = client.post("/api/v1/public/reports", json={
        "situations": ["grooming"], "platforms": ["instagram", "whatsapp"], "reporter_role": "parent",
        "accounts": ["@kak.rian.official", PHONE_LOCAL], "age_band": "13_15", "gender": "girl",
        "province_code": "32", "story": "Orang ini meminta anak saya pindah ke WhatsApp.",
    })
    assert parent.status_code == 201, parent.text
    worker.run_once()
    clock.advance(hours=2)

    # 2. The child: the same number sent a Telegram group link.
    child = client.post("/api/v1/public/reports", json={
        "situations": ["grooming", "image_sharing"], "platforms": ["whatsapp", "telegram"], "reporter_role": "child",
        "age_band": "13_15", "gender": "girl", "province_code": "32",
        "story": f"Dia pakai nomor WA 0812 3456 7890 dan kirim link grup {INVITE} katanya grup premium.",
    })
    assert child.status_code == 201
    worker.run_once()
    clock.advance(hours=2)

    # 3. Instagram reports the account with the phone, and the content's hash.
    r = client.post("/api/v1/reports", headers={"Authorization": f"Bearer {insta.api_key}"}, json={
        "incident": {"situation": "grooming", "time": "2026-01-05T06:30:00+07:00"},
        "reported_accounts": [{"screen_name": "@kak.rian.official", "phones": ["+62 812 3456 7890"]}],
        "victims": [{"age": 14}],
        "content": [{"md5": MD5}],
    })
    assert r.status_code == 201, r.text
    instagram_report = r.json()["id"]
    worker.run_once()
    clock.advance(hours=2)

    # 4. TikTok reports a video with the same hash and the Telegram invite, escalated as urgent.
    r = client.post("/api/v1/reports", headers={"Authorization": f"Bearer {tiktok.api_key}"}, json={
        "incident": {"situation": "abuse_material", "time": "2026-01-05T09:00:00+07:00", "escalate_to_urgent": True,
                     "escalation_reason": "Pelaku merencanakan pertemuan malam ini."},
        "reported_accounts": [{"screen_name": "@premium.place.id"}],
        "content": [{"md5": MD5, "url": "https://www.tiktok.com/@premium.place.id/video/7312345678901234567"}],
        "additional_information": f"Deskripsi video mengarah ke {INVITE}",
    })
    assert r.status_code == 201, r.text
    tiktok_report = r.json()["id"]
    while worker.run_once():
        pass

    ids = [parent.json()["id"], child.json()["id"], instagram_report, tiktok_report]
    with uow_factory() as uow:
        rows = {p: uow.session.scalar(select(Report).where(Report.public_id == p)) for p in ids}
        clusters = {membership.cluster_of(uow, row.id) for row in rows.values()}
        assert len(clusters) == 1, "the four fragments are one network"
        cid = clusters.pop()
        assert rows[tiktok_report].priority == "P1"  # escalated by the platform
        for p in ids[:3]:
            codes = [r["code"] for r in rows[p].triage_reasons]
            assert rows[p].priority == "P1" and codes[0] == "link.urgent_cluster", p

    client.post("/staff/login", data={"username": "analis", "password": PASSWORD,
                                      "csrf": hidden(client.get("/staff/login").text)})
    page = client.get(f"/staff/clusters/{cid}?lang=en")
    assert page.status_code == 200
    path = re.findall(r'<ol class="path">(.*?)</ol>', page.text, re.S)[0]
    order = [item.split("<span", 1)[0].strip() for item in re.findall(r"<li>(.*?)</li>", path, re.S)]
    assert order == ["Instagram", "WhatsApp", "Telegram", "TikTok"]
    assert path.index("Instagram") < path.index("WhatsApp") < path.index("Telegram") < path.index("TikTok")

    r = client.post(f"/staff/clusters/{cid}/decisions/refer_police",
                    data={"csrf": hidden(page.text), "reason": "Jaringan lintas platform, ada rencana pertemuan."},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/staff/clusters/{cid}?lang=en").text
    referral = re.search(r'href="/staff/referrals/([0-9a-f-]{36})\.json"', page).group(1)
    package = client.get(f"/staff/referrals/{referral}.json").json()
    assert {r["id"] for r in package["reports"]} == set(ids)
    values = {(i["kind"], i["value"]) for i in package["identifiers"]}
    assert ("phone", PHONE_E164) in values and ("tg_invite", "PremPlace2024xYz") in values
    assert ("md5", MD5) in values
    assert [p["platform"] for p in package["path"]][:4] == ["instagram", "whatsapp", "telegram", "tiktok"]
    assert any(u["url"].startswith("https://tiktok.com/@premium.place.id/video/") for u in package["urls"])
    assert len(package["timeline"]) >= 4 and package["integrity"]["sha256"]
    custody = {c["action"] for c in package["chain_of_custody"]}
    assert {"report.link", "report.raise", "cluster.view", "decision.refer_police"} <= custody
    assert client.get(f"/staff/referrals/{referral}.pdf").content.startswith(b"%PDF")
