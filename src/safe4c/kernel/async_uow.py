"""An asynchronous unit of work for the intake hot paths on PostgreSQL: a short write transaction run on the
web process's event loop, with no trip to a worker thread and no ORM.

Why: a report's transaction is a few INSERTs and a COMMIT. Run through the synchronous unit of work, most of a
web process's CPU went to handing the request to a worker thread and back (GIL hand-offs), to the ORM session
and to SQLAlchemy's per-statement machinery, not to the database (``safe4c bench intake`` prints the served rate
next to a bare loop of the same INSERTs; docs/operations.md).

What stays the same: the tables' Core statements (compiled once by SQLAlchemy's own psycopg dialect,
parameters bound by its own type processors), one transaction per report committed before the answer, and
anything unusual (a unique key clash meaning a replay) stores nothing here and is handed to the synchronous
path, which stays the one reference for those cases. What differs: the transaction is one statement in
autocommit, so it costs one round trip to the database (no BEGIN, no COMMIT of its own). SQLite has no
asynchronous driver here: there the factory is absent and the synchronous path serves every request.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql

from safe4c.kernel.settings import Settings
from safe4c.kernel.uow import Context

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
    """Statements on one pooled connection in autocommit: each statement is one transaction, committed by the
    database before it returns, so a use case writes what must be atomic in one statement (data-modifying CTEs,
    reports/intake_async.py)."""

    def __init__(self, conn: psycopg.AsyncConnection, ctx: Context):
        self.conn = conn
        self.ctx = ctx

    async def execute(self, stmt, values: dict | None = None):
        """Execute a Core statement as one transaction; returns the cursor (``await cur.fetchone()`` for
        RETURNING)."""
        values = values or {}
        p = prepared(stmt, tuple(values))
        return await self.conn.execute(p.sql, p.params(values))

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    def now(self):
        return self.ctx.clock.now()


class AsyncUowFactory:
    """Pools of asynchronous connections to the engine's PostgreSQL database, for the hot paths of one web
    process: one pool per event loop that opened one (a served app has one loop, opened in its lifespan; tests
    may run an app's lifespan on several loops at once). Where no pool was opened, ``ready`` is False and
    requests take the synchronous path."""

    def __init__(self, engine: Engine, ctx: Context, *, size: int):
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.ctx = ctx
        self.size = max(1, size)
        self._pools: dict[asyncio.AbstractEventLoop, AsyncConnectionPool] = {}

    @classmethod
    def for_engine(cls, engine: Engine, ctx: Context, *, size: int) -> "AsyncUowFactory | None":
        """A factory when the engine is PostgreSQL through psycopg; None otherwise (SQLite)."""
        if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
            return None
        return cls(engine, ctx, size=size)

    async def open(self) -> None:
        """A pool for the running event loop (the app's lifespan)."""
        # autocommit: each statement is its own transaction, committed when it returns (see AsyncUnitOfWork)
        pool = AsyncConnectionPool(self.conninfo, min_size=1, max_size=self.size, open=False,
                                   name="safe4c-intake", kwargs={"autocommit": True})
        await pool.open(wait=False)
        self._pools[asyncio.get_running_loop()] = pool

    async def close(self) -> None:
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()

    @property
    def ready(self) -> bool:
        try:
            return asyncio.get_running_loop() in self._pools
        except RuntimeError:
            return False

    @asynccontextmanager
    async def __call__(self):
        """``async with factory() as uow``: a connection from the running loop's pool, given back after (the
        pool discards a connection left broken). Not the pool's ``connection()``: that one also commits on the
        way out, which in autocommit has nothing to do and yet takes the connection's lock and a turn through
        psycopg's wait loop for every report."""
        pool = self._pools[asyncio.get_running_loop()]
        conn = await pool.getconn()
        try:
            yield AsyncUnitOfWork(conn, self.ctx)
        finally:
            await pool.putconn(conn)
