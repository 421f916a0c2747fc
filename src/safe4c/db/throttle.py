"""Tables for limits shared by every web process and replica: request counters and failed sign-ins.

Nothing here names a person or an address: keys are keyed hashes (HMAC with a key derived from the secret).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safe4c.db.tables import Base


class RateCounter(Base):
    """Requests counted per bucket (a scope and a client address) in one calendar minute."""

    __tablename__ = "rate_counters"

    # The minute first: old minutes are deleted by a range on the primary key, with no second index to keep.
    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # unix time // 60
    bucket: Mapped[str] = mapped_column(String(48), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)


class LoginFailure(Base):
    """Failed sign-ins against one account (from unrecognised devices), from one address, or with one device."""

    __tablename__ = "login_failures"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # account, address, device
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime | None]
    locked_at: Mapped[datetime | None]  # accounts only: locked for unrecognised devices until an admin unlocks

    __table_args__ = (Index("ix_login_failures_last", "last_failure_at"),)
