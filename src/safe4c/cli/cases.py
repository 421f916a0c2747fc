"""`safe4c cases figures [--month YYYY-MM] [--json]`: case figures per agency and month (cases/figures.py,
docs/cases.md). Registered by cli/__init__.py (``add_commands``)."""

from __future__ import annotations

import json
import sys

from safe4c.cli import common

COLUMNS = ("cases_opened", "cases_closed", "first_contact_cases", "first_contact_median_hours", "first_contact_due",
           "first_contact_within", "referrals_made", "referrals_accepted", "referrals_declined", "referrals_completed",
           "referrals_received", "cases_with_statement", "statements", "statements_per_case",
           "cases_with_more_statements", "workers", "caseload_mean", "caseload_max", "open_unassigned")


def _value(f, name: str):
    value = getattr(f, name)
    return round(value, 2) if isinstance(value, float) else value


def cmd_cases(args, settings) -> int:
    from safe4c.cases import figures
    from safe4c.kernel.errors import Invalid

    factory = common.uow_factory(settings)
    try:
        with factory().reading() as uow:
            result = figures.figures(uow=uow, month=args.month)
    except Invalid as exc:
        return common.print_invalid(exc)
    rows = [{"agency": result.agencies.get(f.agency_id, ("all", ""))[0] if f.agency_id else "all",
             **{name: _value(f, name) for name in COLUMNS}} for f in result.rows]
    if args.json:
        sys.stdout.write(json.dumps({"month": result.month, "agencies": rows}, ensure_ascii=False, indent=2) + "\n")
        return 0
    print(f"case figures for {result.month} (cases/rules/figures.py defines each)")
    for row in rows:
        print(f"{row['agency']}: " + ", ".join(f"{k}={'-' if v is None else v}" for k, v in row.items()
                                                  if k != "agency"))
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("cases", help="case management: figures per agency and month")
    p.add_argument("action", choices=["figures"])
    p.add_argument("--month", help="YYYY-MM, a month in WIB as every figure's (default: this month)")
    p.add_argument("--json", action="store_true", help="print JSON instead of lines")
    p.set_defaults(func=cmd_cases)
