"""`safe4c directory import FILE | export [FILE] | seed`: the service directory in HSDS 3.0 JSON
(docs/directory.md). Registered by cli/__init__.py (``add_commands``)."""

from __future__ import annotations

import json
import sys

from safe4c.cli import common


def cmd_directory(args, settings) -> int:
    from safe4c.directory import seed, service
    from safe4c.kernel.errors import Invalid

    factory = common.uow_factory(settings)
    if args.action == "seed":
        with factory() as uow:
            result = seed.seed(uow=uow)
        print(f"directory seeded: {result.added} organizations added, {result.replaced} replaced")
        return 0
    if args.action == "export":
        with factory().reading() as uow:
            page = service.export_hsds(uow=uow)
        text = json.dumps(page, ensure_ascii=False, indent=2) + "\n"
        if args.file:
            with open(args.file, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"exported {page['total_items']} organizations to {args.file}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    if not args.file:
        print("safe4c directory import FILE", file=sys.stderr)
        return 2
    try:
        with open(args.file, encoding="utf-8-sig") as f:
            document = json.load(f)
    except OSError as exc:
        print(f"safe4c directory: cannot read {args.file} ({type(exc).__name__})", file=sys.stderr)
        return 1
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        print(f"safe4c directory: {args.file} is not JSON{where}: nothing was imported", file=sys.stderr)
        return 2
    try:
        with factory() as uow:
            result = service.import_hsds(uow=uow, document=document)
    except Invalid as exc:
        print(exc.message, file=sys.stderr)
        for f in exc.fields:
            print(f"{f.field}: {f.message.format(**f.params)}", file=sys.stderr)
        return 2
    print(f"imported {result.added} new organizations, replaced {result.replaced}")
    return 0


def seed_for_demo(factory, *, if_empty: bool = False) -> None:
    """``if_empty`` (`safe4c demo --if-empty`, run by `make run` every time): only into an empty directory."""
    from safe4c.directory import seed, service

    with factory() as uow:
        if if_empty and service.count(uow=uow):
            return
        result = seed.seed(uow=uow)
    print(f"demo directory: {result.added + result.replaced} organizations (HSDS; `safe4c directory export`)")


def add_commands(sub) -> None:
    p = sub.add_parser("directory", help="the service directory in HSDS 3.0 JSON: import FILE, export [FILE], seed")
    p.add_argument("action", choices=["import", "export", "seed"])
    p.add_argument("file", nargs="?", help="import: an HSDS JSON file (required); export: default standard output")
    p.set_defaults(func=cmd_directory)
