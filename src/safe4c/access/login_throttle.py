"""Failed staff sign-ins, counted in the database (so every process and replica sees the same counts).

The scheme is OWASP's (Authentication cheat sheet: throttle per account and per address; "slow down online
guessing attacks with device cookies"):

- A browser that signed in to an account gets a signed device cookie for it. A try that presents a valid one
  for the account it names is a *recognised device*: it is counted against that device only.
- Any other try is counted against the account name and against the client's address. After a few failures
  each further try waits (2 s, doubling, up to 15 min), per account and per address: one address cannot try
  more than a handful of passwords an hour against all accounts together, and many addresses cannot try more
  than that against one account.
- After ``login_lock_failures`` such failures the account is locked *for unrecognised devices* until an
  administrator unlocks it. Its own staff member, on a device they signed in on before, still signs in: an
  attacker who knows every username can lock new devices out, but nobody out of their own browser. A device
  that itself fails that often is no longer recognised.
- An unknown name is counted exactly like a real one, so waits and locks say nothing about which names exist.

Every counter is a keyed hash (HMAC with a key derived from the secret): no name, address or cookie is stored.
A try is charged *before* the password is checked and refunded if it was right, so a burst of simultaneous
tries cannot all slip in before the first failure is written.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Sequence

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from safe4c.kernel.crypto import derive_key
from safe4c.db.throttle import LoginFailure
from safe4c.kernel.addresses import bucket_address
from safe4c.kernel.i18n import N_
from safe4c.access.rules.throttle import Policy
from safe4c.kernel.errors import AppError
from safe4c.kernel.uow import UnitOfWork

ACCOUNT, ADDRESS, DEVICE = "account", "address", "device"
MAX_DEVICE_TOKENS = 5  # accounts remembered by one browser (a shared office computer)
_T = LoginFailure.__table__


class SignInWait(AppError):
    status = 429
    code = "sign_in_wait"
    message = N_("Too many failed sign-ins. Wait {seconds} seconds, then try again.")


class AccountLocked(AppError):
    status = 429
    code = "account_locked"
    message = N_("This account is locked after too many failed sign-ins from devices it has not used before. "
                 "Sign in on a device you used before, or ask an administrator to unlock it.")


WAIT_MINUTES = N_("Too many failed sign-ins. Wait {minutes} minutes, then try again.")


@dataclass(frozen=True)
class Attempt:
    """A try that was let through and charged to these counters."""

    charged: tuple[tuple[str, str], ...]
    locks: bool  # a failure now locks the account


@lru_cache(maxsize=4)
def _key(secret: bytes) -> bytes:
    return derive_key(secret, "login-throttle")


def _hash(uow: UnitOfWork, kind: str, value: str) -> str:
    return hmac.new(_key(uow.settings.resolved_secret), f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _device_mac(uow: UnitOfWork, name: str, nonce: str) -> str:
    return _hash(uow, "device-cookie", f"{name}|{nonce}")


def device_tokens(uow: UnitOfWork, *, name: str, tokens: Sequence[str]) -> list[str]:
    """The device cookie's tokens after ``name`` signed in: this account's token first (kept if the browser had
    one, so the device stays the same), then the other accounts' tokens this browser holds."""
    mine = next((t for t in tokens if _device_nonce(uow, name, t)), None)
    if mine is None:
        nonce = secrets.token_urlsafe(12)
        mine = f"{nonce}.{_device_mac(uow, name, nonce)}"
    return [mine, *[t for t in tokens if t != mine]][:MAX_DEVICE_TOKENS]


def _device_nonce(uow: UnitOfWork, name: str, token: str) -> str | None:
    nonce, _, mac = token.partition(".")
    if nonce and len(token) <= 100 and hmac.compare_digest(_device_mac(uow, name, nonce), mac):
        return nonce
    return None


def _ensure_and_lock(uow: UnitOfWork, keys: list[tuple[str, str]],
                     now: datetime) -> dict[tuple[str, str], LoginFailure]:
    """The counters for ``keys``, created when missing, locked for this transaction (PostgreSQL; SQLite's
    BEGIN IMMEDIATE already serialises writers)."""
    conn = uow.session.connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(_T).on_conflict_do_nothing(),
                 [dict(kind=k, key=v, failures=0, last_failure_at=now, locked_at=None) for k, v in keys])
    # Locked in one order (kind, key) by every transaction, so two tries never wait on each other in a cycle.
    rows = uow.session.scalars(select(LoginFailure).where(
        or_(*[and_(LoginFailure.kind == k, LoginFailure.key == v) for k, v in keys]))
        .order_by(LoginFailure.kind, LoginFailure.key).with_for_update())
    return {(r.kind, r.key): r for r in rows}


