"""What every command shares: the engine, units of work that refuse a wrong key, and how input errors print.

The imports inside these functions keep ``safe4c --help`` and the commands that need no database fast.
"""

from __future__ import annotations

import sys

from safe4c.kernel.settings import Settings


def engine(settings: Settings):
    from safe4c.db.session import make_engine  # for speed: SQLAlchemy only for commands that use the database

    return make_engine(settings.resolved_database_url)


def uow_factory(settings: Settings, engine_=None):
    """Units of work for a command; the command stops (exit 1) when the master key is missing or wrong."""
    from safe4c.kernel.clock import SystemClock  # for speed, as above
    from safe4c.kernel.settings import KeyProblem
    from safe4c.kernel.uow import UowFactory

    try:
        return UowFactory(engine_ or engine(settings), settings, SystemClock())
    except KeyProblem as problem:
        refuse(problem)


def refuse(problem) -> None:
    print(f"safe4c: refusing to start: {problem}", file=sys.stderr)
    raise SystemExit(1)


def print_invalid(exc) -> int:
    """One line per field a command's input got wrong (Invalid); the exit code for bad input."""
    for f in exc.fields:
        print(f"{f.field}: {f.message.format(**f.params)}", file=sys.stderr)
    return 2
