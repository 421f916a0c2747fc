"""`safe4c hash`, `safe4c match` and `safe4c hashlist`: thin wrappers over matching/ and services/hashlist.py.

Registered by cli/__init__.py (``add_commands``); kept here so the main CLI module stays small. Imports inside
functions are for start-up speed (see cli/__init__.py).
"""

from __future__ import annotations

import csv
import sys
import time

from safe4c.cli.common import uow_factory


def cmd_hash(args, settings) -> int:
    """Print ``type,value,quality,file`` for each file; a file that cannot be hashed is reported on stderr
    and the others are still hashed (exit 1 if any failed)."""
    from safe4c.hashlist.matching import MatchingError, hash_file

    writer = csv.writer(sys.stdout, lineterminator="\n")
    if args.header:
        writer.writerow(["type", "value", "quality", "file"])
    failed = 0
    for path in args.files:
        try:
            values = hash_file(path)
        except MatchingError as exc:  # hash_file turns OSError into UnreadableImage("unreadable")
            print(f"safe4c hash: {path}: cannot hash this file ({exc.code}: {exc})", file=sys.stderr)
            failed += 1
            continue
        for value in values:
            writer.writerow([value.signal_type, value.value, "" if value.quality is None else value.quality, path])
        sys.stdout.flush()
    return 1 if failed else 0


def cmd_match(args, settings) -> int:
    """Match one value against the hash list in the database: exit 0 on a match, 1 on none, 2 if invalid."""
    from safe4c.kernel.signals import InvalidSignal, normalise_signal
    from safe4c.hashlist.banks import signal_error
    from safe4c.hashlist.matcher import Matcher, Query

    matcher = Matcher.from_settings(settings)
    try:
        canonical = normalise_signal(args.type, args.value)
    except InvalidSignal:
        canonical = None  # nothing to load: match() reports why the value is refused
    if canonical is not None:
        with uow_factory(settings)().reading() as uow:
            # An exact value is found by its value key; only PDQ (a near match) needs the whole index.
            matcher.load(uow, only=None if args.type == "pdq" else (args.type, canonical))
    result = matcher.match([Query(args.type, args.value, args.quality)])[0]
    if result.status == "error":
        message, params = signal_error(result.error_code, result.signal_type)
        print(f"safe4c match: {message.format(**params)}", file=sys.stderr)
        return 2
    if result.status == "ignored":
        print(f"ignored: PDQ quality below {matcher.min_quality}")
        return 1
    if not result.matches:
        print(f"no match ({result.signal_type} {result.value})")
        return 1
    for hit in result.matches:
        print(f"match\tbank={hit.bank}\tentry={hit.entry_id}\tdistance={hit.distance}\t"
              f"classification={hit.classification}\t{'confirmed' if hit.confirmed else 'unconfirmed'}")
    return 0


