"""The tamper-evident audit log: every staff view and change, chained by SHA-256.

Each entry's hash covers its own content and the previous entry's hash, so editing or deleting
an entry breaks the chain from that point on; `safe4c audit verify` walks it.
"""

from __future__ import annotations

import hashlib
import json

from datetime import timezone

from sqlalchemy import select

from ..db import locks
from ..db.locks import advisory_xact_lock
from ..db.tables import AuditEntry
from .uow import UnitOfWork

GENESIS = "0" * 64


def _digest(prev_hash: str, at, actor_id, action, subject_type, subject_id, detail) -> str:
    body = json.dumps([prev_hash, at.astimezone(timezone.utc).isoformat(), actor_id, action, subject_type, subject_id, detail],
                      sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def record(uow: UnitOfWork, *, actor_id: int | None, action: str, subject_type: str | None = None,
           subject_id: str | int | None = None, detail: dict | None = None) -> None:
    """Append to the log inside the caller's transaction. Never put personal data in ``detail``."""
    session = uow.session
    # One writer at a time extends the chain; the lock ends with the caller's transaction.
    advisory_xact_lock(session, locks.AUDIT)
    last = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    prev_hash = last or GENESIS
    at = uow.now()
    subject = None if subject_id is None else str(subject_id)
    detail = detail or {}
    entry = AuditEntry(at=at, actor_id=actor_id, action=action, subject_type=subject_type, subject_id=subject,
                       detail=detail, prev_hash=prev_hash,
                       hash=_digest(prev_hash, at, actor_id, action, subject_type, subject, detail))
    session.add(entry)
    session.flush()


def verify(*, uow: UnitOfWork) -> tuple[bool, int, int | None]:
    """Walk the chain. Returns (intact, entries checked, id of the first broken entry)."""
    prev = GENESIS
    count = 0
    for entry in uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        expected = _digest(prev, entry.at, entry.actor_id, entry.action, entry.subject_type, entry.subject_id,
                           entry.detail)
        if entry.prev_hash != prev or entry.hash != expected:
            return False, count, entry.id
        prev = entry.hash
        count += 1
    return True, count, None
