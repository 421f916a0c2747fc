"""The tamper-evident audit log: every staff view and change, in a chain keyed by a secret the database lacks.

Each entry's ``hash`` is an HMAC-SHA256, under a key derived from the master secret, over its place in the
chain (``seq``), its content and the previous entry's ``hash``. The one ``audit_head`` row names the last entry
and carries a MAC of its own; entry and head are written in the same transaction. Whoever can write to the
database but lacks the secret cannot change, remove, reorder or cut off entries without ``verify`` seeing it,
and the database itself refuses to change or delete them (migration 0006_audit). What no head inside the
database can show is the whole database put back to an earlier state of its own: against that, an operator
keeps heads elsewhere (``kept_head``, ``safe4c audit head``) and verifies against them. docs/operations.md
says what shows and what does not.

Entries from before the keyed chain (migration 0006) keep their SHA-256 chain; the first keyed entry links
to the last of them and the head counts them, so they are covered from then on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timezone

from sqlalchemy import select

from safe4c.db import locks
from safe4c.db.locks import advisory_xact_lock
from safe4c.db.tables import AuditEntry, AuditHead
from safe4c.kernel.errors import AppError
from safe4c.kernel.uow import UnitOfWork

log = logging.getLogger(__name__)

GENESIS = "0" * 64
HEAD_ID = 1
# The head of an empty log, as migration 0006 writes it (and tests restore it after emptying the tables).
GENESIS_HEAD = {"id": HEAD_ID, "seq": 0, "last_id": None, "last_mac": GENESIS, "anchor": GENESIS,
                "legacy_count": 0, "mac": None}
KEPT_HEAD_KIND = "safe4c-audit-head"


class AuditBroken(AppError):
    status = 500
    code = "audit_broken"
    message = ("The audit log failed its integrity check, so nothing more can be recorded. "
               "An administrator must run `safe4c audit verify`.")


@dataclass(frozen=True)
class Verdict:
    intact: bool
    checked: int  # entries that verified
    broken: int | None = None  # id of the first entry that does not verify, when one is to blame
    problem: str | None = None  # what is wrong, for the operator


def _canonical(values: list) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str).encode()


def _mac(key: bytes, values: list) -> str:
    return hmac.new(key, _canonical(values), hashlib.sha256).hexdigest()


def _legacy_digest(prev_hash, at, actor_id, action, subject_type, subject_id, detail) -> str:
    """The chain before 0006: public, so it shows only careless edits until the keyed chain covers it."""
    return hashlib.sha256(_canonical([prev_hash, at.astimezone(timezone.utc).isoformat(), actor_id, action,
                                      subject_type, subject_id, detail])).hexdigest()


def _entry_mac(key: bytes, seq: int, prev: str, at, actor_id, action, subject_type, subject_id, detail) -> str:
    return _mac(key, ["entry", seq, prev, at.astimezone(timezone.utc).isoformat(), actor_id, action, subject_type,
                      subject_id, detail])


def _head_mac(key: bytes, head: AuditHead) -> str:
    return _mac(key, ["head", head.seq, head.last_id, head.last_mac, head.anchor, head.legacy_count])


def _head_problem(key: bytes, head: AuditHead | None) -> str | None:
    if head is None:
        return "the audit head row is missing (the migration creates it and the database refuses to delete it)"
    if head.mac is None:
        if head.seq or head.last_id is not None or head.last_mac != head.anchor:
            return "the audit head has moved but is not sealed: it was written without the key"
        return None
    if not hmac.compare_digest(head.mac, _head_mac(key, head)):
        return ("the audit head does not match its MAC: it was altered, or this is not the key the application "
                "uses (SAFE4C_SECRET_KEY or DATA_DIR/secret.key)")
    return None


def record(uow: UnitOfWork, *, actor_id: int | None, action: str, subject_type: str | None = None,
           subject_id: str | int | None = None, detail: dict | None = None) -> None:
    """Append to the log inside the caller's transaction. Never put personal data in ``detail``."""
    session = uow.session
    # One writer at a time extends the chain; the lock ends with the caller's transaction.
    advisory_xact_lock(session, locks.AUDIT)
    head = session.get(AuditHead, HEAD_ID, populate_existing=True)
    problem = _head_problem(uow.ctx.audit_key, head)
    if not problem and head.mac is None and head.legacy_count:
        # Only `safe4c db upgrade`, right after adding the keyed chain, covers old entries (seal_old_entries):
        # sealing them here would also seal a log rewritten in the old format with its head reset.
        problem = f"{head.legacy_count} entries from before the keyed chain are not covered by it"
    if problem:
        # Every audited action now fails, loudly: carrying on would record views that no chain vouches for.
        log.error("audit log not extended: %s; run `safe4c audit verify`", problem)
        raise AuditBroken()
    _append(uow, head, actor_id=actor_id, action=action, subject_type=subject_type,
            subject=None if subject_id is None else str(subject_id), detail=detail or {})