def begin(*, uow: UnitOfWork, name: str, address: str | None, devices: Sequence[str] = ()) -> Attempt:
    """Let a sign-in try through and charge it as a failure, or raise ``SignInWait`` / ``AccountLocked``.
    Commits (the password is checked afterwards, outside any transaction)."""
    policy = Policy.from_settings(uow.settings)
    now = uow.now()
    _forget_old(uow, policy, now)
    device = next((n for n in (_device_nonce(uow, name, t) for t in devices) if n), None)
    keys = []
    if device is not None:
        keys = [(DEVICE, _hash(uow, DEVICE, device))]
        rows = _ensure_and_lock(uow, keys, now)
        row = rows[keys[0]]
        if policy.locks(0 if policy.forgotten(row.last_failure_at, None, now) else row.failures):
            keys = []  # this device failed too often itself: it is not recognised any more
    if not keys:
        keys = [(ACCOUNT, _hash(uow, ACCOUNT, name))]
        if address:
            keys.append((ADDRESS, _hash(uow, ADDRESS, bucket_address(address))))
        rows = _ensure_and_lock(uow, keys, now)
        if rows[keys[0]].locked_at is not None:
            uow.commit()
            raise AccountLocked()
    counts = {k: 0 if policy.forgotten(rows[k].last_failure_at, rows[k].locked_at, now) else rows[k].failures
              for k in keys}
    wait = max(policy.wait(counts[k], rows[k].last_failure_at, now) for k in keys)
    if wait:
        uow.commit()  # the counters created above; nothing charged
        if wait > 90:
            raise SignInWait(WAIT_MINUTES, params={"minutes": -(-wait // 60), "seconds": wait})
        raise SignInWait(params={"seconds": wait})
    locks = False
    for k in keys:
        rows[k].failures = counts[k] + 1
        rows[k].last_failure_at = now
        if k[0] == ACCOUNT and policy.locks(rows[k].failures):
            rows[k].locked_at, locks = now, True
    uow.commit()
    return Attempt(tuple(keys), locks)


def succeeded(uow: UnitOfWork, attempt: Attempt) -> None:
    """The password was right: an account's or device's failures are forgotten, the address gets its try
    back (an address's count only falls by its own successes, never to zero: an attacker holding one account
    cannot wipe the failures made against others). The caller commits."""
    for kind, key in attempt.charged:
        where = and_(_T.c.kind == kind, _T.c.key == key)
        if kind == ADDRESS:
            uow.session.execute(update(_T).where(where).values(
                failures=case((_T.c.failures > 0, _T.c.failures - 1), else_=0)))
        else:
            uow.session.execute(delete(_T).where(where))


# Rows are forgotten in bulk at most this often per process; a row older than the memory is ignored anyway.
_last_forget: list[datetime] = []


def _forget_old(uow: UnitOfWork, policy: Policy, now: datetime) -> None:
    if _last_forget and now - _last_forget[0] < policy.memory / 24:
        return
    _last_forget[:] = [now]
    uow.session.execute(delete(_T).where(_T.c.locked_at.is_(None), _T.c.last_failure_at < now - policy.memory))


def account_key(uow: UnitOfWork, name: str) -> str:
    return _hash(uow, ACCOUNT, name)


def locked_since(uow: UnitOfWork, names: Sequence[str]) -> dict[str, datetime]:
    """When each of these accounts was locked for unrecognised devices (only the locked ones)."""
    by_key = {account_key(uow, n): n for n in names}
    if not by_key:
        return {}
    rows = uow.session.execute(select(_T.c.key, _T.c.locked_at).where(
        _T.c.kind == ACCOUNT, _T.c.key.in_(list(by_key)), _T.c.locked_at.is_not(None)))
    return {by_key[r.key]: r.locked_at for r in rows}


def unlock(uow: UnitOfWork, name: str) -> bool:
    """Lift an account's lock and forget its failures; True if it was locked. The caller audits and commits."""
    key = account_key(uow, name)
    locked = uow.session.scalar(select(_T.c.locked_at).where(_T.c.kind == ACCOUNT, _T.c.key == key))
    uow.session.execute(delete(_T).where(_T.c.kind == ACCOUNT, _T.c.key == key))
    return locked is not None
