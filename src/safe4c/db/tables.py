"""Tables. Personal data (a child's story, contact details, the accounts a report names, free text, staff notes)
is stored sealed (``*_sealed`` columns, AES-256-GCM); docs/architecture.md lists every field and why."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary,
                        SmallInteger, String, Text, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


# BigInteger ids on PostgreSQL, but SQLite only auto-increments an INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict: JSON, list: JSON}


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    channel: Mapped[str] = mapped_column(String(16))  # web, api, platform
    received_at: Mapped[datetime]
    language: Mapped[str] = mapped_column(String(5))
    situations: Mapped[list]
    platforms: Mapped[list]
    platform_other_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # the "other" app, free text
    accounts_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # JSON list; NULL when none were given
    incident_when: Mapped[str | None] = mapped_column(String(16))
    province_code: Mapped[str | None] = mapped_column(String(2))
    regency_code: Mapped[str | None] = mapped_column(String(5))
    age_band: Mapped[str | None] = mapped_column(String(16))
    gender: Mapped[str | None] = mapped_column(String(16))
    disability: Mapped[str | None] = mapped_column(String(16))
    reporter_role: Mapped[str | None] = mapped_column(String(16))
    urgent_signals: Mapped[list]
    contact_method: Mapped[str] = mapped_column(String(16))
    contact_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    consent_services: Mapped[bool] = mapped_column(Boolean)
    story_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    followup_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A keyed hash of the form's one-time id: the same form sent twice (Back, then resend) is one report.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The follow-up code, sealed under a key that only the same Idempotency-Key (or form id) derives, so a retried
    # submission shows the same code; cleared once replays are no longer honoured (services/replay.py).
    followup_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str | None] = mapped_column(String(2))
    triage_reasons: Mapped[list | None]
    deadline_at: Mapped[datetime | None]
    triaged_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_reports_queue", "status", "priority", "deadline_at"),
        Index("ix_reports_province", "province_code"),
        Index("ix_reports_received", "received_at"),
        Index("ix_reports_updated", "updated_at"),  # the statistics' change cursor (statistics/rollups.py)
        Index("ix_reports_replay", "received_at", sqlite_where=text("followup_sealed IS NOT NULL"),
              postgresql_where=text("followup_sealed IS NOT NULL")),
    )


class ReportEvent(Base):
    """What happened to a report: created, triaged, status changes with the required note."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class Job(Base):
    """Outbox: work written in the same transaction as the change that causes it; workers claim it."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict]
    priority: Mapped[int] = mapped_column(SmallInteger, default=50, server_default="50")  # services/jobs.py
    created_at: Mapped[datetime]
    run_after: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    # The claim's order, over open jobs only: done jobs (most rows, kept for the record) are not in the index.
    __table_args__ = (Index("ix_jobs_ready", "priority", "run_after", "id",
                            sqlite_where=text("done_at IS NULL AND failed_at IS NULL"),
                            postgresql_where=text("done_at IS NULL AND failed_at IS NULL")),)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # The agency a case worker, supervisor or police liaison works for (db/cases.py); None for national staff.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AuditEntry(Base):
    """Append-only and tamper-evident: ``hash`` is an HMAC under a key kept outside the database, over the
    entry's place in the chain (``seq``), its content and the previous entry's ``hash`` (services/audit.py).
    Entries written before migration 0006 have no ``seq`` and a plain SHA-256 ``hash``."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str | None] = mapped_column(String(24))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    seq: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_audit_subject", "subject_type", "subject_id"),
                      Index("uq_audit_log_seq", "seq", unique=True))


class AuditHead(Base):
    """The one row naming the audit chain's last entry, updated with every append and MACed under the audit
    key, so deleting the newest entries (or all of them) shows. Created by the migration; the database
    refuses to delete it or to move it anywhere but one entry forward (migration 0006_audit)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, CheckConstraint("id = 1", name="ck_audit_head_one_row"),
                                    primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)  # keyed entries in the chain
    last_id: Mapped[int | None] = mapped_column(Id)
    last_mac: Mapped[str] = mapped_column(String(64))  # the last entry's hash, or ``anchor`` while seq is 0
    anchor: Mapped[str] = mapped_column(String(64))  # where the keyed chain starts: the last pre-0006 hash
    legacy_count: Mapped[int] = mapped_column(BigInteger)  # entries from before the keyed chain
    mac: Mapped[str | None] = mapped_column(String(64))  # None until the first keyed entry


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime]