def _append(uow: UnitOfWork, head: AuditHead, *, actor_id, action, subject_type, subject, detail) -> None:
    key, session, at, seq = uow.ctx.audit_key, uow.session, uow.now(), head.seq + 1
    mac = _entry_mac(key, seq, head.last_mac, at, actor_id, action, subject_type, subject, detail)
    entry = AuditEntry(at=at, actor_id=actor_id, action=action, subject_type=subject_type, subject_id=subject,
                       detail=detail, prev_hash=head.last_mac, hash=mac, seq=seq)
    session.add(entry)
    session.flush()  # the entry first: the database moves the head only onto an entry that exists
    head.seq, head.last_id, head.last_mac = seq, entry.id, mac
    head.mac = _head_mac(key, head)
    session.flush()


def unsealed_old_entries(session) -> int:
    """How many entries from before the keyed chain wait for the first keyed entry to cover them."""
    head = session.get(AuditHead, HEAD_ID, populate_existing=True)
    return head.legacy_count if head is not None and head.mac is None else 0


def seal_old_entries(*, uow: UnitOfWork) -> int:
    """Start the keyed chain over the entries from before it (``audit.keyed``), so they are covered from now
    on. Only right after migration 0006 has added the chain (``safe4c db upgrade`` knows): found at any
    other time, an unsealed head over old entries means the log was rewritten. Returns how many it covered."""
    advisory_xact_lock(uow.session, locks.AUDIT)
    count = unsealed_old_entries(uow.session)
    head = uow.session.get(AuditHead, HEAD_ID)
    if not count or _head_problem(uow.ctx.audit_key, head):
        return 0
    _append(uow, head, actor_id=None, action="audit.keyed", subject_type=None, subject=None,
            detail={"old_entries": count})
    uow.commit()
    return count


