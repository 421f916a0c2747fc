"""Migration 0008_durable on a database that already has data, on SQLite and PostgreSQL: platform reports stored
twice before it (the retries it now prevents) keep their rows, and queued jobs get their kind's priority."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from safe4c.db.migrate import alembic_config, upgrade


BEFORE = "0007_throttle"
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
T = sa.DateTime(timezone=True)
reports = sa.table("reports", *(sa.column(c) for c in (
    "id", "public_id", "channel", "language", "situations", "platforms", "urgent_signals",
    "contact_method", "consent_services", "followup_hash", "status")), sa.column("received_at", T),
    sa.column("updated_at", T))
platforms = sa.table("platforms", sa.column("id"), sa.column("name"), sa.column("webhook_secret_sealed"),
                     sa.column("active"), sa.column("created_at", T))
details = sa.table("platform_reports", *(sa.column(c) for c in (
    "report_id", "platform_id", "idempotency_key", "body_hash", "external_id", "escalate_to_urgent", "annotations",
    "content_hashes", "detail_sealed")))
jobs = sa.table("jobs", sa.column("id"), sa.column("kind"), sa.column("payload"), sa.column("created_at", T),
                sa.column("run_after", T), sa.column("attempts"), sa.column("done_at", T))



def test_duplicates_from_before_keep_their_rows_and_queued_jobs_get_priorities(old_engine):
    with old_engine.begin() as conn:
        conn.execute(platforms.insert().values(id=1, name="Video Cepat", webhook_secret_sealed=b"x", active=True,
                                               created_at=NOW))
        for i in range(1, 6):
            conn.execute(reports.insert().values(
                id=i, public_id=f"00000000-0000-0000-0000-00000000000{i}", channel="platform", language="id",
                situations="[]", platforms="[]", urgent_signals="[]", contact_method="none",
                consent_services=False, followup_hash=f"{i:064x}", status="new", received_at=NOW, updated_at=NOW))
        # 1-3: the same external_id sent three times without a key; 4: with a key; 5: another external_id
        for i, key, external in ((1, None, "TT-1"), (2, None, "TT-1"), (3, None, "TT-1"), (4, "k", "TT-1"),
                                 (5, None, "TT-2")):
            conn.execute(details.insert().values(
                report_id=i, platform_id=1, idempotency_key=key, body_hash="0" * 64, external_id=external,
                escalate_to_urgent=False, annotations="[]", content_hashes="[]", detail_sealed=b"x"))
        for i, (kind, done) in enumerate((("report.link", None), ("takedown.escalate", None),
                                          ("webhook.deliver", NOW), ("other.kind", None)), start=1):
            conn.execute(jobs.insert().values(id=i, kind=kind, payload="{}", created_at=NOW, run_after=NOW,
                                              attempts=0, done_at=done))
    upgrade(old_engine)
    with old_engine.connect() as conn:
        keys = dict(conn.execute(sa.text("SELECT report_id, idempotency_key FROM platform_reports")).all())
        priorities = dict(conn.execute(sa.text("SELECT kind, priority FROM jobs")).all())
    assert keys == {1: None, 2: "safe4c-0008-duplicate:2", 3: "safe4c-0008-duplicate:3", 4: "k", 5: None}
    # open jobs by kind; a done job and an unknown kind keep the default
    assert priorities == {"report.link": 90, "takedown.escalate": 0, "webhook.deliver": 50, "other.kind": 50}
    with pytest.raises(sa.exc.IntegrityError), old_engine.begin() as conn:
        conn.execute(reports.insert().values(
            id=6, public_id="00000000-0000-0000-0000-000000000006", channel="platform", language="id",
            situations="[]", platforms="[]", urgent_signals="[]", contact_method="none",
            consent_services=False, followup_hash=f"{6:064x}", status="new", received_at=NOW, updated_at=NOW))
        conn.execute(details.insert().values(
            report_id=6, platform_id=1, idempotency_key=None, body_hash="0" * 64, external_id="TT-2",
            escalate_to_urgent=False, annotations="[]", content_hashes="[]", detail_sealed=b"x"))
    downgrade(old_engine, BEFORE)  # the downgrade runs too, and the upgrade again after it
    upgrade(old_engine)


def downgrade(engine, revision: str) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
