"""Unit of work: one transaction, rolled back unless the use case commits."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from safe4c.kernel.clock import Clock
from safe4c.kernel.settings import Settings
from safe4c.kernel.crypto import Sealer, derive_key
from safe4c.kernel.keys import open_secret
from safe4c.db.session import make_session_factory


@dataclass
class Context:
    """What every use case may need besides the transaction: settings, clock, keys."""

    settings: Settings
    clock: Clock
    sealer: Sealer
    followup_key: bytes
    audit_key: bytes  # the audit chain's MACs (services/audit.py)

    @classmethod
    def build(cls, settings: Settings, clock: Clock, *, secret: bytes | None = None) -> "Context":
        """``secret``: the master key as ``safe4c.kernel.keys`` checked it against the database (else as configured)."""
        secret = secret if secret is not None else settings.resolved_secret
        return cls(settings, clock, Sealer(secret), derive_key(secret, "followup-code"),
                   derive_key(secret, "audit-chain"))


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker, ctx: Context):
        self._factory = session_factory
        self.ctx = ctx
        self.session: Session | None = None

    def __enter__(self) -> "UnitOfWork":
        self.session = self._factory()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self.session = None

    def reading(self) -> "UnitOfWork":
        """The same unit of work for reading only: on SQLite it takes no write lock (never commit in it)."""
        return UnitOfWork(_reading_factory(self._factory), self.ctx)

    def fork(self, *, clock: Clock | None = None) -> "UnitOfWork":
        """A new unit of work on the same database, optionally with another clock (demo data, back-fills)."""
        ctx = self.ctx if clock is None else replace(self.ctx, clock=clock)
        return UnitOfWork(self._factory, ctx)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    # shortcuts used by every use case
    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    def now(self):
        return self.ctx.clock.now()


def _reading_factory(factory: sessionmaker) -> sessionmaker:
    """The read-only twin of a session factory, built on first use and kept on the factory: reading() runs
    on every status lookup and health check, and building an option engine each time is wasted work."""
    twin = getattr(factory, "_safe4c_reading", None)
    if twin is None:
        twin = sessionmaker(class_=factory.class_,
                            **{**factory.kw, "bind": factory.kw["bind"].execution_options(readonly=True)})
        factory._safe4c_reading = twin
    return twin


class UowFactory:
    """Fresh units of work on one engine: what the web app, the CLI and the tests call ``uow_factory()``."""

    def __init__(self, engine: Engine, settings: Settings, clock: Clock):
        """Raises ``KeyProblem`` when the master key is missing or is not the key that sealed this database."""
        self.sessions = make_session_factory(engine)
        self.ctx = Context.build(settings, clock, secret=open_secret(settings, engine))

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.ctx)
