"""The database's record of the master key that sealed its data: a fingerprint, never the key.

``services``-free on purpose: start-up (``safe4c.keyring``) reads and writes it before any use case runs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from safe4c.db.tables import Base


class KeyFingerprint(Base):
    __tablename__ = "key_fingerprints"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # "master"
    fingerprint: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 of a constant under a derived key
    created_at: Mapped[datetime]
