"""Tables of case management (docs/cases.md): agencies, cases, consent, the child's statement told once, notes,
dated workflow steps and referrals to providers.

What a child said, notes and reasons are sealed (``*_sealed``); the rest is codes, dates and ids. A case points
at the report it came from (if any) and at the agency that leads it; an agency points at its entry in the
service directory (if it has one).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from safe4c.db.tables import Base, Id


class Agency(Base):
    """An organisation whose staff work cases: a UPTD PPA, social service, police unit, hotline, ministry..."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. "uptd-ppa-32", "sapa-129"
    name: Mapped[str] = mapped_column(String(200))
    agency_type: Mapped[str] = mapped_column(String(24))  # cases.rules.agencies.AGENCY_TYPES
    region_code: Mapped[str] = mapped_column(String(5))  # "ID" (national), a province ("32") or regency ("32.73")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("directory_organizations.id",
                                                                   ondelete="SET NULL"))
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_agencies_type_region", "agency_type", "region_code"),)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))  # uq_cases_report
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)  # the lead agency
    origin: Mapped[str] = mapped_column(String(16))  # report, auto, walk_in, hotline
    region_code: Mapped[str | None] = mapped_column(String(5))  # the child's regency, else province
    priority: Mapped[str | None] = mapped_column(String(2))  # from the report's triage, or set at registration
    stage: Mapped[str] = mapped_column(String(24))  # cases.rules.workflow.STAGES
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))  # None: opened automatically
    opened_at: Mapped[datetime]
    first_contact_due_at: Mapped[datetime | None]
    first_contact_at: Mapped[datetime | None]
    closure_requested_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))  # the approving supervisor
    child_age_band: Mapped[str | None] = mapped_column(String(16))
    child_gender: Mapped[str | None] = mapped_column(String(16))
    contact_method: Mapped[str] = mapped_column(String(16), default="none")  # how the child may be reached
    contact_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # walk-ins; else the report's contact
    updated_at: Mapped[datetime]

    # ix_cases_updated and ix_cases_contact_due (migration 0016): the statistics refresh's change cursor.
    # uq_cases_report (migration 0019): a report has at most one case (cases/cases.py place_case_for_report).
    __table_args__ = (Index("ix_cases_agency_stage", "agency_id", "stage"), Index("ix_cases_updated", "updated_at"),
                      Index("ix_cases_contact_due", "first_contact_at", "first_contact_due_at"),
                      Index("uq_cases_report", "report_id", unique=True, sqlite_where=text("report_id IS NOT NULL"),
                            postgresql_where=text("report_id IS NOT NULL")))


class CaseConsent(Base):
    """One consent record; a change is a new row, a withdrawal sets ``withdrawn_at`` (effective at once). The
    case's consent is its newest row that is not withdrawn."""

    __tablename__ = "case_consents"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    child_assent: Mapped[bool] = mapped_column(Boolean)
    guardian_consent: Mapped[bool] = mapped_column(Boolean)  # a parent's or guardian's, where age requires it
    services: Mapped[bool] = mapped_column(Boolean)  # to receive services
    share_statement: Mapped[bool] = mapped_column(Boolean)  # may the statement go with a referral
    police: Mapped[bool] = mapped_column(Boolean)  # to report to the police
    statistics: Mapped[bool] = mapped_column(Boolean)  # use in (de-identified) statistics
    share_with: Mapped[list]  # agency codes and agency types ("type:health") the sharing covers
    withheld: Mapped[list]  # [{"from": code or "type:...", "what": "statement"|"contact"|"notes"}]; no free text
    withheld_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    legal_basis: Mapped[str] = mapped_column(String(24))  # consent, tpks_14_3, child_protection_law, court_order
    recorded_by: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    withdrawal_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class CaseStatement(Base):
    """The child's account, taken once. A second one needs ``reason_sealed`` (why it could not be avoided)."""

    __tablename__ = "case_statements"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1 for the first; the goal is that there is no 2
    body_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    language: Mapped[str] = mapped_column(String(5))
    taken_by: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    taken_by_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    taken_at: Mapped[datetime]
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class CaseNote(Base):
    """An agency's note beside the statement (or on the case); sensitive notes are never shown to analysts."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("case_statements.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    at: Mapped[datetime]
    sensitive: Mapped[bool] = mapped_column(Boolean, default=True)
    body_sealed: Mapped[bytes] = mapped_column(LargeBinary)


class CaseStep(Base):
    """A dated workflow step: registration, first contact, assessment, plan, a service, a follow-up, closure."""

    __tablename__ = "case_steps"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # cases.rules.workflow.STEP_KINDS
    status: Mapped[str] = mapped_column(String(16))  # open, done, cancelled
    due_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    done_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime]
    detail: Mapped[dict]  # codes only (risks and needs found, services planned), never free text
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_case_steps_open_due", "status", "due_at"),)


class CaseReferral(Base):
    """A referral of a case to a provider (an agency, or an organisation of the service directory) or to the
    police. It carries only what the consent allows when it is sent (``shares_statement``)."""

    __tablename__ = "case_referrals"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # services, police
    to_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    to_organization_id: Mapped[int | None] = mapped_column(ForeignKey("directory_organizations.id"))
    service_type: Mapped[str | None] = mapped_column(String(24))  # directory.rules.types.SERVICE_TYPES
    shares_statement: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))  # sent, accepted, declined, delivered, withdrawn
    sent_by: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    sent_at: Mapped[datetime]
    respond_by: Mapped[datetime | None]  # the provider's deadline to accept or decline
    responded_at: Mapped[datetime | None]
    responded_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    delivered_at: Mapped[datetime | None]
    services_delivered: Mapped[list]  # service type codes
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # why referred; a decline's reason
    evidence_referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))  # police: the package
    # migration 0012_referral_follow (cases/referrals.py): the worker's reminder and overdue marks, a decline's
    # reason apart from the sender's, and the SHA-256 of the evidence package as handed over (chain of custody)
    reminded_at: Mapped[datetime | None]
    overdue_at: Mapped[datetime | None]
    decline_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    package_sha256: Mapped[str | None] = mapped_column(String(64))
    # migration 0016_statistics_cases: when the referral last changed (every writer sets it; the statistics
    # refresh's change cursor reads it from ix_case_referrals_updated). A new row starts at its sent_at.
    updated_at: Mapped[datetime] = mapped_column(default=lambda ctx: ctx.get_current_parameters()["sent_at"])
    # migration 0017_referral_withdraw: the sender withdrew it (the receiver loses access at once), and why
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    withdraw_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_case_referrals_status_due", "status", "respond_by"),
                      Index("ix_case_referrals_updated", "updated_at"))
