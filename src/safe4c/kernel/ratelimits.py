"""Request limits shared by every web process and replica: counters kept in the database.

A bucket is a scope (``report``, ``status``) and a keyed hash of the client's address (an IPv6 client counts
as its /64); a row counts the bucket's hits in one calendar minute. A hit is one upsert that returns the new
count, in the caller's transaction: on the intake path the count commits with the report (no extra commit, so
no extra fsync on SQLite), and a refused request rolls back and is not counted. On PostgreSQL the counter row is
locked until that commit, so intake counts just before committing. Minutes older than the previous one are
deleted by each process once a minute.

Status checks count only the look-ups that find nothing (guessed or mistyped codes): the check itself only reads
the counter, so a reporter checking a real code never writes, nor waits for SQLite's write lock.

Each process also remembers, for the rest of the minute, the buckets the database has refused: a flood from one
address is then turned away without touching the database.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from safe4c.db.throttle import RateCounter
from safe4c.kernel.addresses import bucket_address
from safe4c.kernel.i18n import N_
from safe4c.kernel.errors import RateLimited
from safe4c.kernel.uow import UnitOfWork

TEST_EVENTS_PER_MINUTE = 5  # a platform's webhook test events (takedowns/webhooks.send_test_event)

# scope -> (its limit per minute: the setting that holds it, or a fixed number; what a refused client reads,
# given the limit as {limit})
SCOPES = {
    "report": ("public_rate_limit_per_minute", RateLimited.message),
    "status": ("status_rate_limit_per_minute",
               N_("Too many status checks from your connection. Please wait a minute and try again.")),
    "webhook_test": (TEST_EVENTS_PER_MINUTE,
                     N_("Too many test events: at most {limit} a minute. Please wait a minute and try again.")),
}


def limit_of(scope: str, settings) -> int:
    """The scope's limit per minute (0 or less: no limit)."""
    source = SCOPES[scope][0]
    return source if isinstance(source, int) else getattr(settings, source)


def _refusal(scope: str, limit: int) -> RateLimited:
    return RateLimited(SCOPES[scope][1], params={"limit": limit})

_T = RateCounter.__table__


def _upsert(dialect):
    stmt = dialect.insert(_T).values(minute=bindparam("minute"), bucket=bindparam("bucket"), hits=1)
    return stmt.on_conflict_do_update(index_elements=[_T.c.minute, _T.c.bucket],
                                      set_={"hits": _T.c.hits + 1}).returning(_T.c.hits)


_UPSERT = {"sqlite": _upsert(sqlite), "postgresql": _upsert(postgresql)}
FORGET = delete(_T).where(_T.c.minute < bindparam("before"))  # parameter: before (a minute)


def hit_statement_pg(minute: str, bucket: str, limit: str):
    """One hit below the limit as a PostgreSQL statement, with its parameters named ``minute``, ``bucket`` and
    ``limit`` (to be a part of a caller's statement, as a CTE): returns the new count as ``hits``, or no row,
    counting nothing, when the bucket already has its limit (the caller then stores nothing either)."""
    stmt = postgresql.insert(_T).values(minute=bindparam(minute, type_=_T.c.minute.type),
                                        bucket=bindparam(bucket, type_=_T.c.bucket.type), hits=1)
    return stmt.on_conflict_do_update(index_elements=[_T.c.minute, _T.c.bucket], set_={"hits": _T.c.hits + 1},
                                      where=_T.c.hits < bindparam(limit, type_=_T.c.hits.type)
                                      ).returning(_T.c.hits)
_HITS = select(_T.c.hits).where(_T.c.minute == bindparam("minute"), _T.c.bucket == bindparam("bucket"))


