"""Synthetic demo data: realistic reports in Indonesian across provinces, platforms and situations.

Nothing here is real and nothing is explicit. The stories describe what children tell hotlines in
general terms, so analysts and testers see a believable queue.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from safe4c.access import accounts
from safe4c.kernel.clock import FrozenClock
from safe4c.db.tables import Report, ReportEvent, StaffUser
from safe4c.kernel import regions
from safe4c.reports.rules.report import parse_report
from safe4c.reports import intake
from safe4c.kernel.uow import UnitOfWork

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "safe4c-demo-only"  # demo data only; `make run` prints it

STORIES = {
    "grooming": [
        "Ada orang dewasa yang kenalan di {platform}, sering kasih pujian dan minta aku merahasiakan obrolan kami dari orang tua.",
        "Kakak kelas palsu di {platform} minta foto pribadi dan bilang ini rahasia kita berdua.",
        "Anak saya diajak ngobrol terus setiap malam oleh akun yang mengaku seumuran, lalu diminta pindah ke aplikasi lain.",
    ],
    "sextortion": [
        "Dia mengancam akan menyebarkan foto saya ke teman sekolah kalau saya tidak transfer uang sebelum besok.",
        "Akun ini minta dikirimi video lagi, kalau tidak fotonya mau dikirim ke keluarga saya.",
        "Anak saya diminta bayar lewat e-wallet supaya fotonya tidak disebar. Dia sangat ketakutan.",
    ],
    "image_sharing": [
        "Foto saya yang diambil tanpa izin disebar di grup kelas.",
        "Ada akun yang mengunggah foto murid kami tanpa izin dengan komentar tidak pantas.",
    ],
    "unwanted_content": [
        "Saya terus dikirimi pesan dan gambar yang tidak pantas oleh orang yang tidak saya kenal.",
        "Akun asing mengirim video tidak senonoh ke anak saya lewat pesan langsung.",
    ],
    "gaming": [
        "Pemain di game menawarkan diamond gratis kalau aku mau video call sambil menuruti permintaannya.",
        "Ada yang kasih top-up lalu bilang aku berutang dan harus kirim foto.",
    ],
    "live_streaming": [
        "Ada siaran langsung yang memperlihatkan anak dan penonton memberi hadiah sambil menyuruh-nyuruh.",
    ],
    "trafficking": [
        "Akun ini menawarkan 'open BO' dan fotonya terlihat seperti anak SMP.",
        "Teman saya ditawari kerja dengan gaji besar lewat DM, lalu diminta datang ke hotel.",
    ],
    "abuse_material": [
        "Saya melihat tautan di grup yang berisi video anak. Saya tidak membukanya lagi dan langsung lapor.",
    ],
    "other": [
        "Akun ini membuat akun palsu pakai nama anak saya dan mengirim pesan aneh ke teman-temannya.",
    ],
}
PLATFORMS_BY_SITUATION = {
    "grooming": ["instagram", "tiktok", "facebook", "whatsapp", "michat"],
    "sextortion": ["instagram", "whatsapp", "telegram", "facebook"],
    "image_sharing": ["whatsapp", "telegram", "x", "instagram"],
    "unwanted_content": ["instagram", "tiktok", "x", "line"],
    "gaming": ["mobile_legends", "free_fire", "roblox", "discord"],
    "live_streaming": ["tiktok", "youtube", "other"],
    "trafficking": ["michat", "x", "telegram", "facebook"],
    "abuse_material": ["telegram", "x", "other"],
    "other": ["instagram", "facebook", "whatsapp"],
}
NAME_PARTS = ["kakak", "teman", "dimas", "rina", "gamer", "bang", "cari", "info", "sultan", "om", "kak", "putri"]
# Three small networks, as analysts meet them: the same number, link or account behind several reports.
NETWORKS = (
    ("sextortion", ["0812-7788-9900", "t.me/+Qx7aBcDeFgH12"]),  # a ring that moves children to Telegram
    ("trafficking", ["@info_loker_jkt", "chat.whatsapp.com/AbCdEfGhIjK123"]),  # "job offers", then "open BO"
    ("gaming", ["@sultan_diamond"]),  # diamonds for photos, across two games
)


def _unique_accounts(rng: random.Random) -> list[str]:
    """Identifiers of one report only: made up, so demo reports do not link by accident."""
    accounts = [f"@{rng.choice(NAME_PARTS)}{rng.choice(['.', '_', ''])}{rng.randint(10, 99999)}"
                for _ in range(rng.randint(0, 2))]
    if rng.random() < 0.4:
        accounts.append(f"08{rng.choice(['12', '13', '21', '57', '96'])}{rng.randint(10000000, 99999999)}")
    return accounts


def load_demo(*, uow_factory, count: int = 80, seed: int = 2026, if_empty: bool = False) -> int:
    """Loads ``count`` reports spread over the last three days; returns how many were added."""
    with uow_factory() as uow:
        if if_empty and uow.session.scalar(select(func.count()).select_from(Report)):
            return 0
        now = uow.now()
    template = uow_factory()
    rng = random.Random(seed)
    provinces = regions.provinces()
    populous = ["31", "32", "33", "35", "36", "12", "73", "64", "51", "94", "11", "52"]
    added = 0
    for i in range(count):
        network = NETWORKS[i % len(NETWORKS)] if i % 7 == 0 else None  # about one report in seven
        situation = network[0] if network else rng.choice(list(STORIES))
        situations = [situation] + (["grooming"] if situation == "sextortion" and rng.random() < 0.4 else [])
        province = rng.choice(populous) if rng.random() < 0.8 else rng.choice(provinces).code
        regency = rng.choice(regions.regencies(province)).code
        platforms = rng.sample(PLATFORMS_BY_SITUATION[situation], k=rng.randint(1, 2))
        accounts = _unique_accounts(rng)
        if network:
            accounts += rng.sample(network[1], k=min(len(network[1]), rng.randint(1, 2)))
        urgent = []
        if situation == "sextortion" and rng.random() < 0.5:
            urgent.append("threat_deadline")
        if situation == "grooming" and rng.random() < 0.2:
            urgent.append("meeting_planned")
        if rng.random() < 0.04:
            urgent.append("self_harm")
        role = rng.choice(["child", "child", "parent", "teacher", "other_child", "other_adult"])
        data = {
            "situations": situations,
            "story": rng.choice(STORIES[situation]).format(platform=platforms[0].replace("_", " ").title()),
            "platforms": platforms,
            "platform_other": "Situs streaming" if "other" in platforms else None,
            "accounts": accounts,
            "when": rng.choice(["today", "this_week", "this_week", "this_month", "earlier"]),
            "province_code": province,
            "regency_code": regency,
            "age_band": rng.choice(["10_12", "13_15", "13_15", "16_17", "unknown"]),
            "gender": rng.choice(["girl", "girl", "boy", "prefer_not"]),
            "disability": rng.choice(["no", "no", "no", "unknown", "yes"]),
            "reporter_role": role,
            "urgent_signals": urgent,
            "contact_method": rng.choice(["none", "none", "whatsapp", "email"]),
            "consent_services": rng.random() < 0.6,
        }
        if data["contact_method"] == "whatsapp":
            data["contact_value"] = f"0812{rng.randint(10000000, 99999999)}"
        elif data["contact_method"] == "email":
            data["contact_value"] = f"pelapor{i}@contoh.id"
        received = now - timedelta(minutes=rng.randint(5, 3 * 24 * 60))
        with template.fork(clock=FrozenClock(received)) as uow:
            receipt = intake.submit_report(uow=uow, report=parse_report(data), channel=rng.choice(["web", "web", "api"]),
                                           language="id")
        with template.fork() as uow:
            _age_status(uow, receipt.report_id, received, rng, now=now)
        added += 1
    return added


def _age_status(uow: UnitOfWork, public_id: str, received, rng: random.Random, *, now) -> None:
    """Older demo reports have moved on, as in a hotline that keeps up: the queue shows every status,
    mostly recent reports are still new, and only a few are overdue."""
    age_hours = (now - received).total_seconds() / 3600
    steps = {0: [], 1: ["in_review"], 2: ["in_review", "actioned"], 3: ["in_review", "actioned", "closed"]}
    weights = [6, 3, 1, 0] if age_hours < 6 else [1, 3, 3, 2] if age_hours < 24 else [1, 1, 3, 6]
    path = steps[rng.choices([0, 1, 2, 3], weights=weights)[0]]
    if not path:
        return
    row = uow.session.scalar(select(Report).where(Report.public_id == public_id))
    at, current = received, row.status
    for to in path:
        at = min(at + timedelta(minutes=rng.randint(10, 240)), now)  # never in the future
        note = {"in_review": "Sedang ditelaah analis.", "actioned": "Permintaan penurunan konten dikirim ke platform.",
                "closed": "Konten sudah diturunkan; kasus ditutup."}[to]
        uow.session.add(ReportEvent(report_id=row.id, at=at, kind="status", from_status=current, to_status=to,
                                    note_sealed=uow.ctx.sealer.seal(note, context="report.note")))
        current = to
    row.status, row.updated_at = current, at
    uow.commit()


def ensure_demo_user(*, uow_factory) -> tuple[str, str]:
    with uow_factory() as uow:
        exists = uow.session.scalar(select(StaffUser).where(StaffUser.username == DEMO_USERNAME))
    if exists is None:
        with uow_factory() as uow:
            accounts.create_user(uow=uow, username=DEMO_USERNAME, password=DEMO_PASSWORD, role="admin",
                                 display_name="Analis Demo")
    return DEMO_USERNAME, DEMO_PASSWORD
