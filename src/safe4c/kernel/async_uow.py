"""An asynchronous unit of work for the intake hot paths on PostgreSQL: one short write transaction run on the
web process's event loop, with no trip to a worker thread and no ORM.

Why: a report's transaction is a few INSERTs and a COMMIT. Run through the synchronous unit of work, most of a
web process's CPU went to handing the request to a worker thread and back (GIL hand-offs), to the ORM session
and to SQLAlchemy's per-statement machinery, not to the database (``safe4c bench intake`` prints the served rate
next to a bare loop of the same INSERTs; docs/operations.md).

What stays the same: the statements are the Core statements the synchronous path executes (compiled once by
SQLAlchemy's own psycopg dialect, parameters bound by its own type processors), the transaction commits before
the answer, and anything unusual (a unique key clash meaning a replay, a database error) rolls back here and is
handed to the synchronous path, which stays the one reference for those cases. SQLite has no asynchronous
driver here: there the factory is absent and the synchronous path serves every request.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql

from safe4c.kernel.settings import Settings
from safe4c.kernel.uow import Context

log = logging.getLogger(__name__)

_DIALECT = postgresql.psycopg.dialect()
_compiled: dict[tuple[int, tuple[str, ...] | None], "Prepared"] = {}


class Prepared:
    """A Core statement compiled once for psycopg: its SQL, and its parameters bound as SQLAlchemy binds them
    (literal values in the statement, JSON, UTC timestamps)."""

    def __init__(self, stmt, keys: tuple[str, ...] | None):
        self._compiled = stmt.compile(dialect=_DIALECT, column_keys=list(keys) if keys is not None else None)
        self.sql = str(self._compiled)
        self._processors = dict(self._compiled._bind_processors)

    def params(self, values: dict) -> dict:
        params = self._compiled.construct_params(values)
        for name, process in self._processors.items():
            if name in params:
                params[name] = process(params[name])
        return params


def prepared(stmt, keys=None) -> Prepared:
    """``stmt`` compiled for these column keys (an INSERT's columns), cached for the process's life: the hot
    paths' statements are module constants."""
    cache_key = (id(stmt), tuple(keys) if keys is not None else None)
    found = _compiled.get(cache_key)
    if found is None:
        found = _compiled[cache_key] = Prepared(stmt, cache_key[1])
        found.stmt = stmt  # keeps ``stmt`` alive, so its id() is never reused for another statement
    return found


class AsyncUnitOfWork:
    """One transaction on one pooled connection; rolled back unless the use case commits."""

    def __init__(self, conn: psycopg.AsyncConnection, ctx: Context):
        self.conn = conn
        self.ctx = ctx
        self.after_commit: list = []  # callables run once the commit succeeded (waking this process's workers)

    async def execute(self, stmt, values: dict | None = None):
        """Execute a Core statement; returns the cursor (``await cur.fetchone()`` for RETURNING)."""
        values = values or {}
        p = prepared(stmt, tuple(values))
        return await self.conn.execute(p.sql, p.params(values))

    async def execute_many(self, stmt, rows: list[dict]) -> None:
        """One INSERT per row, in one batch (psycopg pipelines an executemany: one round trip). A single row is
        a plain execute: entering pipeline mode costs more than the statement."""
        if len(rows) == 1:
            await self.execute(stmt, rows[0])
            return
        p = prepared(stmt, tuple(rows[0]))
        async with self.conn.cursor() as cur:
            await cur.executemany(p.sql, [p.params(row) for row in rows])

    async def commit(self) -> None:
        await self.conn.commit()
        hooks, self.after_commit = self.after_commit, []
        for hook in hooks:
            hook()

    async def rollback(self) -> None:
        self.after_commit = []
        await self.conn.rollback()

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    def now(self):
        return self.ctx.clock.now()


class AsyncUowFactory:
    """A pool of asynchronous connections to the engine's PostgreSQL database, for the hot paths of one web
    process. Opened on the process's event loop (the app's lifespan); until then, and after it is closed,
    ``ready`` is False and requests take the synchronous path."""

    def __init__(self, engine: Engine, ctx: Context, *, size: int):
        conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.ctx = ctx
        self.pool = AsyncConnectionPool(conninfo, min_size=1, max_size=max(1, size), open=False,
                                        name="safe4c-intake", kwargs={"autocommit": False})
        self.ready = False

    @classmethod
    def for_engine(cls, engine: Engine, ctx: Context, *, size: int) -> "AsyncUowFactory | None":
        """A factory when the engine is PostgreSQL through psycopg; None otherwise (SQLite)."""
        if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
            return None
        return cls(engine, ctx, size=size)

    async def open(self) -> None:
        await self.pool.open(wait=False)
        self.ready = True

    async def close(self) -> None:
        self.ready = False
        await self.pool.close()

    @asynccontextmanager
    async def __call__(self):
        """``async with factory() as uow``: a connection from the pool; an uncommitted transaction is rolled
        back when the block ends (the pool also discards a connection left broken)."""
        async with self.pool.connection() as conn:
            uow = AsyncUnitOfWork(conn, self.ctx)
            try:
                yield uow
            finally:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    try:
                        await conn.rollback()
                    except psycopg.Error:  # a broken connection: the pool discards it
                        pass
