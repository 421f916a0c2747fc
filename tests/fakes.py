"""Fakes you can read, for the rule-heavy use cases' fast tests (tests/unit/usecases).

``memory_uow_factory`` is a unit of work on an in-memory SQLite database built from the models (no file, no
server, no migration run: a few milliseconds), so a use case runs its real queries and its one commit.
``Receiver`` is a webhook endpoint that answers from a script and records what arrived. ``drain`` runs a
worker until no job is left.
"""

from __future__ import annotations

import json

from sqlalchemy import insert
from sqlalchemy.pool import StaticPool

from safe4c.db.models import Base
from safe4c.db.session import make_engine, make_session_factory
from safe4c.db.tables import AuditHead
from safe4c.kernel import audit
from safe4c.kernel.clock import FrozenClock
from safe4c.kernel.settings import Settings
from safe4c.kernel.uow import Context, UnitOfWork


class MemoryUowFactory:
    """Units of work on one in-memory database (one shared connection: StaticPool)."""

    def __init__(self, settings: Settings | None = None, clock: FrozenClock | None = None):
        self.engine = make_engine("sqlite://", poolclass=StaticPool)
        Base.metadata.create_all(self.engine)
        with self.engine.begin() as conn:  # the row the audit migration seeds (0006_audit)
            conn.execute(insert(AuditHead).values(**audit.GENESIS_HEAD))
        self.settings = settings or Settings(secret_key="test-secret-not-for-production",
                                             public_rate_limit_per_minute=0, worker_in_process=False)
        self.clock = clock or FrozenClock()
        self.sessions = make_session_factory(self.engine)
        self.ctx = Context.build(self.settings, self.clock)

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.ctx)


def memory_uow_factory(**kwargs) -> MemoryUowFactory:
    return MemoryUowFactory(**kwargs)


class Receiver:
    """A fake webhook endpoint: answers from a script (status codes or exceptions), records what arrived."""

    def __init__(self, *answers, then=200):
        self.answers, self.then = list(answers), then
        self.received: list[tuple[dict, dict, str]] = []

    def __call__(self, url, body, headers, timeout):
        answer = self.answers.pop(0) if self.answers else self.then
        if isinstance(answer, Exception):
            raise answer
        self.received.append((json.loads(body), headers, body))
        return answer


def drain(worker) -> int:
    total = 0
    while n := worker.run_once():
        total += n
    return total
