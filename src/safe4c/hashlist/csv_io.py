"""CSV import and export of a hash bank.

CSV is ``signal_type,signal_value[,tags]`` (tags separated by spaces), the shape ThreatExchange's tools use
for file exchanges; a header line, blank lines and ``#`` comments are skipped. An import is one transaction
under the hash list's lock, like every other writer (banks.py).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter

from sqlalchemy import insert, literal, select

from safe4c.db.bulk import IN_CHUNK, allocate_ids, chunks, db_value, insert_many, stream
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
from safe4c.hashlist import snapshot
from safe4c.hashlist.matching import InvalidSignal, get_signal_type
from safe4c.hashlist.snapshot import Snapshot, SnapshotFile
from safe4c.hashlist.sync import current_cursor
from safe4c.kernel import audit
from safe4c.kernel.uow import UnitOfWork

log = logging.getLogger(__name__)

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
    snapshot: Snapshot | None = None  # the list as of the import's commit (see import_csv's ``snapshots``)

    def error(self, line: int, code: str, signal_type: str | None = None) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LINE_ERRORS:
            message, params = signal_error(code, signal_type)
            self.errors.append(LineError(line, code, message, params))


def parse_csv(lines: Iterable[str], result: ImportResult) -> list[tuple[str, str, str, str, int]]:
    """Good rows as (value key, type, canonical value, tags as JSON, line); bad lines go to ``result.errors``.

    A million lines take a few seconds here, so the per-line work is kept small: a line's type cell is looked
    up as it stands (a list repeats the same few, so a cell once recognised needs no stripping or checks
    again), and each distinct tags cell is parsed once. ``lines`` keep their line ends (a file opened with
    ``newline=""``, ``io.StringIO(text, newline="")``): a quoted cell that runs over a line end keeps it, so
    a value split over two lines is refused rather than joined."""
    good: list[tuple[str, str, str, str, int]] = []
    seen: set[str] = set()
    tags_of: dict[str, str] = {}  # tags cell -> JSON: partner lists repeat the same few tag strings
    kinds: dict[str, tuple[str, Callable[[str], str]]] = {}  # type cell as written -> (type, its normaliser)
    reader = csv.reader(lines)
    first = True
    for row in reader:
        kind = kinds.get(row[0]) if row else None
        if kind is None:
            cells = [c.strip() for c in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if first and cells[0].lower() == "signal_type":
                first = False
                continue
            first = False
            if len(row) not in (2, 3):
                result.error(reader.line_num, "columns")
                continue
            try:
                signal_type = get_signal_type(cells[0].lower())
            except InvalidSignal as exc:
                result.error(reader.line_num, exc.code, cells[0].lower())
                continue
            kind = kinds[row[0]] = (signal_type.name, signal_type.normalise)
        first = False
        if len(row) not in (2, 3):
            result.error(reader.line_num, "columns")
            continue
        signal_type, normalise = kind
        try:
            value = normalise(row[1].strip())
        except InvalidSignal as exc:
            result.error(reader.line_num, exc.code, signal_type)
            continue
        raw_tags = row[2] if len(row) == 3 else ""
        tags = tags_of.get(raw_tags)
        if tags is None:
            try:
                tags = tags_of[raw_tags] = json.dumps(parse_tags(raw_tags))
            except ValueError:
                result.error(reader.line_num, "bad_tags")
                continue
        key = value_key(signal_type, value)
        if key in seen:
            result.error(reader.line_num, "duplicate")
            continue
        seen.add(key)
        good.append((key, signal_type, value, tags, reader.line_num))
    return good


def import_csv(*, uow: UnitOfWork, bank_id: int, lines: Iterable[str], classification: str = "csam",
               source: str = "partner", actor_id: int | None = None,
               snapshots: SnapshotFile | None = None) -> ImportResult:
    """Import good lines, report bad ones by line number; one transaction.

    Written in bulk (``db/bulk.py``: ``COPY`` on PostgreSQL, ``executemany`` on SQLite) with ids allocated in
    one block under the hash list's lock, and one ``add`` change per new entry: matchers see the whole import
    at its commit (a million hashes: they move to a fresh snapshot, hashlist/snapshot.py).

    With ``snapshots`` (the machine's snapshot file) and that file current when the import takes the lock, the
    list as of the import's commit is built beside it, in a thread, from that snapshot and the new entries
    while the database writes the change log: ``result.snapshot``, for the caller to write once committed."""
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
    new.sort(key=itemgetter(0))
    if new:
        table = HashEntry.__table__
        now = db_value(conn, table.c.added_at, uow.now())
        first = allocate_ids(session, table, len(new))
        # a million rows: only these five fields differ from row to row, the other eight are written once
        insert_many(conn, table, ["id", "signal_type", "value", "value_key", "tags"],
                    ((first + i, t, v, k, tags) for i, (k, t, v, tags, _line) in enumerate(new)),
                    same={"bank_id": bank_id, "source": source, "classification": classification,
                          "enabled": db_value(conn, table.c.enabled, True), "added_at": now, "added_by": actor_id,
                          "report_id": None, "updated_at": now})
        pending = _snapshot_beside(uow, snapshots, first, new, bank_id, classification) if bank.enabled else None
        if bank.enabled:
            # one "add" per new entry, written by the database from the entries just written (their ids are the
            # block allocated above), in id order: nothing for the client to send row by row
            changes = select(table.c.id, literal("add"), literal(uow.now(), type_=HashChange.__table__.c.at.type)
                             ).where(table.c.id.between(first, first + len(new) - 1)).order_by(table.c.id)
            conn.execute(insert(HashChange.__table__).from_select(["entry_id", "op", "at"], changes))
        if pending is not None:
            try:
                built = pending.result()
            except Exception:  # noqa: BLE001 - the import stands; the snapshot is built from the database instead
                log.exception("hash-list snapshot not built beside the import")
            else:
                # still under the lock: the list as of this commit
                result.snapshot = Snapshot({**built.header, "cursor": current_cursor(uow=uow)}, built.arrays)
    audit.record(uow, actor_id=actor_id, action="hashlist.import", subject_type="hash_bank", subject_id=bank_id,
                 detail={"added": result.added, "already": result.already, "errors": result.error_count})
    uow.commit()
    return result


def _snapshot_beside(uow, snapshots: SnapshotFile | None, first: int, new: list[tuple], bank_id: int,
                     classification: str) -> Future | None:
    """The list with the new entries, built in a thread from the snapshot of the list as it is now (under the
    hash list's lock), if the machine's file holds it; else None."""
    if snapshots is None or not new:
        return None
    base = snapshots.base_at(uow, current_cursor(uow=uow))  # a damaged file reads as none (snapshot.open_file)
    if base is None:
        return None
    header = snapshot.header_for(uow, base.cursor)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="safe4c-snapshot")
    try:
        return executor.submit(lambda: snapshot.extended(base, header, first, [row[1] for row in new],
                                                         [row[2] for row in new], bank_id, classification))
    finally:
        executor.shutdown(wait=False)


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


