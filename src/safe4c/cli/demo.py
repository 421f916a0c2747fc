"""`safe4c demo`: the demo data of `make run` (``--count``), or synthetic reports at scale (``--reports N``,
docs/operations.md). Registered by cli/__init__.py (``add_commands``)."""

from __future__ import annotations

import sys

from safe4c.cli import agency as agency_commands, common, directory as directory_commands


def cmd_demo(args, settings) -> int:
    from safe4c.demo.reports import ensure_demo_user, load_demo
    from safe4c.demo.platforms import DEMO_PLATFORMS, load_demo_platforms

    factory = common.uow_factory(settings)
    if args.reports is not None:
        return _demo_bulk(args, factory)
    added = load_demo(uow_factory=factory, count=args.count, if_empty=args.if_empty)
    username, password = ensure_demo_user(uow_factory=factory)
    orders = load_demo_platforms(uow_factory=factory)
    print(f"demo data: {added} reports added" if added else "demo data: already loaded")
    if orders:
        print(f"demo platforms: {len(DEMO_PLATFORMS)} platforms, {orders} takedown orders, "
              "one hash bank of random values")
    directory_commands.seed_for_demo(factory, if_empty=args.if_empty)
    agency_commands.seed_for_demo(factory, admin=username, password=password)
    # The worker first refreshes the statistics one interval after it starts: the dashboards count the demo now.
    from safe4c.cli.statistics import refresh_now

    refresh_now(factory)
    print("statistics rollups current")
    print(f"staff demo login: http://127.0.0.1:8000/staff  username '{username}'  password '{password}'")
    return 0


def _demo_bulk(args, factory) -> int:
    from sqlalchemy import func, select

    from safe4c.db.tables import Report
    from safe4c.demo.bulk import generate

    if args.reports < 1:
        print("--reports needs a number of reports, 1 or more", file=sys.stderr)
        return 2
    with factory() as uow:
        if args.if_empty and uow.session.scalar(select(func.count()).select_from(Report)):
            print("demo data: already loaded")
            return 0
        backend = uow.session.get_bind().dialect.name
    g = generate(uow_factory=factory, reports=args.reports, seed=args.seed, months=args.months)
    print(f"synthetic data ({backend}): {g.reports:,} reports over {args.months} months generated in "
          f"{g.seconds:.1f} s ({g.reports / g.seconds:,.0f} reports/s); {g.events:,} status events, {g.orders:,} "
          f"takedown orders with {g.order_events:,} order events ({g.open_orders:,} orders still open)")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("demo", help="load synthetic demo reports and the demo staff login")
    p.add_argument("--count", type=int, default=80)
    p.add_argument("--if-empty", action="store_true", help="only when there are no reports yet")
    p.add_argument("--reports", type=int, default=None, metavar="N",
                   help="instead: N synthetic reports in bulk with their history and takedown orders "
                        "(a million in minutes; docs/operations.md)")
    p.add_argument("--seed", type=int, default=2026, help="--reports: the random seed (same seed, same data)")
    p.add_argument("--months", type=int, default=24, help="--reports: months the reports are spread over")
    p.set_defaults(func=cmd_demo)
