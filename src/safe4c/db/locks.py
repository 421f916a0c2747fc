"""Named PostgreSQL advisory transaction locks: one writer at a time for the few tables that need order.

A lock is held until the transaction ends (commit or rollback); nothing to release. On SQLite every write
transaction is already ``BEGIN IMMEDIATE``, so writers are serialised and these calls do nothing.

Order: a transaction that takes more than one lock takes them in ascending key order (``LINKING`` before
``HASHLIST`` before ``AUDIT``; the audit chain is extended last, inside ``audit.record``). Two transactions
taking the same locks in the same order cannot deadlock.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

# Values are stored nowhere but must stay distinct; the numbers are historical (audit came first).
LINKING = 4244  # networks/membership.py: cluster membership
HASHLIST = 4243  # services/hashlist.py: hash_changes sequence numbers become visible in order
AUDIT = 4242  # services/audit.py: the hash chain of the audit log
STATISTICS = 4245  # statistics/rollups.py: the refresh lease and each month's write (it takes no other lock)

# Ascending order of acquisition, first to last.
ORDER = (STATISTICS, LINKING, HASHLIST, AUDIT)


def advisory_xact_lock(session: Session, key: int) -> None:
    """Take the named lock for the rest of ``session``'s transaction (PostgreSQL); no-op on SQLite."""
    if key not in ORDER:
        raise ValueError(f"unknown advisory lock {key}: name it in safe4c.db.locks")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(key)))
