"""Tables for the national hash list: banks, entries, and the change log that matchers and platforms follow.

Entries are never deleted: a false match is silenced by disabling the entry (or its bank), so the history of
what was on the list, and when, stays. ``hash_changes`` records every time an entry starts or stops being
matchable (an effective transition: entry enabled AND bank enabled), with a sequence number; serving
processes and platforms read "everything after N". Writers take one lock (services/hashlist.py), so change
rows become visible in sequence order and a reader that has seen N has seen everything before it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safe4c.db.tables import Base, Id


class HashBank(Base):
    __tablename__ = "hash_banks"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(String(500))
    # A confirmed bank holds verified child sexual abuse material: a report that matches it is raised to P1
    # and may get an urgent takedown order. Other banks (e.g. "under review") only show matches.
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    updated_at: Mapped[datetime]


class HashEntry(Base):
    __tablename__ = "hash_entries"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    # No foreign keys on this table (0021): PostgreSQL checks them row by row, most of the time an import took to
    # store its rows. Entries are written only by hashlist/banks.py and csv_io.py, under the hash list's lock,
    # after reading their bank; banks, staff users and reports are never deleted.
    # bank_id has no index of its own: the unique (bank_id, value_key) index below finds a bank's entries (0018)
    bank_id: Mapped[int] = mapped_column(Id)
    signal_type: Mapped[str] = mapped_column(String(16))  # a kernel.signals.SIGNAL_KINDS name (pdq, md5, ...)
    value: Mapped[str] = mapped_column(Text)  # canonical form (matching.normalise_signal)
    value_key: Mapped[str] = mapped_column(String(64))  # SHA-256 of "type:value": URLs are too long to index
    source: Mapped[str] = mapped_column(String(16))  # analyst (confirmed from a report) or partner (imported)
    classification: Mapped[str] = mapped_column(String(24))
    tags: Mapped[list]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime]
    added_by: Mapped[int | None] = mapped_column(Id)  # a staff user
    report_id: Mapped[int | None] = mapped_column(Id)  # the report it was confirmed from
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("bank_id", "value_key", name="uq_hash_entries_bank_value"),
        Index("ix_hash_entries_value_key", "value_key"),
    )


class HashChange(Base):
    """``op`` is ``add`` (the entry became matchable) or ``remove`` (it stopped being matchable)."""

    __tablename__ = "hash_changes"

    seq: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    # no foreign key (0018): written only beside its entry, in the same transaction, and entries are never
    # deleted; checking it cost 5 to 7 s per million changes of an import on PostgreSQL
    entry_id: Mapped[int] = mapped_column(Id)
    op: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime]
