"""Unit of work: one transaction, rolled back unless the use case commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from ..clock import Clock
from ..config import Settings
from ..crypto import Sealer, derive_key


@dataclass
class Context:
    """What every use case may need besides the transaction: settings, clock, keys."""

    settings: Settings
    clock: Clock
    sealer: Sealer
    followup_key: bytes

    @classmethod
    def build(cls, settings: Settings, clock: Clock) -> "Context":
        secret = settings.resolved_secret
        return cls(settings, clock, Sealer(secret), derive_key(secret, "followup-code"))


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
        bind = self._factory.kw["bind"].execution_options(readonly=True)
        return UnitOfWork(lambda: self._factory(bind=bind), self.ctx)

    def fork(self, *, clock: Clock | None = None) -> "UnitOfWork":
        """A new unit of work on the same database, optionally with another clock (demo data, back-fills)."""
        ctx = self.ctx if clock is None else Context(self.ctx.settings, clock, self.ctx.sealer, self.ctx.followup_key)
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