class Limiter:
    """One per process (the web app keeps it); the counts themselves are in the database."""

    def __init__(self, *, key: bytes):
        self._key = key
        self._refused: dict[str, int] = {}  # buckets the database refused in minute self._refused_in: their limit
        self._refused_in = 0
        self._cleaned = 0  # the minute this process last deleted old counters in

    def bucket(self, scope: str, address: str) -> str:
        """The bucket of a client address (an IPv6 client counts as its /64)."""
        return self.bucket_of(scope, bucket_address(address))

    def bucket_of(self, scope: str, subject: str) -> str:
        """The bucket of anything a limit counts by (``platform:<id>``, a client address as ``bucket`` gives it)."""
        digest = hmac.new(self._key, f"{scope}|{subject}".encode(), hashlib.sha256)
        return f"{scope}:{digest.hexdigest()[:32]}"

    def refused(self, scope: str, bucket: str, *, minute: int) -> None:
        """Raise ``RateLimited`` if the database refused this bucket earlier in this minute (no database work)."""
        if minute == self._refused_in and bucket in self._refused:
            raise _refusal(scope, self._refused[bucket])

    def _remember(self, bucket: str, minute: int, limit: int) -> None:
        if minute != self._refused_in:  # a new minute: last minute's refusals no longer hold
            self._refused, self._refused_in = {}, minute
        self._refused[bucket] = limit

    def _limit(self, uow: UnitOfWork, scope: str) -> tuple[int, int]:
        """(the scope's limit, the current minute)."""
        return limit_of(scope, uow.settings), int(uow.now().timestamp()) // 60

    def _count(self, uow: UnitOfWork, bucket: str, minute: int) -> int:
        conn = uow.session.connection()
        if self.forget_due(minute):
            conn.execute(FORGET, {"before": minute - 1})
        return conn.execute(_UPSERT[conn.dialect.name], {"minute": minute, "bucket": bucket}).scalar_one()

    def hit(self, uow: UnitOfWork, *, scope: str, bucket: str) -> None:
        """Count one request in the caller's transaction; raise ``RateLimited`` (the caller rolls back) when the
        bucket already had its limit this minute. Never commits."""
        limit, minute = self._limit(uow, scope)
        if limit <= 0:
            return
        self.refused(scope, bucket, minute=minute)
        if self._count(uow, bucket, minute) > limit:
            self._remember(bucket, minute, limit)
            raise _refusal(scope, limit)

    def to_count(self, uow, *, scope: str, bucket: str) -> tuple[int, int] | None:
        """For a caller that counts the hit in a statement of its own (``hit_statement_pg``, the asynchronous
        intake path): (the minute to count it in, the limit), None when the limit is off. Raises
        ``RateLimited`` for a bucket the database refused earlier this minute; ``refuse`` when the statement
        found the bucket at its limit."""
        limit, minute = self._limit(uow, scope)
        if limit <= 0:
            return None
        self.refused(scope, bucket, minute=minute)
        return minute, limit

    def forget_due(self, minute: int) -> bool:
        """True once a minute per process: the caller then deletes older counters (``FORGET``)."""
        if minute == self._cleaned:
            return False
        self._cleaned = minute
        return True

    def refuse(self, *, scope: str, bucket: str, minute: int, limit: int) -> None:
        """Raise ``RateLimited`` for a bucket found at its limit, and remember it for the rest of the minute."""
        self._remember(bucket, minute, limit)
        raise _refusal(scope, limit)

    def check(self, uow: UnitOfWork, *, scope: str, bucket: str) -> None:
        """Raise ``RateLimited`` when the bucket already has its limit this minute, counting nothing: one read,
        fine in a read-only unit of work (requests only ``count``ed afterwards, like failed look-ups)."""
        limit, minute = self._limit(uow, scope)
        if limit <= 0:
            return
        self.refused(scope, bucket, minute=minute)
        hits = uow.session.connection().execute(_HITS, {"minute": minute, "bucket": bucket}).scalar()
        if (hits or 0) >= limit:
            self._remember(bucket, minute, limit)
            raise _refusal(scope, limit)

    def count(self, uow: UnitOfWork, *, scope: str, bucket: str) -> None:
        """Count one request that was already answered (no refusal now; ``check`` refuses the next one).
        Never commits."""
        limit, minute = self._limit(uow, scope)
        if limit > 0 and self._count(uow, bucket, minute) >= limit:
            self._remember(bucket, minute, limit)


@dataclass(frozen=True)
class Check:
    """A request to count against a limit, handed to a use case that counts it in its own transaction."""

    limiter: Limiter
    scope: str
    bucket: str

    def hit(self, uow: UnitOfWork) -> None:
        self.limiter.hit(uow, scope=self.scope, bucket=self.bucket)

    def check(self, uow: UnitOfWork) -> None:
        self.limiter.check(uow, scope=self.scope, bucket=self.bucket)

    def count(self, uow: UnitOfWork) -> None:
        self.limiter.count(uow, scope=self.scope, bucket=self.bucket)
