"""CSV import and export of a hash bank.

CSV is ``signal_type,signal_value[,tags]`` (tags separated by spaces), the shape ThreatExchange's tools use
for file exchanges; a header line, blank lines and ``#`` comments are skipped. An import is one transaction
under the hash list's lock, like every other writer (banks.py).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import insert, literal, select

from safe4c.db.bulk import IN_CHUNK, allocate_ids, bulk_insert, chunks, db_value, stream
from safe4c.db.hashlist import HashChange, HashEntry
from safe4c.hashlist.banks import (
    SOURCES,
    bank_row,
    check_classification,
    lock_hashlist,
    parse_tags,
    signal_error,
    value_key,
)
from safe4c.hashlist.matching import InvalidSignal, get_signal_type
from safe4c.kernel import audit
from safe4c.kernel.uow import UnitOfWork

CSV_HEADER = "signal_type,signal_value,tags"
MAX_LINE_ERRORS = 200  # listed one by one; beyond that only counted
LOOKUP_LIMIT = 100_000  # an import larger than this reads its bank's keys whole rather than key by key


@dataclass(frozen=True)
class LineError:
    line: int
    code: str
    message: str  # msgid
    params: dict = field(default_factory=dict)


@dataclass
class ImportResult:
    added: int = 0
    already: int = 0  # the bank already held the value (enabled or not: never silently re-enabled)
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0

    def error(self, line: int, code: str, signal_type: str | None = None) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LINE_ERRORS:
            message, params = signal_error(code, signal_type)
            self.errors.append(LineError(line, code, message, params))


def parse_csv(lines: Iterable[str], result: ImportResult) -> list[tuple[str, str, str, str, int]]:
    """Good rows as (value key, type, canonical value, tags as JSON, line); bad lines go to ``result.errors``.

    A million lines take a few seconds here, so the per-line work is kept small: each signal type's
    normaliser and each distinct tags string are looked up once."""
    good: list[tuple[str, str, str, str, int]] = []
    seen: set[str] = set()
    tags_of: dict[str, str] = {}  # raw tags -> JSON: partner lists repeat the same few tag strings
    normalisers: dict[str, Callable[[str], str]] = {}
    reader = csv.reader(line.rstrip("\r\n") for line in lines)
    first = True
    for row in reader:
        line = reader.line_num
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if first and cells[0].lower() == "signal_type":
            first = False
            continue
        first = False
        if len(cells) not in (2, 3):
            result.error(line, "columns")
            continue
        signal_type = cells[0].lower()
        try:
            normalise = normalisers.get(signal_type)
            if normalise is None:
                normalise = normalisers[signal_type] = get_signal_type(signal_type).normalise
            value = normalise(cells[1])
        except InvalidSignal as exc:
            result.error(line, exc.code, signal_type)
            continue
        raw_tags = cells[2] if len(cells) == 3 else ""
        tags = tags_of.get(raw_tags)
        if tags is None:
            try:
                tags = tags_of[raw_tags] = json.dumps(parse_tags(raw_tags))
            except ValueError:
                result.error(line, "bad_tags")
                continue
        key = value_key(signal_type, value)
        if key in seen:
            result.error(line, "duplicate")
            continue
        seen.add(key)
        good.append((key, signal_type, value, tags, line))
    return good


def import_csv(*, uow: UnitOfWork, bank_id: int, lines: Iterable[str], classification: str = "csam",
               source: str = "partner", actor_id: int | None = None) -> ImportResult:
    """Import good lines, report bad ones by line number; one transaction.

    Written in bulk (``db/bulk.py``: ``COPY`` on PostgreSQL, ``executemany`` on SQLite) with ids allocated in
    one block under the hash list's lock, and one ``add`` change per new entry: matchers see the whole import
    at its commit (a million hashes: they move to a fresh snapshot, hashlist/snapshot.py)."""
    check_classification(classification)
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    result = ImportResult()
    new = parse_csv(lines, result)
    lock_hashlist(uow)
    bank = bank_row(uow, bank_id)
    session = uow.session
    conn = session.connection()
    parsed = len(new)
    if session.scalar(select(HashEntry.id).where(HashEntry.bank_id == bank_id).limit(1)) is not None:
        existing = _keys_in_bank(conn, bank_id, [row[0] for row in new])
        new = [row for row in new if row[0] not in existing]
    result.already = parsed - len(new)
    result.added = len(new)
    # in value-key order: both indexes on hash_entries are keyed by it, so they grow at their end, not at
    # random places (a million random keys would otherwise cost a disk read per row once they outgrow the cache)
    new.sort()
    if new:
        table = HashEntry.__table__
        now = db_value(conn, table.c.added_at, uow.now())
        first = allocate_ids(session, table, len(new))
        true = db_value(conn, table.c.enabled, True)
        bulk_insert(conn, table, ["id", "bank_id", "signal_type", "value", "value_key", "source", "classification",
                                  "tags", "enabled", "added_at", "added_by", "report_id", "updated_at"],
                    ((first + i, bank_id, t, v, k, source, classification, tags, true, now, actor_id, None, now)
                     for i, (k, t, v, tags, _line) in enumerate(new)))
        if bank.enabled:
            # one "add" per new entry, written by the database from the entries just written (their ids are the
            # block allocated above), in id order: nothing for the client to send row by row
            changes = select(table.c.id, literal("add"), literal(uow.now(), type_=HashChange.__table__.c.at.type)
                             ).where(table.c.id.between(first, first + len(new) - 1)).order_by(table.c.id)
            conn.execute(insert(HashChange.__table__).from_select(["entry_id", "op", "at"], changes))
    audit.record(uow, actor_id=actor_id, action="hashlist.import", subject_type="hash_bank", subject_id=bank_id,
                 detail={"added": result.added, "already": result.already, "errors": result.error_count})
    uow.commit()
    return result


def _keys_in_bank(conn, bank_id: int, keys: list[str]) -> set[str]:
    """Which of ``keys`` the bank holds already: looked up by key for an import of ordinary size (a few lines
    into a bank of millions reads a few index pages), the bank's keys read whole for a very large one."""
    if len(keys) > LOOKUP_LIMIT:
        return {row[0] for row in stream(conn, select(HashEntry.value_key).where(HashEntry.bank_id == bank_id),
                                         50_000)}
    found: set[str] = set()
    for part in chunks(keys, IN_CHUNK):
        found.update(conn.scalars(select(HashEntry.value_key).where(HashEntry.bank_id == bank_id,
                                                                    HashEntry.value_key.in_(part))))
    return found


def export_csv(*, uow: UnitOfWork, bank_id: int, actor_id: int | None = None,
               include_disabled: bool = False) -> Iterator[str]:
    """CSV lines (with a header) of a bank's enabled entries; the export is audited."""
    bank_row(uow, bank_id)
    audit.record(uow, actor_id=actor_id, action="hashlist.export", subject_type="hash_bank", subject_id=bank_id)
    uow.commit()
    query = select(HashEntry.signal_type, HashEntry.value, HashEntry.tags).where(HashEntry.bank_id == bank_id)
    if not include_disabled:
        query = query.where(HashEntry.enabled.is_(True))
    yield CSV_HEADER + "\n"
    for row in uow.session.execute(query.order_by(HashEntry.id)).yield_per(5000):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([row.signal_type, row.value, " ".join(row.tags or ())])
        yield buf.getvalue()