def _one_snapshot(session) -> None:
    """Read the head and every entry from one snapshot: under PostgreSQL's READ COMMITTED each statement would
    see appends committed meanwhile, which look like a head that was put back. (SQLite keeps one snapshot
    per transaction already.)"""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def verify(*, uow: UnitOfWork, kept: Iterable[dict] = ()) -> Verdict:
    """Walk the chain and hold it against its head and against ``kept`` heads (from ``kept_head``)."""
    session = uow.session
    _one_snapshot(session)
    key = uow.ctx.audit_key
    head = session.get(AuditHead, HEAD_ID, populate_existing=True)
    problem = _head_problem(key, head)
    if problem:
        return Verdict(False, 0, None, problem)
    kept = list(kept)
    wanted = {h.get("seq") for h in kept}
    seen: dict[int, str] = {}  # seq -> hash, for the kept heads
    prev, legacy, keyed, last_id = GENESIS, 0, 0, None
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        if entry.seq is None:
            if keyed:
                return Verdict(False, legacy + keyed, entry.id, f"entry {entry.id} has no keyed MAC but comes "
                               "after the keyed chain began: it was added or rewritten without the key")
            if entry.prev_hash != prev or entry.hash != _legacy_digest(
                    prev, entry.at, entry.actor_id, entry.action, entry.subject_type, entry.subject_id, entry.detail):
                return Verdict(False, legacy, entry.id, f"entry {entry.id} (from before the keyed chain) does not "
                               "follow the entry before it: it was changed, or one before it removed or moved")
            prev, legacy = entry.hash, legacy + 1
            continue
        if not keyed and (legacy != head.legacy_count or prev != head.anchor):
            return Verdict(False, legacy, entry.id, _legacy_problem(legacy, head))
        expected = keyed + 1
        if entry.seq != expected:
            elsewhere = session.scalar(select(AuditEntry.id).where(AuditEntry.seq == expected))
            what = (f"keyed entry #{expected} is missing (deleted)" if elsewhere is None
                    else f"entry {entry.id} (#{entry.seq}) is out of order: #{expected} is entry {elsewhere}")
            return Verdict(False, legacy + keyed, entry.id, what)
        if entry.prev_hash != prev or not hmac.compare_digest(entry.hash, _entry_mac(
                key, entry.seq, prev, entry.at, entry.actor_id, entry.action, entry.subject_type, entry.subject_id,
                entry.detail)):
            return Verdict(False, legacy + keyed, entry.id, f"entry {entry.id} (#{entry.seq}) does not match its "
                           "MAC: it was changed, or written or chained again without the key")
        if entry.seq in wanted:
            seen[entry.seq] = entry.hash
        prev, keyed, last_id = entry.hash, expected, entry.id
    checked = legacy + keyed
    if not keyed and (legacy != head.legacy_count or prev != head.anchor):
        return Verdict(False, checked, None, _legacy_problem(legacy, head))
    if keyed < head.seq:
        gone = "every keyed entry was" if not keyed else f"the newest {head.seq - keyed} were"
        return Verdict(False, checked, None, f"the head names {head.seq} keyed entries but the log holds {keyed}: "
                       f"{gone} deleted")
    if keyed > head.seq:
        return Verdict(False, checked, None, f"the log goes on past its head (#{head.seq}, the log has #{keyed}): "
                       "the head was put back")
    if prev != head.last_mac or last_id != head.last_id:
        return Verdict(False, checked, None, "the last entry is not the one the head names")
    if head.mac is None and legacy:
        return Verdict(False, checked, None, f"{legacy} entries from before the keyed chain and no keyed entry: "
                       "`safe4c db upgrade` covers them when it adds the keyed chain; found at any other time, "
                       "the log was rewritten in the old format and its head reset")
    for number, kept_head in enumerate(kept, 1):
        problem = _kept_problem(key, kept_head, head, keyed, seen)
        if problem:
            return Verdict(False, checked, None, f"kept head {number}: {problem}")
    return Verdict(True, checked)


def _legacy_problem(found: int, head: AuditHead) -> str:
    if found != head.legacy_count:
        return (f"{found} entries from before the keyed chain, but the head says {head.legacy_count}: "
                "some were deleted or added")
    return "the entries from before the keyed chain do not end where the keyed chain starts: they were rewritten"


def kept_head(*, uow: UnitOfWork) -> tuple[Verdict, dict | None]:
    """The head as one JSON-able record for an operator to keep outside the database (``safe4c audit head``),
    MACed under the audit key. Only a log that verifies gets one: (verdict, record or None)."""
    verdict = verify(uow=uow)
    if not verdict.intact:
        return verdict, None
    head = uow.session.get(AuditHead, HEAD_ID)
    body = {"kind": KEPT_HEAD_KIND, "seq": head.seq, "last_mac": head.last_mac, "anchor": head.anchor,
            "legacy_count": head.legacy_count, "entries": verdict.checked,
            "taken_at": uow.now().astimezone(timezone.utc).isoformat()}
    return verdict, {**body, "mac": _kept_mac(uow.ctx.audit_key, body)}


def _kept_mac(key: bytes, record: dict) -> str:
    return _mac(key, ["kept-head", {k: v for k, v in record.items() if k != "mac"}])


def _kept_problem(key: bytes, kept: dict, head: AuditHead, keyed: int, seen: dict[int, str]) -> str | None:
    if kept.get("kind") != KEPT_HEAD_KIND or not hmac.compare_digest(str(kept.get("mac")), _kept_mac(key, kept)):
        return "it does not match its MAC: it was altered, or it was made with another key"
    # The MAC matches, so we wrote every field below: none is missing or of the wrong type.
    taken = kept["taken_at"]
    if kept["anchor"] != head.anchor or kept["legacy_count"] != head.legacy_count:
        return f"the entries from before the keyed chain are not those of {taken}: the log was rewritten"
    if kept["seq"] > keyed:
        return (f"on {taken} the log had {kept['seq']} keyed entries, now {keyed}: the newest were deleted, or the "
                "database was put back to an earlier copy")
    if kept["seq"] and seen.get(kept["seq"]) != kept["last_mac"]:
        return f"keyed entry #{kept['seq']} is not the one of {taken}: the log was rewritten"
    return None
