"""Tables for linking reports into networks (clusters) and for the analysts' workspace.

Identifiers are personal data (phones, e-mails, accounts): a report's identifier is found by a keyed hash of
its key (HMAC under a key derived from the master secret) and its value is sealed. Only the kind and the
platform or provider code are kept in the clear.

Clusters are the connected components of the graph "report - identifier", without identifiers marked as not
linking and without cut edges. ``cluster_members`` says which cluster a report is in; ``cluster_links`` says
why: each row is one report joined to an earlier report by one identifier.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safe4c.db.tables import Base, Id


class LinkIdentifier(Base):
    """One distinct identifier (a node of the graph), whatever the number of reports that carry it."""

    __tablename__ = "link_identifiers"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # HMAC-SHA256 of Identifier.key
    kind: Mapped[str] = mapped_column(String(16))
    platform: Mapped[str | None] = mapped_column(String(32))
    value_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # the key, sealed ("identifier.key")
    signal_key: Mapped[str | None] = mapped_column(String(64), index=True)  # hashlist.value_key for hashes, urls
    linking: Mapped[bool] = mapped_column(Boolean, default=True)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime]
    marked_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    marked_at: Mapped[datetime | None]
    mark_note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class ReportIdentifier(Base):
    """An identifier found in a report, and the field it came from (accounts, story, content)."""

    __tablename__ = "report_identifiers"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    identifier_id: Mapped[int] = mapped_column(ForeignKey("link_identifiers.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    cut: Mapped[bool] = mapped_column(Boolean, default=False)  # an analyst cut this report's link by it

    __table_args__ = (Index("ix_report_identifiers_identifier", "identifier_id", "report_id"),)


class Cluster(Base):
    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    size: Mapped[int] = mapped_column(Integer, default=0)
    # set when merged away: old links still lead somewhere
    merged_into: Mapped[int | None] = mapped_column(Id, ForeignKey("clusters.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    assigned_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_clusters_size", "merged_into", "size"),)


class ClusterMember(Base):
    __tablename__ = "cluster_members"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    joined_at: Mapped[datetime]


class ClusterLink(Base):
    """Why a report is in its cluster: it shares ``identifier_id`` with the earlier ``other_report_id``."""

    __tablename__ = "cluster_links"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    other_report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    identifier_id: Mapped[int] = mapped_column(ForeignKey("link_identifiers.id"))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("report_id", "identifier_id", name="uq_cluster_links_report_identifier"),)


class CutLink(Base):
    """An analyst's decision that an identifier wrongly links a report (who, when, why)."""

    __tablename__ = "cut_links"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    identifier_id: Mapped[int] = mapped_column(ForeignKey("link_identifiers.id"))
    other_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    cut_by: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    cut_at: Mapped[datetime]
    reason_sealed: Mapped[bytes] = mapped_column(LargeBinary)


class ReportAssignment(Base):
    __tablename__ = "report_assignments"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    assigned_by: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    assigned_at: Mapped[datetime]


class SavedFilter(Base):
    __tablename__ = "saved_filters"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_saved_filters_owner_name"),)


class Decision(Base):
    """An analyst's decision on a report or a cluster: who, when, why (sealed) and what it produced."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(24))  # confirm_material, takedown, refer_police, refer_child, close
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    at: Mapped[datetime]
    reason_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    detail: Mapped[dict]  # ids and counts only, never personal data


class Referral(Base):
    """A referral recorded now and handed over later: to the police (with its evidence package) or, for the
    child, to case management once that exists. ``status`` stays ``awaiting_handover`` until then."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # police, child_help
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"))
    status: Mapped[str] = mapped_column(String(24))
    consent: Mapped[bool] = mapped_column(Boolean, default=False)  # the reporter agreed to referral to services
    created_by: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime]
    package_sha256: Mapped[str | None] = mapped_column(String(64))
    package_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # the evidence package (JSON), sealed
