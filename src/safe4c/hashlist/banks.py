"""The national hash list: banks of entries, enable/disable without deleting (CSV in csv_io.py, the change
feed in sync.py).

Every change that makes an entry start or stop matching writes a ``hash_changes`` row in the same
transaction. Writers first take one lock (``db.locks.HASHLIST``, a PostgreSQL advisory transaction lock; on
SQLite every write transaction is already ``BEGIN IMMEDIATE``), so sequence numbers become visible in order: a matcher or a
platform that has read up to N has seen every change before N. Changes are rare (analysts, imports), so one
writer at a time costs nothing that matters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, insert, select

from safe4c.db import locks
from safe4c.db.hashlist import HashBank, HashChange, HashEntry
from safe4c.db.tables import Report
from safe4c.kernel import validation
from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.errors import Conflict, FieldError, Invalid, NotFound
from safe4c.kernel.signals import SIGNAL_TYPES, InvalidSignal, normalise_signal, value_key
from safe4c.kernel import audit
from safe4c.kernel.uow import UnitOfWork

SOURCES = ("analyst", "partner")
CLASSIFICATIONS = ("csam", "exploitation", "other")
MAX_TAGS = 10
_TAG = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,39}$")
_BANK_NAME = re.compile(r"^[\w .&()'/-]{2,100}$", re.UNICODE)

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


def parse_tags(raw: str | Iterable[str] | None) -> list[str]:
    """Tags as a sorted unique list, or ValueError."""
    words = raw.split() if isinstance(raw, str) else list(raw or ())
    tags = sorted({w.strip().lower() for w in words if w.strip()})
    if len(tags) > MAX_TAGS or not all(_TAG.match(t) for t in tags):
        raise ValueError("bad_tags")
    return tags


def lock_hashlist(uow: UnitOfWork) -> None:
    locks.advisory_xact_lock(uow.session, locks.HASHLIST)


def record_changes(uow: UnitOfWork, entry_ids: list[int], op: str) -> None:
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
    """Use case: create a bank and commit; returns its id."""
    bank_id = place_bank(uow=uow, name=name, description=description, confirmed=confirmed, actor_id=actor_id)
    uow.commit()
    return bank_id


def place_bank(*, uow: UnitOfWork, name: str, description: str | None = None, confirmed: bool = True,
               actor_id: int | None = None) -> int:
    """Write a bank and its audit entry into the caller's transaction (no commit). The hash list's lock first,
    as every writer of the list takes it before the audit's (db/locks.py ORDER): a caller that then adds entries
    (an analyst's first confirmed material) would otherwise take them the other way round and could deadlock
    with an import."""
    lock_hashlist(uow)
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


def bank_row(uow: UnitOfWork, bank_id: int) -> HashBank:
    """The bank as the database has it now: writers call this after ``lock_hashlist``, and an object the session
    loaded earlier (a page that showed the bank first) must not answer with what it read before the lock."""
    bank = uow.session.get(HashBank, bank_id, populate_existing=True)
    if bank is None:
        raise NotFound(BANK_NOT_FOUND)
    return bank


def set_bank_enabled(*, uow: UnitOfWork, bank_id: int, enabled: bool, actor_id: int | None) -> int:
    """Switch a whole bank on or off; returns how many entries started or stopped matching."""
    lock_hashlist(uow)
    bank = bank_row(uow, bank_id)
    if bank.enabled == enabled:
        return 0
    bank.enabled, bank.updated_at = enabled, uow.now()
    ids = list(uow.session.scalars(select(HashEntry.id).where(HashEntry.bank_id == bank_id,
                                                               HashEntry.enabled.is_(True)).order_by(HashEntry.id)))
    record_changes(uow, ids, "add" if enabled else "remove")
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


def check_classification(classification: str) -> None:
    error = _classification_error(classification)
    if error:
        raise Invalid([error])


def add_entry(*, uow: UnitOfWork, bank_id: int, signal_type: str, value: str, classification: str = "csam",
              tags: str | Iterable[str] = (), source: str = "analyst", actor_id: int | None = None,
              report_public_id: str | None = None) -> AddResult:
    """Use case: add one value to a bank (``put_entry``) and commit."""
    result = put_entry(uow=uow, bank_id=bank_id, signal_type=signal_type, value=value, classification=classification,
                       tags=tags, source=source, actor_id=actor_id, report_public_id=report_public_id)
    uow.commit()
    return result


def put_entry(*, uow: UnitOfWork, bank_id: int, signal_type: str, value: str, classification: str = "csam",
              tags: str | Iterable[str] = (), source: str = "analyst", actor_id: int | None = None,
              report_public_id: str | None = None) -> AddResult:
    """Add one value (normalised) to a bank in the caller's transaction (no commit); adding a value the bank
    already holds returns that entry. A value the bank holds but that was disabled is not silently switched
    back on: that is a Conflict, raised before anything is written."""
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
    lock_hashlist(uow)
    bank = bank_row(uow, bank_id)
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
        record_changes(uow, [entry.id], "add")
    audit.record(uow, actor_id=actor_id, action="hashlist.add", subject_type="hash_entry", subject_id=entry.id,
                 detail={"bank_id": bank_id, "signal_type": signal_type, "source": source,
                         **({"report_id": report_public_id} if report_public_id else {})})
    return AddResult(entry.id, True)


def set_entry_enabled(*, uow: UnitOfWork, entry_id: int, enabled: bool, actor_id: int | None) -> bool:
    """Silence a false match (or undo that) without deleting history; returns whether anything changed."""
    lock_hashlist(uow)
    entry = uow.session.get(HashEntry, entry_id)
    if entry is None:
        raise NotFound(ENTRY_NOT_FOUND)
    if entry.enabled == enabled:
        return False
    entry.enabled, entry.updated_at = enabled, uow.now()
    if bank_row(uow, entry.bank_id).enabled:
        record_changes(uow, [entry.id], "add" if enabled else "remove")
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
    bank_row(uow, bank_id)
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
