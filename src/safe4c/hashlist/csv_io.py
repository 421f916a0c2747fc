"""CSV import and export of a hash bank.

CSV is ``signal_type,signal_value[,tags]`` (tags separated by spaces), the shape ThreatExchange's tools use
for file exchanges; a header line, blank lines and ``#`` comments are skipped. An import is one transaction
under the hash list's lock, like every other writer (banks.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import insert, select

from safe4c.db.hashlist import HashEntry
from safe4c.hashlist.banks import (
    SOURCES,
    bank_row,
    check_classification,
    lock_hashlist,
    record_changes,
    parse_tags,
    signal_error,
    value_key,
)
from safe4c.hashlist.matching import InvalidSignal, normalise_signal
from safe4c.kernel import audit
from safe4c.kernel.uow import UnitOfWork

CSV_HEADER = "signal_type,signal_value,tags"
MAX_LINE_ERRORS = 200  # listed one by one; beyond that only counted


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


def parse_csv(lines: Iterable[str], result: ImportResult) -> list[tuple[int, str, str, list[str]]]:
    """Good rows as (line, type, canonical value, tags); bad lines go to ``result.errors``."""
    good: list[tuple[int, str, str, list[str]]] = []
    seen: set[str] = set()
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
            value = normalise_signal(signal_type, cells[1])
        except InvalidSignal as exc:
            result.error(line, exc.code, signal_type)
            continue
        try:
            tags = parse_tags(cells[2] if len(cells) == 3 else "")
        except ValueError:
            result.error(line, "bad_tags")
            continue
        key = value_key(signal_type, value)
        if key in seen:
            result.error(line, "duplicate")
            continue
        seen.add(key)
        good.append((line, signal_type, value, tags))
    return good


def import_csv(*, uow: UnitOfWork, bank_id: int, lines: Iterable[str], classification: str = "csam",
               source: str = "partner", actor_id: int | None = None) -> ImportResult:
    """Import good lines, report bad ones by line number; one transaction."""
    check_classification(classification)
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    result = ImportResult()
    rows = parse_csv(lines, result)
    lock_hashlist(uow)
    bank = bank_row(uow, bank_id)
    keys = {value_key(t, v): (t, v, tags) for _, t, v, tags in rows}
    existing: set[str] = set()
    key_list = list(keys)
    for start in range(0, len(key_list), 500):
        existing.update(uow.session.scalars(select(HashEntry.value_key).where(
            HashEntry.bank_id == bank_id, HashEntry.value_key.in_(key_list[start:start + 500]))))
    now = uow.now()
    new = [dict(bank_id=bank_id, signal_type=t, value=v, value_key=k, source=source, classification=classification,
                tags=tags, enabled=True, added_at=now, added_by=actor_id, report_id=None, updated_at=now)
           for k, (t, v, tags) in keys.items() if k not in existing]
    result.already = len(keys) - len(new)
    ids: list[int] = []
    for start in range(0, len(new), 1000):
        ids += list(uow.session.scalars(insert(HashEntry).returning(HashEntry.id), new[start:start + 1000]))
    result.added = len(ids)
    if bank.enabled:
        record_changes(uow, sorted(ids), "add")
    audit.record(uow, actor_id=actor_id, action="hashlist.import", subject_type="hash_bank", subject_id=bank_id,
                 detail={"added": result.added, "already": result.already, "errors": result.error_count})
    uow.commit()
    return result


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


