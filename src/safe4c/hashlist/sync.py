"""The hash list's change feed: sync pages for platforms and matcher followers, and the first load.

Every change that makes an entry start or stop matching is a ``hash_changes`` row (banks.py writes them under
one lock, so sequence numbers become visible in order); a reader that has read up to N has seen every change
before N.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from safe4c.db.bulk import raw_batches
from safe4c.db.hashlist import HashBank, HashChange, HashEntry
from safe4c.kernel.signals import value_key
from safe4c.kernel.uow import UnitOfWork


@dataclass(frozen=True)
class SignalView:
    id: int
    type: str
    value: str
    bank: str
    classification: str
    tags: list


@dataclass(frozen=True)
class SyncPage:
    additions: list[SignalView]
    removals: list[SignalView]
    next_cursor: int
    has_more: bool


def current_cursor(*, uow: UnitOfWork) -> int:
    return uow.session.scalar(select(func.max(HashChange.seq))) or 0


def changes_after(uow: UnitOfWork, cursor: int, limit: int):
    """Rows (seq, op, entry id, type, value, bank id, bank name, confirmed, classification, tags) after ``cursor``."""
    return uow.session.execute(
        select(HashChange.seq, HashChange.op, HashEntry.id, HashEntry.signal_type, HashEntry.value,
               HashEntry.bank_id, HashBank.name, HashBank.confirmed, HashEntry.classification, HashEntry.tags)
        .join(HashEntry, HashEntry.id == HashChange.entry_id).join(HashBank, HashBank.id == HashEntry.bank_id)
        .where(HashChange.seq > cursor).order_by(HashChange.seq).limit(limit)
    ).all()


def sync_page(*, uow: UnitOfWork, cursor: int = 0, limit: int = 1000) -> SyncPage:
    """What changed after ``cursor``: within a page only an entry's last change counts, so each entry is in
    additions or removals, never both; pages keep the order of the log."""
    rows = changes_after(uow, cursor, limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    last: dict[int, tuple] = {}
    for row in rows:
        last.pop(row[2], None)
        last[row[2]] = row
    additions, removals = [], []
    for row in last.values():
        view = SignalView(row[2], row[3], row[4], row[6], row[8], list(row[9] or ()))
        (additions if row[1] == "add" else removals).append(view)
    return SyncPage(additions, removals, rows[-1][0] if rows else cursor, has_more)


def active_entries(uow: UnitOfWork, *, only: tuple[str, str] | None = None):
    """Batches of (id, type, value, bank id, classification) of every entry that matches now (entry and bank
    enabled), in id order, for a snapshot; with ``only=(type, canonical value)`` just the entries of that value
    (found by its value key). Plain rows streamed from the connection: a million of them read in a fraction of
    what ORM rows cost."""
    where = [HashEntry.enabled.is_(True), HashBank.enabled.is_(True)]
    if only is not None:
        where += [HashEntry.value_key == value_key(*only), HashEntry.signal_type == only[0]]
    return raw_batches(uow.session.connection(),
                  select(HashEntry.id, HashEntry.signal_type, HashEntry.value, HashEntry.bank_id,
                         HashEntry.classification)
                  .join(HashBank, HashBank.id == HashEntry.bank_id)
                  .where(*where)
                  .order_by(HashEntry.id), 10_000)

