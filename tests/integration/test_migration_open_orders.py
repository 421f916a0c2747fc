"""Migration 0011_open_orders on a database holding the duplicates it now prevents, on SQLite and PostgreSQL:
the oldest open order for a platform and target stays open, later ones are withdrawn with an event naming the
kept order; nothing is deleted, and the unique index then holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from safe4c.db.migrate import upgrade

BEFORE = "0010_cases"
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
T = sa.DateTime(timezone=True)
platforms = sa.table("platforms", sa.column("id"), sa.column("name"), sa.column("taxonomy_code"),
                     sa.column("webhook_secret_sealed"), sa.column("active"), sa.column("created_at", T))
orders = sa.table("takedown_orders", *(sa.column(c) for c in (
    "id", "public_id", "platform_id", "target_type", "target_value", "hash_type", "category", "legal_basis",
    "urgent", "status", "escalation_level", "target_key")), *(sa.column(c, T) for c in (
        "issued_at", "deadline_at", "preserve_until", "updated_at", "closed_at")))
events = sa.table("takedown_events", sa.column("order_id"), sa.column("kind"), sa.column("detail", sa.JSON))



def order(n: int, target_type: str, value: str, status: str = "issued") -> dict:
    at = NOW + timedelta(minutes=n)
    return dict(id=n, public_id=f"00000000-0000-0000-0000-00000000000{n}", platform_id=1, target_type=target_type,
                target_value=value, hash_type=None, category="csam", legal_basis="UU ITE", urgent=True,
                status=status, escalation_level=0, issued_at=at, deadline_at=at + timedelta(hours=4),
                preserve_until=at + timedelta(days=90), updated_at=at)


def test_later_open_duplicates_are_withdrawn_with_their_history(old_engine):
    with old_engine.begin() as conn:
        conn.execute(platforms.insert().values(id=1, name="Telegram", taxonomy_code="telegram",
                                               webhook_secret_sealed=b"x", active=True, created_at=NOW))
        conn.execute(orders.insert(), [
            order(1, "url", "https://t.me/grup_rahasia_x", status="removed"),  # closed: stays as it is
            order(2, "url", "https://t.me/grup_rahasia_x"),                     # the oldest open: kept
            order(3, "url", "https://telegram.me/Grup_Rahasia_X/"),            # the same link, spelled otherwise
            order(4, "account", "grup_rahasia_x"),                              # the group ordered as an "account"
            order(5, "url", "https://t.me/grup_lain"),                          # another target
        ])
    upgrade(old_engine, "head")
    with old_engine.connect() as conn:
        status = dict(conn.execute(sa.select(orders.c.id, orders.c.status)).all())
        assert status == {1: "removed", 2: "issued", 3: "withdrawn", 4: "withdrawn", 5: "issued"}
        found = conn.execute(sa.select(events.c.order_id, events.c.kind, events.c.detail)).all()
        assert sorted((o, k, d["duplicate_of"]) for o, k, d in found) == [
            (3, "withdrawn", "00000000-0000-0000-0000-000000000002"),
            (4, "withdrawn", "00000000-0000-0000-0000-000000000002")]
        keys = dict(conn.execute(sa.select(orders.c.id, orders.c.target_key)).all())
        assert keys[1] == keys[2] == keys[3] == keys[4] != keys[5] and len(keys[2]) == 64
    with pytest.raises(sa.exc.IntegrityError), old_engine.begin() as conn:
        conn.execute(orders.insert().values(**order(6, "url", "https://t.me/grup_lain"), target_key=keys[5]))
