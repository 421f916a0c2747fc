"""The national hash list: banks of entries, enable/disable without deleting, CSV import/export, sync pages.

Every change that makes an entry start or stop matching writes a ``hash_changes`` row in the same
transaction. Writers first take one lock (``db.locks.HASHLIST``, a PostgreSQL advisory transaction lock; on
SQLite every write transaction is already ``BEGIN IMMEDIATE``), so sequence numbers become visible in order: a matcher or a
platform that has read up to N has seen every change before N. Changes are rare (analysts, imports), so one
writer at a time costs nothing that matters.

CSV is ``signal_type,signal_value[,tags]`` (tags separated by spaces), the shape ThreatExchange's tools use
for file exchanges; a header line, blank lines and ``#`` comments are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import case, func, insert, select

from safe4c.db import locks
from safe4c.db.hashlist import HashBank, HashChange, HashEntry
from safe4c.db.tables import Report
from safe4c.kernel import validation
from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.urls import url_match_key
from safe4c.kernel.errors import Conflict, FieldError, Invalid, NotFound
from safe4c.kernel.signals import SIGNAL_TYPES, InvalidSignal, normalise_signal
from safe4c.kernel import audit
from safe4c.kernel.uow import UnitOfWork

SOURCES = ("analyst", "partner")
CLASSIFICATIONS = ("csam", "exploitation", "other")
MAX_TAGS = 10
MAX_LINE_ERRORS = 200  # listed one by one; beyond that only counted
_TAG = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,39}$")
_BANK_NAME = re.compile(r"^[\w .&()'/-]{2,100}$", re.UNICODE)
CSV_HEADER = "signal_type,signal_value,tags"

BANK_NOT_FOUND = N_("We could not find this hash bank.")
ENTRY_NOT_FOUND = N_("We could not find this hash list entry.")

# Why a value was refused (matching.InvalidSignal codes and our own), for API items and CSV lines.
SIGNAL_ERROR_MESSAGES = {
    "empty": N_("The value is empty."),
    "bad_hex": N_("The value must be hexadecimal (0-9, a-f)."),
    "wrong_length": N_("A {signal_type} value has {length} hexadecimal characters."),
    "unknown_type": N_("Unknown signal type: use pdq, md5, sha1, sha256 or url."),
    "bad_url": N_("This is not a valid web address."),
    "unsupported_scheme": N_("Only http and https addresses can be listed."),
    "too_long": N_("The web address is too long."),
    "bad_quality": N_("quality must be a whole number from 0 to 100."),
    "not_an_object": N_("Each item must be a JSON object with type and value."),
    "columns": N_("A line needs 2 or 3 columns: signal_type,signal_value[,tags]."),
    "bad_tags": N_("Tags are up to 10 words of lower-case letters, digits and _ . : - separated by spaces."),
    "duplicate": N_("This value appears earlier in the file."),
}


def signal_error(code: str, signal_type: str | None = None) -> tuple[str, dict]:
    """(msgid, params) for an error code; translate at the edge."""
    message = SIGNAL_ERROR_MESSAGES.get(code, validation.FALLBACK)
    params = {}
    if code == "wrong_length":
        params = {"signal_type": signal_type, "length": getattr(SIGNAL_TYPES.get(signal_type), "hex_length", "?")}
    return message, params


def value_key(signal_type: str, value: str) -> str:
    """The key an entry is stored, deduplicated and looked up by (``value`` in canonical form). URLs go through
    ``domain.urls.url_match_key``, so http and https links share one key."""
    if signal_type == "url":
        value = url_match_key(value)
    return hashlib.sha256(f"{signal_type}:{value}".encode()).hexdigest()


def parse_tags(raw: str | Iterable[str] | None) -> list[str]:
    """Tags as a sorted unique list, or ValueError."""
    words = raw.split() if isinstance(raw, str) else list(raw or ())
    tags = sorted({w.strip().lower() for w in words if w.strip()})
    if len(tags) > MAX_TAGS or not all(_TAG.match(t) for t in tags):
        raise ValueError("bad_tags")
    return tags


def _lock(uow: UnitOfWork) -> None:
    locks.advisory_xact_lock(uow.session, locks.HASHLIST)


def _record_changes(uow: UnitOfWork, entry_ids: list[int], op: str) -> None:
    if entry_ids:
        now = uow.now()
        uow.session.execute(insert(HashChange), [{"entry_id": i, "op": op, "at": now} for i in entry_ids])


# --- banks ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BankView:
    id: int
    name: str
    description: str | None
    confirmed: bool
    enabled: bool
    entries: int
    active: int  # enabled entries (they match when the bank is enabled)
    created_at: object


def create_bank(*, uow: UnitOfWork, name: str, description: str | None = None, confirmed: bool = True,
                actor_id: int | None = None) -> int:
    name = (name or "").strip()
    description = (description or "").strip() or None
    errors = []
    if not _BANK_NAME.match(name):
        errors.append(FieldError("name", N_("Use 2 to 100 letters, digits, spaces or . & ( ) ' / -")))
    if description and len(description) > 500:
        errors.append(FieldError("description", validation.MESSAGES["string_too_long"], {"max_length": 500}))
    if errors:
        raise Invalid(errors)
    if uow.session.scalar(select(HashBank.id).where(HashBank.name == name)) is not None:
        raise Invalid([FieldError("name", N_("A hash bank with this name already exists."))])
    now = uow.now()
    bank = HashBank(name=name, description=description, confirmed=confirmed, enabled=True, created_at=now,
                    created_by=actor_id, updated_at=now)
    uow.session.add(bank)
    uow.session.flush()
    audit.record(uow, actor_id=actor_id, action="hashlist.bank_create", subject_type="hash_bank", subject_id=bank.id,
                 detail={"confirmed": confirmed})
    uow.commit()
    return bank.id


def _bank_views(uow: UnitOfWork, bank_id: int | None = None) -> list[BankView]:
    """Banks with their entry counts, by name; with ``bank_id`` only that bank is read and counted."""
    banks = select(HashBank).order_by(HashBank.name)
    counted = (select(HashEntry.bank_id, func.count().label("total"),
                      func.sum(case((HashEntry.enabled.is_(True), 1), else_=0)).label("active"))
               .group_by(HashEntry.bank_id))
    if bank_id is not None:
        banks, counted = banks.where(HashBank.id == bank_id), counted.where(HashEntry.bank_id == bank_id)
    counts = {row.bank_id: (row.total, row.active or 0) for row in uow.session.execute(counted)}
    return [BankView(b.id, b.name, b.description, b.confirmed, b.enabled, *counts.get(b.id, (0, 0)), b.created_at)
            for b in uow.session.scalars(banks)]


def list_banks(*, uow: UnitOfWork) -> list[BankView]:
    return _bank_views(uow)


def get_bank(*, uow: UnitOfWork, bank_id: int) -> BankView:
    """One bank with its counts (only its own entries are counted)."""
    found = _bank_views(uow, bank_id)
    if not found:
        raise NotFound(BANK_NOT_FOUND)
    return found[0]


def enabled_bank_choices(*, uow: UnitOfWork) -> list:
    """Rows with ``id`` and ``name`` of the enabled banks, by name: for pickers, which need no counts."""
    return list(uow.session.execute(
        select(HashBank.id, HashBank.name).where(HashBank.enabled.is_(True)).order_by(HashBank.name)))


def bank_id_by_name(*, uow: UnitOfWork, name: str) -> int:
    found = uow.session.scalar(select(HashBank.id).where(HashBank.name == (name or "").strip()))
    if found is None:
        raise NotFound(BANK_NOT_FOUND)
    return found


def _bank(uow: UnitOfWork, bank_id: int) -> HashBank:
    """The bank as the database has it now: writers call this after ``_lock``, and an object the session
    loaded earlier (a page that showed the bank first) must not answer with what it read before the lock."""
    bank = uow.session.get(HashBank, bank_id, populate_existing=True)
    if bank is None:
        raise NotFound(BANK_NOT_FOUND)
    return bank


def set_bank_enabled(*, uow: UnitOfWork, bank_id: int, enabled: bool, actor_id: int | None) -> int:
    """Switch a whole bank on or off; returns how many entries started or stopped matching."""
    _lock(uow)
    bank = _bank(uow, bank_id)
    if bank.enabled == enabled:
        return 0
    bank.enabled, bank.updated_at = enabled, uow.now()
    ids = list(uow.session.scalars(select(HashEntry.id).where(HashEntry.bank_id == bank_id,
                                                               HashEntry.enabled.is_(True)).order_by(HashEntry.id)))
    _record_changes(uow, ids, "add" if enabled else "remove")
    audit.record(uow, actor_id=actor_id, action="hashlist.bank_enable" if enabled else "hashlist.bank_disable",
                 subject_type="hash_bank", subject_id=bank_id, detail={"entries": len(ids)})
    uow.commit()
    return len(ids)


# --- entries --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AddResult:
    entry_id: int
    created: bool


def _classification_error(classification: str) -> FieldError | None:
    if classification not in CLASSIFICATIONS:
        return FieldError("classification", validation.MESSAGES["literal_error"])
    return None


def _check_classification(classification: str) -> None:
    error = _classification_error(classification)
    if error:
        raise Invalid([error])


def add_entry(*, uow: UnitOfWork, bank_id: int, signal_type: str, value: str, classification: str = "csam",
              tags: str | Iterable[str] = (), source: str = "analyst", actor_id: int | None = None,
              report_public_id: str | None = None) -> AddResult:
    """Add one value (normalised) to a bank; adding a value the bank already holds returns that entry.
    A value the bank holds but that was disabled is not silently switched back on: that is a Conflict."""
    errors = []
    try:
        canonical = normalise_signal(signal_type, value)
    except InvalidSignal as exc:
        message, params = signal_error(exc.code, signal_type)
        errors.append(FieldError("signal_type" if exc.code == "unknown_type" else "value", message, params))
    try:
        tag_list = parse_tags(tags)
    except ValueError:
        errors.append(FieldError("tags", SIGNAL_ERROR_MESSAGES["bad_tags"]))
    if error := _classification_error(classification):
        errors.append(error)
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    report_row_id = None
    if report_public_id:
        report_row_id = uow.session.scalar(select(Report.id).where(Report.public_id == report_public_id))
        if report_row_id is None:
            errors.append(FieldError("report_id", N_("There is no report with this id.")))
    if errors:
        raise Invalid(errors)
    _lock(uow)
    bank = _bank(uow, bank_id)
    key = value_key(signal_type, canonical)
    existing = uow.session.scalar(select(HashEntry).where(HashEntry.bank_id == bank_id, HashEntry.value_key == key))
    if existing is not None:
        if not existing.enabled:
            raise Conflict(N_("This value is already in the bank but disabled. Enable it on the hash list page if "
                              "the earlier decision was wrong."))
        return AddResult(existing.id, False)
    now = uow.now()
    entry = HashEntry(bank_id=bank_id, signal_type=signal_type, value=canonical, value_key=key, source=source,
                      classification=classification, tags=tag_list, enabled=True, added_at=now, added_by=actor_id,
                      report_id=report_row_id, updated_at=now)
    uow.session.add(entry)
    uow.session.flush()
    if bank.enabled:
        _record_changes(uow, [entry.id], "add")
    audit.record(uow, actor_id=actor_id, action="hashlist.add", subject_type="hash_entry", subject_id=entry.id,
                 detail={"bank_id": bank_id, "signal_type": signal_type, "source": source,
                         **({"report_id": report_public_id} if report_public_id else {})})
    uow.commit()
    return AddResult(entry.id, True)


def set_entry_enabled(*, uow: UnitOfWork, entry_id: int, enabled: bool, actor_id: int | None) -> bool:
    """Silence a false match (or undo that) without deleting history; returns whether anything changed."""
    _lock(uow)
    entry = uow.session.get(HashEntry, entry_id)
    if entry is None:
        raise NotFound(ENTRY_NOT_FOUND)
    if entry.enabled == enabled:
        return False
    entry.enabled, entry.updated_at = enabled, uow.now()
    if _bank(uow, entry.bank_id).enabled:
        _record_changes(uow, [entry.id], "add" if enabled else "remove")
    audit.record(uow, actor_id=actor_id, action="hashlist.enable" if enabled else "hashlist.disable",
                 subject_type="hash_entry", subject_id=entry.id, detail={"bank_id": entry.bank_id})
    uow.commit()
    return True


@dataclass(frozen=True)
class EntryView:
    id: int
    bank_id: int
    signal_type: str
    value: str
    source: str
    classification: str
    tags: list
    enabled: bool
    added_at: object
    report_public_id: str | None


@dataclass(frozen=True)
class EntriesPage:
    items: list[EntryView]
    page: int
    pages: int
    total: int


def list_entries(*, uow: UnitOfWork, bank_id: int, page: int = 1, per_page: int = 50,
                 signal_type: str | None = None, enabled: bool | None = None) -> EntriesPage:
    _bank(uow, bank_id)
    where = [HashEntry.bank_id == bank_id]
    if signal_type in SIGNAL_TYPES:
        where.append(HashEntry.signal_type == signal_type)
    if enabled is not None:
        where.append(HashEntry.enabled.is_(enabled))
    total = uow.session.scalar(select(func.count()).select_from(HashEntry).where(*where))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = uow.session.execute(
        select(HashEntry, Report.public_id).outerjoin(Report, Report.id == HashEntry.report_id).where(*where)
        .order_by(HashEntry.id.desc()).limit(per_page).offset((page - 1) * per_page))
    items = [EntryView(e.id, e.bank_id, e.signal_type, e.value, e.source, e.classification, list(e.tags or ()),
                       e.enabled, e.added_at, public_id) for e, public_id in rows]
    return EntriesPage(items, page, pages, total)


# --- CSV import and export ------------------------------------------------------------------------------

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
    _check_classification(classification)
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    result = ImportResult()
    rows = parse_csv(lines, result)
    _lock(uow)
    bank = _bank(uow, bank_id)
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
        _record_changes(uow, sorted(ids), "add")
    audit.record(uow, actor_id=actor_id, action="hashlist.import", subject_type="hash_bank", subject_id=bank_id,
                 detail={"added": result.added, "already": result.already, "errors": result.error_count})
    uow.commit()
    return result


def export_csv(*, uow: UnitOfWork, bank_id: int, actor_id: int | None = None,
               include_disabled: bool = False) -> Iterator[str]:
    """CSV lines (with a header) of a bank's enabled entries; the export is audited."""
    _bank(uow, bank_id)
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


# --- the change log: sync pages for platforms and matcher followers ------------------------------------

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
    """Every entry that matches now (entry and bank enabled), for a matcher's first load; with
    ``only=(type, canonical value)`` just the entries of that value (found by its value key)."""
    where = [HashEntry.enabled.is_(True), HashBank.enabled.is_(True)]
    if only is not None:
        where += [HashEntry.value_key == value_key(*only), HashEntry.signal_type == only[0]]
    return uow.session.execute(
        select(HashEntry.id, HashEntry.signal_type, HashEntry.value, HashEntry.bank_id, HashBank.name,
               HashBank.confirmed, HashEntry.classification)
        .join(HashBank, HashBank.id == HashEntry.bank_id)
        .where(*where)
        .order_by(HashEntry.id)
    ).yield_per(10000)