def cmd_hashlist(args, settings) -> int:
    from safe4c.kernel.errors import AppError, Invalid
    from safe4c.hashlist import banks as hashlist, csv_io
    from safe4c.hashlist.snapshot import SnapshotFile

    factory = uow_factory(settings)
    snapshots = SnapshotFile(settings.resolved_hashlist_snapshot_path)
    if args.action == "import" and args.file and args.bank:
        # a snapshot as of the list before the import lets the import build the one after it beside it
        # (csv_io.import_csv): if the file is behind, bring it up to date now, reading only what is listed
        # already, rather than that and the import back afterwards; before the import's own unit of work, whose
        # write lock would otherwise be held meanwhile on SQLite
        started, cpu = time.perf_counter(), time.process_time()
        if _write_snapshot(factory, snapshots):
            print(f"hash-list snapshot brought up to date first in {time.perf_counter() - started:.1f} s "
                  f"({time.process_time() - cpu:.1f} CPU s)")
    try:
        with factory() as uow:
            if args.action == "banks":
                for bank in hashlist.list_banks(uow=uow):
                    print(f"{bank.name}\t{'enabled' if bank.enabled else 'disabled'}\t"
                          f"{'confirmed' if bank.confirmed else 'unconfirmed'}\t{bank.active}/{bank.entries} entries")
                return 0
            if not args.bank:
                print("safe4c hashlist: --bank NAME is required", file=sys.stderr)
                return 2
            if args.action == "bank-create":
                hashlist.create_bank(uow=uow, name=args.bank, description=args.description,
                                     confirmed=not args.unconfirmed)
                print(f"created bank {args.bank}")
                return 0
            bank_id = hashlist.bank_id_by_name(uow=uow, name=args.bank)
            if args.action == "import":
                if not args.file:
                    print("safe4c hashlist import FILE --bank NAME", file=sys.stderr)
                    return 2
                started, cpu = time.perf_counter(), time.process_time()
                with open(args.file, encoding="utf-8-sig", newline="") as f:
                    result = csv_io.import_csv(uow=uow, bank_id=bank_id, lines=f, classification=args.classification,
                                               source="partner", snapshots=snapshots)
                for err in result.errors:
                    print(f"line {err.line}: {err.code}: {err.message.format(**err.params)}", file=sys.stderr)
                if result.error_count > len(result.errors):
                    print(f"... and {result.error_count - len(result.errors)} more bad lines", file=sys.stderr)
                print(f"imported {result.added} new, {result.already} already in the bank, "
                      f"{result.error_count} bad lines skipped; committed in {time.perf_counter() - started:.1f} s "
                      f"({time.process_time() - cpu:.1f} CPU s)")
                if result.added:
                    started, cpu = time.perf_counter(), time.process_time()
                    how = _put_snapshot(snapshots, result.snapshot) if result.snapshot is not None else None
                    if how is None and _write_snapshot(factory, snapshots):
                        how = "written from the database"
                    if how:
                        print(f"hash-list snapshot {how} in {time.perf_counter() - started:.1f} s "
                              f"({time.process_time() - cpu:.1f} CPU s)")
                return 1 if result.error_count else 0
            out = open(args.file, "w", encoding="utf-8", newline="") if args.file else sys.stdout
            try:
                for line in csv_io.export_csv(uow=uow, bank_id=bank_id, include_disabled=args.include_disabled):
                    out.write(line)
            finally:
                if out is not sys.stdout:
                    out.close()
            return 0
    except Invalid as exc:
        for f in exc.fields:
            print(f"{f.field}: {f.message.format(**f.params)}", file=sys.stderr)
        return 2
    except AppError as exc:
        print(exc.message.format(**exc.params), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"safe4c hashlist: cannot read or write the file ({type(exc).__name__})", file=sys.stderr)
        return 1


def _write_snapshot(factory, snapshots) -> bool:
    """The import is matchable from its commit (the change log); writing this machine's snapshot now spares
    each serving process the work of building it (hashlist/snapshot.py)."""
    try:
        with factory().reading() as uow:
            return snapshots.refresh_if_changed(uow)
    except Exception as exc:  # noqa: BLE001 - the worker writes it on its next tick instead
        print(f"hash-list snapshot not written ({type(exc).__name__}); the worker will write it", file=sys.stderr)
        return False


def _put_snapshot(snapshots, built) -> str | None:
    """Write the snapshot the import built beside it; None if it could not (then it is read from the database)."""
    try:
        if snapshots.put(built):
            return "written from the snapshot before the import and the new entries, built beside it"
        return "already written by another process (the worker)"
    except OSError as exc:  # a full disk, say (a damaged file reads as none): read it back from the database
        print(f"hash-list snapshot not written from the import ({type(exc).__name__})", file=sys.stderr)
        return None


def add_commands(sub) -> None:
    from safe4c.kernel.settings import Settings
    from safe4c.kernel.signals import SIGNAL_TYPES
    from safe4c.hashlist.banks import CLASSIFICATIONS

    min_quality = Settings.model_fields["match_pdq_min_quality"].default
    p = sub.add_parser("hash", help="print type,value,quality,file for images (PDQ, MD5, SHA-1, SHA-256)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--header", action="store_true", help="print a header line first")
    p.set_defaults(func=cmd_hash)

    p = sub.add_parser("match", help="match one hash or link against the hash list in the database")
    p.add_argument("type", help=", ".join(SIGNAL_TYPES))
    p.add_argument("value")
    p.add_argument("--quality", type=int, default=None, help=f"PDQ quality (below SAFE4C_MATCH_PDQ_MIN_QUALITY, "
                   f"{min_quality} by default, is not matched)")
    p.set_defaults(func=cmd_match)

    p = sub.add_parser("hashlist", help="the hash list: banks, bank-create, import and export CSV")
    p.add_argument("action", choices=["banks", "bank-create", "import", "export"])
    p.add_argument("file", nargs="?", help="CSV signal_type,signal_value[,tags] (import: required; export: "
                                           "default standard output)")
    p.add_argument("--bank", help="bank name")
    p.add_argument("--classification", default="csam", choices=CLASSIFICATIONS)
    p.add_argument("--description", help="bank-create: what the bank holds")
    p.add_argument("--unconfirmed", action="store_true",
                   help="bank-create: matches in this bank do not raise reports to P1 or issue takedowns")
    p.add_argument("--include-disabled", action="store_true", help="export: also disabled entries")
    p.set_defaults(func=cmd_hashlist)
