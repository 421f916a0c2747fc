"""Demo platforms, takedown orders in every state, and a small hash bank, so `make run` shows the platform,
compliance and hash-list pages with something in them. Synthetic and benign: the bank holds random values
tagged "demo", never the hash of any real image; platform names say "(demo)".
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from safe4c.kernel.clock import FrozenClock
from safe4c.db.platforms import Platform
from safe4c.db.tables import Report
from safe4c.hashlist import banks as hashlist
from safe4c.kernel.signals import HASH_TYPES
from safe4c.access import platforms
from safe4c.takedowns import orders as takedowns

DEMO_PLATFORMS = (("Instagram (demo)", "instagram"), ("TikTok (demo)", "tiktok"), ("Telegram (demo)", "telegram"),
                  ("MiChat (demo)", "michat"))


def load_demo_platforms(*, uow_factory, seed: int = 2026, orders: int = 40) -> int:
    """Adds the demo platforms, orders and bank once; returns how many orders were issued (0 when present)."""
    template = uow_factory()
    with template.fork() as uow:
        if uow.session.scalar(select(func.count()).select_from(Platform)):
            return 0
        now = uow.now()
        reports = list(uow.session.scalars(select(Report.public_id).order_by(Report.received_at)))
    rng = random.Random(seed)
    ids = []
    for name, code in DEMO_PLATFORMS:
        with template.fork() as uow:
            ids.append(platforms.create_platform(uow=uow, name=name, taxonomy_code=code).id)
    # the platforms' habits differ, so the compliance page has something to compare
    habits = {ids[0]: (0.9, 2), ids[1]: (0.8, 6), ids[2]: (0.4, 30), ids[3]: (0.2, 40)}
    issued = 0
    for i in range(orders):
        platform_id = rng.choice(ids)
        at = now - timedelta(hours=rng.uniform(2, 20 * 24))
        urgent = rng.random() < 0.6
        order = takedowns.OrderInput(
            platform_id=platform_id, target_type="url", category="csam" if urgent else "other", urgent=urgent,
            target_value=f"https://{DEMO_PLATFORMS[ids.index(platform_id)][1]}.example/p/{secrets.token_hex(6)}",
            report_id=rng.choice(reports) if reports else None)
        with template.fork(clock=FrozenClock(at)) as uow:
            public_id = takedowns.issue_order(uow=uow, order=order, actor_id=None)
        issued += 1
        share, hours = habits[platform_id]
        if rng.random() > share:
            continue  # left open: overdue orders escalate once the worker runs
        acked = at + timedelta(hours=rng.uniform(0.1, 1))
        removed = acked + timedelta(hours=rng.uniform(0.2, hours))
        if removed >= now:
            continue
        with template.fork(clock=FrozenClock(acked)) as uow:
            takedowns.acknowledge(uow=uow, platform_id=platform_id, public_id=public_id)
        with template.fork(clock=FrozenClock(removed)) as uow:
            takedowns.mark_removed(uow=uow, platform_id=platform_id, public_id=public_id)
    with template.fork() as uow:
        bank = hashlist.create_bank(uow=uow, name="Demo list (random values)",
                                    description="Random values for trying the pages; not real material.")
    for _ in range(60):
        kind = rng.choice(["pdq", "md5", "sha256"])
        value = secrets.token_hex(HASH_TYPES[kind].hex_length // 2)
        with template.fork() as uow:
            hashlist.add_entry(uow=uow, bank_id=bank, signal_type=kind, value=value, tags=["demo"], source="partner")
    return issued
