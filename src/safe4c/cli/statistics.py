"""`safe4c stats refresh | recount`: bring the statistics rollups current now (after a bulk load, instead of
waiting for the worker's tick), and compare every figure with a direct recount (docs/statistics.md). Registered by
cli/__init__.py (``add_commands``)."""

from __future__ import annotations

import time

from safe4c.cli import common


def refresh_now(factory) -> None:
    """Bring the rollups current now; if a worker's refresh holds the lease, say so and wait for it."""
    from safe4c.statistics import rollups

    with factory() as uow:
        if rollups.refresh(uow, wait=False):
            return
        until = rollups.lease_until(uow)
        print("another statistics refresh is under way" + (f" (its lease runs until {until:%H:%M:%S} UTC)"
                                                            if until else "") + "; waiting for it", flush=True)
        rollups.refresh(uow)


def cmd_stats(args, settings) -> int:
    from safe4c.statistics import recount, rollups

    factory = common.uow_factory(settings)
    if args.action == "refresh":
        started = time.perf_counter()
        refresh_now(factory)
        with factory().reading() as uow:
            version, _ = rollups.version(uow)
        print(f"statistics rollups current (version {version}) in {time.perf_counter() - started:.1f} s")
        return 0
    started = time.perf_counter()
    with factory().reading() as uow:
        found = recount.differences(uow)
    for line in found:
        print(line)
    print(f"recount: {len(found)} figures differ from the raw rows ({time.perf_counter() - started:.1f} s)")
    return 1 if found else 0


def add_commands(sub) -> None:
    p = sub.add_parser("stats", help="statistics: refresh the rollups now, or recount every figure from raw rows")
    p.add_argument("action", choices=["refresh", "recount"])
    p.set_defaults(func=cmd_stats)
