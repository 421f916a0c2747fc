"""The hash list as one memory-mapped file: one copy per machine, however many processes serve.

A snapshot holds every matchable entry as of one position of the change log (``cursor``): the PDQ hashes as a
``StaticPdqIndex`` (matching/static_index.py, about 130 bytes per hash), md5/sha1/sha256/url as ``ExactKeys``
(48 bytes per entry) and, per entry, its bank and classification (13 bytes). Every array is read with
``numpy.memmap``: the pages are the operating system's page cache, shared by every process that maps the file,
and only the pages a search touches are read from disk.

- Written atomically (a temporary file in the same folder, fsync, ``os.replace``): a process that mapped the
  old file keeps it until it lets go; a reader never sees half a file.
- Checked against the database: the header names the database (a fingerprint of its URL without the
  password) and the cursor; a snapshot of another database, or one ahead of the database's change log (a
  restored backup), is not used.
- One writer per machine at a time (``fcntl.flock`` on ``<file>.lock``): the first process that needs a fresh
  snapshot builds it, the others wait and map it; the worker's tick never waits (it skips a round instead).
- Kept current by the worker (``refresh_if_changed``, every ``SAFE4C_HASHLIST_SNAPSHOT_SECONDS``) and after a
  CLI import; changes after a snapshot's cursor are applied from the change log by each matcher.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select

from safe4c.db.hashlist import HashBank
from safe4c.hashlist import sync
from safe4c.hashlist.matching.static_index import (
    ExactKeys,
    StaticPdqIndex,
    build_exact_arrays,
    build_pdq_arrays,
    exact_digest,
)
from safe4c.kernel.urls import url_match_key

MAGIC = b"S4CHLS01"
ALIGN = 4096
FORMAT = 1


def match_key(signal_type: str, value: str) -> str:
    """The one exact key of an md5/sha1/sha256/url value (canonical form): snapshots and matchers both use it."""
    return url_match_key(value) if signal_type == "url" else value


def database_fingerprint(uow) -> str:
    url = uow.session.get_bind().url.render_as_string(hide_password=True)
    return hashlib.sha256(url.encode()).hexdigest()[:32]


@dataclass
class Snapshot:
    """A hash list as of ``cursor``, in arrays (memory maps when opened from a file)."""

    header: dict
    arrays: dict[str, np.ndarray]
    path: Path | None = None
    file_id: tuple | None = None  # (inode, mtime) of the file it was mapped from

    def __post_init__(self) -> None:
        self.cursor = int(self.header["cursor"])
        self.pdq = StaticPdqIndex(self.arrays)
        self.exact = ExactKeys(self.arrays)
        self.entry_ids = self.arrays["entry_ids"]
        self.banks = {int(k): (v[0], bool(v[1])) for k, v in self.header["banks"].items()}
        self.classifications = list(self.header["classifications"])

    def __len__(self) -> int:
        return len(self.entry_ids)

    def entry(self, entry_id: int) -> tuple[int, str] | None:
        """(bank id, classification) of an entry in the snapshot, else None."""
        i = int(np.searchsorted(self.entry_ids, entry_id))
        if i < len(self.entry_ids) and int(self.entry_ids[i]) == entry_id:
            return int(self.arrays["entry_banks"][i]), self.classifications[int(self.arrays["entry_classes"][i])]
        return None

    def __contains__(self, entry_id: object) -> bool:
        return isinstance(entry_id, int) and self.entry(entry_id) is not None

    @property
    def nbytes(self) -> int:
        return sum(int(a.nbytes) for a in self.arrays.values())


def build(uow, *, only: tuple[str, str] | None = None) -> Snapshot:
    """A snapshot (in memory) of the list as the database has it now: the cursor is read first, so a change
    made during the read is applied again after it (harmless: adds are upserts, removes idempotent)."""
    header = header_for(uow, sync.current_cursor(uow=uow))
    classes: dict[str, int] = {}
    entry_ids, entry_banks, entry_classes = [], [], []
    pdq_ids, pdq_hex, exact_ids, exact_keys = [], [], [], []
    # column by column, a batch at a time (a million entries: the per-row work was a second of the build)
    for batch in sync.active_entries(uow, only=only):
        ids, types, values, bank_ids, classifications = zip(*batch)
        entry_ids.extend(ids)
        entry_banks.extend(bank_ids)
        entry_classes.extend(classes.setdefault(c, len(classes)) for c in classifications)
        if all(t == "pdq" for t in types):
            pdq_ids.extend(ids)
            pdq_hex.extend(values)
            continue
        for entry_id, signal_type, value in zip(ids, types, values):
            if signal_type == "pdq":
                pdq_ids.append(entry_id)
                pdq_hex.append(value)
            else:
                exact_ids.append(entry_id)
                exact_keys.append(exact_digest(signal_type, match_key(signal_type, value)))
    header["classifications"] = list(classes)
    return from_entries(header, entry_ids, entry_banks, entry_classes, pdq_ids, pdq_hex, exact_ids, exact_keys)


def from_entries(header, entry_ids, entry_banks, entry_classes, pdq_ids, pdq_hex, exact_ids, exact_keys) -> Snapshot:
    return _assemble(header, np.asarray(entry_ids, dtype=np.int64), np.asarray(entry_banks, dtype=np.int32),
                     np.asarray(entry_classes, dtype=np.uint8), np.asarray(pdq_ids, dtype=np.int64),
                     _pdq_vectors(pdq_hex), np.asarray(exact_ids, dtype=np.int64), _digests(exact_keys))


def _pdq_vectors(pdq_hex: list[str]) -> np.ndarray:
    return np.frombuffer(bytes.fromhex("".join(pdq_hex)), dtype=np.uint8).reshape(-1, 32)


def _digests(exact_keys: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(exact_keys), dtype=np.uint8).reshape(-1, 32)


def _assemble(header, entry_ids, entry_banks, entry_classes, pdq_ids, pdq_vectors, exact_ids, exact_digests
              ) -> Snapshot:
    order = np.argsort(entry_ids, kind="stable")
    arrays = {
        "entry_ids": entry_ids[order],
        "entry_banks": entry_banks[order],
        "entry_classes": entry_classes[order],
        **build_pdq_arrays(pdq_ids, pdq_vectors),
        **build_exact_arrays(exact_ids, exact_digests),
    }
    return Snapshot(header, arrays)


def extended(base: Snapshot, header: dict, first_id: int, types: Sequence[str], values: Sequence[str], bank_id: int,
             classification: str) -> Snapshot:
    """``base`` and new entries of one bank and classification, all matchable: ``types`` and canonical ``values``
    of ids ``first_id``, ``first_id + 1``, ..., above every id in ``base``. The same arrays as ``build`` reading
    the list back once they are in the database (rows in id order, classifications in order of first
    appearance), under the header given (its cursor, banks and database)."""
    ids = np.arange(first_id, first_id + len(types), dtype=np.int64)
    if len(base) and len(ids) and int(base.entry_ids[-1]) >= first_id:
        raise ValueError("new entries must have ids above the snapshot's")
    classes = list(base.classifications)
    if classification not in classes:
        classes.append(classification)
    if all(t == "pdq" for t in types):
        pdq_rows, pdq_hex, exact = ids, list(values), []
    else:
        is_pdq = np.fromiter((t == "pdq" for t in types), dtype=bool, count=len(types))
        pdq_rows, pdq_hex = ids[is_pdq], [v for t, v in zip(types, values) if t == "pdq"]
        exact = [(i, exact_digest(t, match_key(t, v))) for i, t, v in zip(ids.tolist(), types, values) if t != "pdq"]
    return _assemble(
        {**header, "classifications": classes},
        np.concatenate([base.entry_ids, ids]),
        np.concatenate([base.arrays["entry_banks"], np.full(len(ids), bank_id, dtype=np.int32)]),
        np.concatenate([base.arrays["entry_classes"],
                        np.full(len(ids), classes.index(classification), dtype=np.uint8)]),
        np.concatenate([base.pdq.ids, pdq_rows]),
        np.concatenate([np.asarray(base.pdq.vectors).reshape(-1, 32), _pdq_vectors(pdq_hex)]),
        np.concatenate([base.exact.ids, np.asarray([i for i, _d in exact], dtype=np.int64)]),
        np.concatenate([np.asarray(base.exact.digests).reshape(-1, 32), _digests([d for _i, d in exact])]))


def header_for(uow, cursor: int) -> dict:
    """A snapshot's header as of ``cursor``: this database, its banks (classifications are the entries')."""
    banks = {str(row.id): [row.name, bool(row.confirmed)]
             for row in uow.session.execute(select(HashBank.id, HashBank.name, HashBank.confirmed))}
    return {"format": FORMAT, "cursor": cursor, "database": database_fingerprint(uow), "banks": banks,
            "classifications": []}


# --- the file ------------------------------------------------------------------------------------------------

def write(snapshot: Snapshot, path: Path) -> None:
    """Write atomically: a temporary file next to ``path``, flushed to disk, then renamed over it."""
    layout, offset = {}, 0
    for name, array in snapshot.arrays.items():
        layout[name] = [offset, array.dtype.str, list(array.shape)]
        offset += -(-int(array.nbytes) // ALIGN) * ALIGN
    header = json.dumps({**snapshot.header, "arrays": layout}).encode()
    start = -(-(len(MAGIC) + 8 + len(header)) // ALIGN) * ALIGN
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(MAGIC + len(header).to_bytes(8, "little") + header)
            for name, array in snapshot.arrays.items():
                f.seek(start + layout[name][0])
                f.write(np.ascontiguousarray(array).tobytes())
            f.truncate(start + offset)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def file_id(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def open_file(path: Path) -> Snapshot | None:
    """Map a snapshot file; None if there is none, it is not one this version reads, or it is damaged (then
    whoever needs one writes it again)."""
    ident = file_id(path)
    try:
        with open(path, "rb") as f:
            head = f.read(len(MAGIC) + 8)
            if len(head) < len(MAGIC) + 8 or head[:len(MAGIC)] != MAGIC:
                return None
            length = int.from_bytes(head[len(MAGIC):], "little")
            header = json.loads(f.read(length))
    except (OSError, ValueError):
        return None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        return None
    start = -(-(len(MAGIC) + 8 + length) // ALIGN) * ALIGN
    arrays = {}
    try:
        for name, (offset, dtype, shape) in header.pop("arrays").items():
            if int(np.prod(shape)) == 0:
                arrays[name] = np.empty(shape, dtype=dtype)
            else:
                arrays[name] = np.memmap(path, dtype=dtype, mode="r", offset=start + offset, shape=tuple(shape))
        return Snapshot(header, arrays, path=path, file_id=ident)
    except (OSError, ValueError, KeyError, TypeError):  # damaged (cut short, say): as if there were none
        return None


class SnapshotFile:
    """The machine's snapshot file of one database's hash list."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @contextlib.contextmanager
    def locked(self, *, wait: bool = True):
        """Hold the machine's writer lock; yields True. ``wait=False``: yields False at once, without the lock,
        when another process (or another file handle in this one) holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def usable(self, uow, *, db_cursor: int | None = None) -> Snapshot | None:
        """The file's snapshot if it is of this database and not ahead of its change log."""
        snap = open_file(self.path)
        if snap is None or snap.header.get("database") != database_fingerprint(uow):
            return None
        db_cursor = sync.current_cursor(uow=uow) if db_cursor is None else db_cursor
        return snap if snap.cursor <= db_cursor else None

    def fresh(self, uow, *, max_behind: int) -> Snapshot:
        """A snapshot at most ``max_behind`` changes behind the database: the file's, or one built now (by this
        process, or by another that held the lock first)."""
        db_cursor = sync.current_cursor(uow=uow)
        snap = self.usable(uow, db_cursor=db_cursor)
        if snap is not None and db_cursor - snap.cursor <= max_behind:
            return snap
        with self.locked():
            db_cursor = sync.current_cursor(uow=uow)
            snap = self.usable(uow, db_cursor=db_cursor)
            if snap is not None and db_cursor - snap.cursor <= max_behind:
                return snap
            write(build(uow), self.path)
        return open_file(self.path)  # type: ignore[return-value]

    def base_at(self, uow, cursor: int) -> Snapshot | None:
        """The list exactly as of ``cursor`` (the database's, read under the hash list's lock, so that nothing
        can change it meanwhile): the file's snapshot if it is at that cursor, the empty list if nothing was
        ever listed; else None."""
        if cursor == 0:
            return empty()
        snap = self.usable(uow, db_cursor=cursor)
        return snap if snap is not None and snap.cursor == cursor else None

    def put(self, snapshot: Snapshot) -> bool:
        """Write ``snapshot`` (built by this process) unless the file already holds this database's list as of
        its cursor or later (another process wrote it meanwhile). True if written."""
        with self.locked():
            current = open_file(self.path)
            if current is not None and current.header.get("database") == snapshot.header["database"] and \
                    current.cursor >= snapshot.cursor:
                return False
            write(snapshot, self.path)
        return True

    def refresh_if_changed(self, uow, *, wait: bool = True) -> bool:
        """Rewrite the file if the list changed since it was written (the worker's tick). True if written.
        ``wait=False`` (the worker): if another process holds the lock (it is writing), skip this round."""
        snap = self.usable(uow)
        if snap is not None and snap.cursor == sync.current_cursor(uow=uow):
            return False
        with self.locked(wait=wait) as held:
            if not held:
                return False
            snap = self.usable(uow)
            if snap is not None and snap.cursor == sync.current_cursor(uow=uow):
                return False
            write(build(uow), self.path)
        return True


def empty() -> Snapshot:
    """The snapshot of an empty list (a matcher before its first load)."""
    return from_entries({"format": FORMAT, "cursor": 0, "database": "", "banks": {}, "classifications": []},
                        [], [], [], [], [], [], [])
