"""Tables for platforms: organisations and their API keys, reports they send, takedown orders, webhooks.

Secrets are never stored in the clear: API keys as SHA-256 (they are 256-bit random, so a plain hash is
enough), the webhook signing secret and contacts sealed (safe4c needs the secret back to sign).
Personal data a platform sends about reported accounts (e-mails, phones, IP addresses) is sealed too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from safe4c.db.tables import Base, Id


class Platform(Base):
    __tablename__ = "platforms"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    taxonomy_code: Mapped[str | None] = mapped_column(String(32))  # a PLATFORM_CODES code, e.g. "tiktok"
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # After a rotation the previous secret still signs deliveries (a second v1 signature) until this moment.
    webhook_secret_previous_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    webhook_secret_previous_until: Mapped[datetime | None]
    contacts_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class PlatformApiKey(Base):
    __tablename__ = "platform_api_keys"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # shown in lists, to name a key to revoke
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PlatformReport(Base):
    """The platform-specific part of a report from a platform; the report itself is a row in ``reports``."""

    __tablename__ = "platform_reports"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    # No index of its own: the unique (platform_id, idempotency_key) below leads with platform_id (one index
    # fewer to write per report); no query looks up platform_id alone.
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    body_hash: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(100))
    escalate_to_urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    annotations: Mapped[list]
    content_hashes: Mapped[list]  # [{"type": "md5", "value": "..."}]: not personal, kept clear for matching
    detail_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # the whole report as sent (JSON), sealed

    # Without an Idempotency-Key, the platform's own external_id is the key (docs/platform-api.md).
    __table_args__ = (
        UniqueConstraint("platform_id", "idempotency_key", name="uq_platform_reports_idempotency"),
        Index("uq_platform_reports_external", "platform_id", "external_id", unique=True,
              sqlite_where=text("idempotency_key IS NULL AND external_id IS NOT NULL"),
              postgresql_where=text("idempotency_key IS NULL AND external_id IS NOT NULL")),
    )


# The open statuses (takedowns/rules/lifecycle.OPEN_STATUSES) as SQL, for the partial unique index.
OPEN_ORDER = "status IN ('issued', 'acknowledged', 'disputed')"


class TakedownOrder(Base):
    __tablename__ = "takedown_orders"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    target_type: Mapped[str] = mapped_column(String(16))  # url, hash, account
    target_value: Mapped[str] = mapped_column(String(2000))
    # The normalised target (takedowns/rules/targets.target_key, SHA-256 hex): one open order per platform and key.
    target_key: Mapped[str] = mapped_column(String(64))
    hash_type: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(24))  # csam, terrorism, other
    legal_basis: Mapped[str] = mapped_column(String(300))
    urgent: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))  # issued, acknowledged, disputed, removed, withdrawn
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    issued_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    preserve_until: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]
    disputed_at: Mapped[datetime | None]
    dispute_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    dispute_outcome: Mapped[str | None] = mapped_column(String(16))  # upheld, withdrawn
    closed_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_takedown_platform_status", "platform_id", "status", "id"),
        Index("ix_takedown_issued", "issued_at"),
        Index("ix_takedown_updated", "updated_at"),  # the statistics' change cursor (statistics/rollups.py)
        # One open order per platform and target, whichever way it was issued (migration 0011_open_orders).
        Index("uq_takedown_open_target", "platform_id", "target_key", unique=True,
              sqlite_where=text(OPEN_ORDER), postgresql_where=text(OPEN_ORDER)),
    )


class TakedownEvent(Base):
    """Every step of an order, timestamped: issued, delivered, acknowledged, removed, disputed, escalated..."""

    __tablename__ = "takedown_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("takedown_orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(24))
    level: Mapped[int | None] = mapped_column(Integer)
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    actor_platform_id: Mapped[int | None] = mapped_column(ForeignKey("platforms.id"))
    detail: Mapped[dict]
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # staff's reason (a withdrawal), sealed


class WebhookDelivery(Base):
    """One event to one platform's webhook; retried until it answers 2xx or the give-up time passes."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("takedown_orders.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict]
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    gave_up_at: Mapped[datetime | None]
