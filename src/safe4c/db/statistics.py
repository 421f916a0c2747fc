"""Tables of the national data centre (docs/statistics.md): rollups the dashboards and /statistik read, kept
current by the worker (statistics/rollups.py). Counts only: no report id, no personal data.

Months are calendar months in Western Indonesia Time (WIB, UTC+7), written "YYYY-MM". A month's rows are
recomputed together when that month's reports (or orders) change, found by a fingerprint per month
(``stat_partitions``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safe4c.db.tables import Base, Id


class StatReportCount(Base):
    """Reports received in a month by one dimension (province, regency, situation, platform, age band, ...)."""

    __tablename__ = "stat_report_counts"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    reports: Mapped[int] = mapped_column(BigInteger)


class StatResponse(Base):
    """Time to first action by priority, for the reports received in a month."""

    __tablename__ = "stat_response"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    priority: Mapped[str] = mapped_column(String(8), primary_key=True)  # P1..P4, or "none" (untriaged)
    reports: Mapped[int] = mapped_column(BigInteger)
    acted: Mapped[int] = mapped_column(BigInteger)  # reports with a first action by staff
    within_deadline: Mapped[int] = mapped_column(BigInteger)  # first action at or before the deadline
    action_seconds: Mapped[int] = mapped_column(BigInteger)  # sum over the acted reports


class StatTakedown(Base):
    """Takedown orders issued in a month to one platform: removal, deadlines, escalation."""

    __tablename__ = "stat_takedowns"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    platform_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    orders: Mapped[int] = mapped_column(BigInteger)
    removed: Mapped[int] = mapped_column(BigInteger)
    removed_in_time: Mapped[int] = mapped_column(BigInteger)
    missed: Mapped[int] = mapped_column(BigInteger)  # removed late, or escalated and not removed
    removal_seconds: Mapped[int] = mapped_column(BigInteger)  # sum over the removed orders
    level1: Mapped[int] = mapped_column(BigInteger)  # orders that reached escalation level 1 or more
    level2: Mapped[int] = mapped_column(BigInteger)
    level3: Mapped[int] = mapped_column(BigInteger)


class StatCaseCount(Base):
    """Cases opened and closed in a month by one dimension (``total``, ``province``, ``origin``), and the
    statements of the cases opened (migration 0016_statistics_cases). Cases whose consent refuses statistics are
    not counted (docs/statistics.md)."""

    __tablename__ = "stat_case_counts"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    opened: Mapped[int] = mapped_column(BigInteger)
    closed: Mapped[int] = mapped_column(BigInteger)  # closed in the month (whenever opened)
    with_statement: Mapped[int] = mapped_column(BigInteger)  # of the cases opened: those with a statement
    statements: Mapped[int] = mapped_column(BigInteger)  # their statements (the goal: one per case)
    more_statements: Mapped[int] = mapped_column(BigInteger)  # cases with more than one


class StatCaseContact(Base):
    """Report to first contact, by priority, for the cases opened in a month."""

    __tablename__ = "stat_case_contact"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    priority: Mapped[str] = mapped_column(String(8), primary_key=True)  # P1..P4, or "none"
    cases: Mapped[int] = mapped_column(BigInteger)  # cases opened
    contacted: Mapped[int] = mapped_column(BigInteger)  # from a report, with a first contact (timed)
    due: Mapped[int] = mapped_column(BigInteger)  # with a deadline, contacted or past it (at the refresh)
    within: Mapped[int] = mapped_column(BigInteger)  # contacted by the deadline


class StatCaseContactTime(Base):
    """How many timed first contacts took this many whole minutes: the distribution a median over any months
    is read from (a median cannot be added up month by month)."""

    __tablename__ = "stat_case_contact_times"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    priority: Mapped[str] = mapped_column(String(8), primary_key=True)
    minutes: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    cases: Mapped[int] = mapped_column(BigInteger)


class StatCaseReferral(Base):
    """Referrals sent in a month by service type, and of those the accepted, declined and completed."""

    __tablename__ = "stat_case_referrals"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    service_type: Mapped[str] = mapped_column(String(24), primary_key=True)
    made: Mapped[int] = mapped_column(BigInteger)
    accepted: Mapped[int] = mapped_column(BigInteger)
    declined: Mapped[int] = mapped_column(BigInteger)
    completed: Mapped[int] = mapped_column(BigInteger)


class StatPartition(Base):
    """The fingerprint of a month's raw rows when its rollup rows were last computed."""

    __tablename__ = "stat_partitions"

    # "reports", "takedowns" or "cases" per month; with month "*": "<source>-cursor" and "full-check"
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(120))


class StatState(Base):
    """One row: the rollups' version (raised whenever a refresh changed anything; rendered charts are cached
    per version) and when they were last brought current."""

    __tablename__ = "stat_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
    refreshed_at: Mapped[datetime | None]
    # the refresh under way (statistics/rollups.py, one at a time) and when its lease lapses if it died
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
