"""The `safe4c` command: thin wrappers that parse arguments, call a use case and print the result.

Imports inside the command functions are there for speed only: each command loads what it uses (SQLAlchemy,
uvicorn, numpy, the benchmarks), so `safe4c --help` and the light commands start fast. None of them avoids an
import cycle: what the command modules share is in cli/common.py, which imports no command module.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

from safe4c.cli import agency as agency_commands
from safe4c.cli import (backup as backup_commands, common, demo as demo_commands, directory as directory_commands,
                        hashlist as hashlist_commands)
from safe4c.cli import cases as case_commands
from safe4c.cli import platform as platform_commands
from safe4c.cli import statistics as statistics_commands
from safe4c.kernel.settings import Settings


def cmd_serve(args, settings: Settings) -> int:
    import uvicorn

    from safe4c.db.migrate import current_revision, head_revision

    engine = common.engine(settings)
    if current_revision(engine) != head_revision():
        print("The database is not migrated: run `safe4c db upgrade` first.", file=sys.stderr)
        return 1
    common.uow_factory(settings, engine)  # the key must be the one that sealed this database's data
    engine.dispose()
    print(f"safe4c serving on http://{args.host}:{args.port}  (staff: /staff, API: /openapi.json)", flush=True)
    uvicorn.run("safe4c.web.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="warning", access_log=False, proxy_headers=False)
    return 0


def cmd_worker(args, settings: Settings) -> int:
    from safe4c.worker import Worker

    worker = Worker(common.uow_factory(settings), poll_seconds=settings.worker_poll_seconds)
    if args.once:
        print(f"ran {worker.run_once(limit=1000)} jobs")
        return 0
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        worker.stop()
    return 0


def cmd_db(args, settings: Settings) -> int:
    from safe4c.kernel.settings import KeyProblem
    from safe4c.db.migrate import current_revision, forget_plaintext, head_revision, upgrade
    from safe4c.kernel.keys import open_secret, secret_for

    engine = common.engine(settings)
    if args.action == "upgrade":
        from sqlalchemy import inspect

        adds_audit_chain = not inspect(engine).has_table("audit_head")
        try:
            # A migration that must seal stored plaintext asks for the key (checked against the data first).
            sealed = upgrade(engine, secret=lambda conn: secret_for(settings, conn))
            if sealed:
                forget_plaintext(engine)
            open_secret(settings, engine)  # a new database gets its key and fingerprint now
        except KeyProblem as problem:
            common.refuse(problem)
        print(f"database at revision {current_revision(engine)}")
        if sealed:
            print(f"sealed the accounts and app names of {sealed:,} stored reports")
        if adds_audit_chain:
            _seal_old_audit_entries(settings, engine)
    else:
        print(f"current {current_revision(engine)}, head {head_revision()}")
    return 0


def _seal_old_audit_entries(settings: Settings, engine) -> None:
    """Cover audit entries from before the keyed chain, right after the migration that adds it."""
    from sqlalchemy.orm import Session

    from safe4c.kernel import audit

    with Session(engine) as session:
        if not audit.unsealed_old_entries(session):
            return
    with common.uow_factory(settings, engine)() as uow:
        covered = audit.seal_old_entries(uow=uow)
    if covered:
        print(f"audit log: the {covered} entries from before the keyed chain are now covered by it")


def cmd_user(args, settings: Settings) -> int:
    from safe4c.kernel.errors import Invalid, NotFound
    from safe4c.access import accounts

    factory = common.uow_factory(settings)
    if args.action == "list":
        from safe4c.cases import agencies

        with factory() as uow:
            locked = accounts.locked_users(uow=uow)
            users = accounts.list_users(uow=uow)
            agency = agencies.by_ids(uow=uow, ids={u.agency_id for u in users if u.agency_id})
            for user in users:
                state = "locked" if user.username in locked else "active" if user.active else "disabled"
                code = agency[user.agency_id].code if user.agency_id in agency else "-"
                print(f"{user.username}\t{user.role}\t{state}\t{code}\t{user.display_name}")
        return 0
    if args.action == "unlock":
        try:
            with factory() as uow:
                was_locked = accounts.unlock_user(uow=uow, username=args.username)
        except NotFound as exc:
            print(exc.message, file=sys.stderr)
            return 1
        print(f"unlocked {args.username}" if was_locked else
              f"{args.username} was not locked; its failed sign-ins are forgotten")
        return 0
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    try:
        with factory() as uow:
            accounts.create_user(uow=uow, username=args.username, password=password, role=args.role,
                                 display_name=args.name or args.username, agency_code=args.agency)
    except Invalid as exc:
        return common.print_invalid(exc)
    print(f"created {args.role} {args.username}" + (f" of agency {args.agency}" if args.agency else ""))
    return 0


def cmd_audit(args, settings: Settings) -> int:
    import json

    from safe4c.kernel import audit

    kept = []
    if args.head and args.action != "verify":
        print("--head FILE goes with `safe4c audit verify`", file=sys.stderr)
        return 2
    if args.head:
        try:
            kept = _kept_heads(args.head)
        except (OSError, ValueError) as exc:
            print(f"{args.head}: {exc}", file=sys.stderr)
            return 2
    # A reading unit of work: a long walk must not hold SQLite's write lock against every audited action.
    with common.uow_factory(settings)().reading() as uow:
        if args.action == "head":
            verdict, head = audit.kept_head(uow=uow)
        else:
            verdict, head = audit.verify(uow=uow, kept=kept), None
    if not verdict.intact:
        where = "" if verdict.broken is None else f" at entry {verdict.broken}"
        print(f"audit log BROKEN{where}: {verdict.problem} ({verdict.checked} entries verified before it)",
              file=sys.stderr)
        return 1
    if head:
        print(json.dumps(head, sort_keys=True))
    else:
        against = f", consistent with {len(kept)} kept head(s)" if kept else ""
        print(f"audit log intact: {verdict.checked} entries verified{against}")
    return 0


def _kept_heads(path: str) -> list[dict]:
    """The heads in a file of `safe4c audit head` lines (blank lines skipped)."""
    import json

    heads = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                head = json.loads(line)
            except json.JSONDecodeError:
                head = None
            if not isinstance(head, dict):
                raise ValueError(f"line {number} is not a head written by `safe4c audit head`")
            heads.append(head)
    if not heads:
        raise ValueError("no head in it")
    return heads


def cmd_link(args, settings: Settings) -> int:
    from safe4c.networks.rebuild import rebuild_links

    r = rebuild_links(uow_factory=common.uow_factory(settings), batch_size=args.batch_size)
    print(f"networks rebuilt in {r.total_seconds:.1f} s: {r.reports:,} reports ({r.extracted:,} extracted now), "
          f"{r.clusters:,} networks ({r.multi:,} with 2+ reports), {r.links:,} links; {r.new_clusters:,} new, "
          f"{r.retired_clusters:,} merged away, {r.moved_members:,} reports moved; {r.raised:,} raised to P1")
    return 0


def cmd_bench(args, settings: Settings) -> int:
    if args.name == "match":
        from safe4c.bench.match import run as run_match

        return run_match(args)
    if args.name == "intake":
        from safe4c.bench.intake import run

        return run(reports=args.reports, concurrency=args.concurrency, workers=args.workers,
                   database_url=args.database_url, rate_limit=args.rate_limit, addresses=args.addresses,
                   rounds=args.rounds)
    if args.name == "platform-api":
        from safe4c.bench.platform_api import run as run_platform

        return run_platform(reports=args.reports, concurrency=args.concurrency, workers=args.workers,
                            database_url=args.database_url)
    if args.name == "backup":
        from safe4c.bench.backup import run as run_backup

        return run_backup(copies=args.copies)
    if args.name == "jobs":
        from safe4c.bench.jobs import run as run_jobs

        return run_jobs(reports=args.reports, database_url=args.database_url)
    if args.name == "portal":
        from safe4c.bench.portal import run as run_portal

        return run_portal(runs=args.runs, screenshots=args.screenshots)
    if args.name == "stats":
        from safe4c.bench.stats import run as run_stats

        return run_stats(reports=args.reports, database_url=args.database_url, runs=max(args.runs, 1),
                         keep=args.keep, reuse=args.reuse)
    if args.name == "crash":
        from safe4c.bench.crash import run as run_crash

        return run_crash(reports=args.reports, kills=args.kills, database_url=args.database_url,
                         threads=args.concurrency)
    from safe4c.bench.link import run as run_link  # "link": argparse allows only the names above

    return run_link(reports=args.reports, db_reports=args.db_reports, database_url=args.database_url,
                    bulk_reports=args.bulk_reports, extract_reports=args.extract_reports)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="safe4c", description="safe4c: report, triage and act on online child "
                                     "sexual exploitation and abuse.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="serve the web app (and, by default, an in-process worker)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="web processes")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run background jobs")
    p.add_argument("--once", action="store_true", help="run what is ready now, then exit")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("db", help="database migrations")
    p.add_argument("action", choices=["upgrade", "current"])
    p.set_defaults(func=cmd_db)

    demo_commands.add_commands(sub)  # demo

    p = sub.add_parser("user", help="staff accounts: create, list, unlock (after failed sign-ins)")
    p.add_argument("action", choices=["create", "list", "unlock"])
    p.add_argument("username", nargs="?")
    p.add_argument("--role", default="analyst")
    p.add_argument("--name", help="display name")
    p.add_argument("--agency", metavar="CODE", help="the agency a case worker, supervisor or police liaison works "
                   "for (safe4c agency list)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_user)

    p = sub.add_parser("audit", help="verify the tamper-evident audit log; print its head to keep elsewhere")
    p.add_argument("action", choices=["verify", "head"])
    p.add_argument("--head", metavar="FILE", help="verify: also check the log against the heads in FILE "
                   "(lines printed by `safe4c audit head`)")
    p.set_defaults(func=cmd_audit)

    platform_commands.add_commands(sub)  # platform

    p = sub.add_parser("link", help="networks: rebuild every cluster and link in bulk (after a back-fill)")
    p.add_argument("action", choices=["rebuild"])
    p.add_argument("--batch-size", type=int, default=20_000, help="rows read and written per batch")
    p.set_defaults(func=cmd_link)

    p = sub.add_parser("bench", help="benchmarks that print figures")
    p.add_argument("name", choices=["intake", "platform-api", "match", "link", "backup", "jobs", "crash",
                                          "portal", "stats"])
    p.add_argument("--reports", type=int, default=5000, help="reports to send (intake: in each round)")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--workers", type=int, default=2, help="web processes for the server under test")
    p.add_argument("--database-url", default=None, help="defaults to SAFE4C_DATABASE_URL or a temporary SQLite file")
    p.add_argument("--rate-limit", type=int, default=10**9,
                   help="intake: the shared per-address limit the server counts against (0: off)")
    p.add_argument("--rounds", type=int, default=3,
                   help="intake: served rounds of --reports each; on PostgreSQL each between two runs of the bare "
                        "loop")
    p.add_argument("--addresses", type=int, default=1000,
                   help="intake: client addresses sent as X-Forwarded-For by a trusted proxy (0: one address)")
    p.add_argument("--hashes", type=int, default=1_000_000, help="match: hashes in the list")
    p.add_argument("--queries", type=int, default=10_000, help="match: queries")
    p.add_argument("--data", choices=["random", "images"], default="random",
                   help="match: uniform random hashes, or hashes of transformed generated images (clustered)")
    p.add_argument("--cache", default=None, help="match --data images: keep the hashes in this .npz file")
    p.add_argument("--server", action="store_true",
                   help="match: also import the hashes via the CLI and start a server (start-up time, memory)")
    p.add_argument("--server-only", action="store_true", help="match: only the server part")
    p.add_argument("--before", action="store_true",
                   help="match: also the per-process FAISS index the matcher used before the snapshot")
    p.add_argument("--db-reports", type=int, default=2000, help="link: reports linked through the database (0: none)")
    p.add_argument("--bulk-reports", type=int, default=0,
                   help="link: reports (3 identifiers each) stored in bulk, then linked by `safe4c link rebuild`")
    p.add_argument("--extract-reports", type=int, default=0,
                   help="link: reports stored through intake, then extracted and linked by the rebuild")
    p.add_argument("--copies", type=int, default=5, help="backup: copies per method, taken while reports arrive")
    p.add_argument("--runs", type=int, default=3, help="portal: timed reports on the throttled phone (median); "
                   "stats: warm requests per page (median)")
    p.add_argument("--keep", action="store_true", help="stats: keep the database made for the run (to --reuse it)")
    p.add_argument("--reuse", metavar="NAME", help="stats: run on a database kept by --keep (its name, or the "
                   "SQLite file's path) instead of generating the reports again")
    p.add_argument("--screenshots", metavar="DIR", help="portal: save the form and the refused form as PNGs here")
    p.add_argument("--kills", type=int, default=6, help="crash: SIGKILLs of the server and the worker during the run")
    p.set_defaults(func=cmd_bench)

    hashlist_commands.add_commands(sub)  # hash, match, hashlist
    backup_commands.add_commands(sub)  # backup, restore
    directory_commands.add_commands(sub)  # directory
    agency_commands.add_commands(sub)  # agency
    case_commands.add_commands(sub)  # cases figures
    statistics_commands.add_commands(sub)  # stats
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Client libraries log every request with its URL at INFO: nothing we want in an operator's log.
    for noisy in ("httpx", "httpcore", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    if args.command == "user" and args.action in ("create", "unlock") and not args.username:
        print("safe4c user create USERNAME --role ROLE | unlock USERNAME", file=sys.stderr)
        return 2
    return args.func(args, Settings())

