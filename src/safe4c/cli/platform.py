"""`safe4c platform ...`: register platforms, their API keys, and their webhook (address and signing secret)
(docs/platform-api.md). Registered by cli/__init__.py (``add_commands``)."""

from __future__ import annotations

import sys

from safe4c.cli import common

USAGE = ("safe4c platform create NAME [--webhook-url URL] | key-add NAME | key-revoke PREFIX | "
         "webhook-set NAME (--webhook-url URL | --no-webhook) | secret-rotate NAME [--grace-hours H] | list")


def cmd_platform(args, settings) -> int:
    from safe4c.access import platforms
    from safe4c.kernel.errors import AppError, Invalid

    if args.action != "list" and not args.name:
        print(USAGE, file=sys.stderr)
        return 2
    factory = common.uow_factory(settings)
    try:
        with factory() as uow:
            if args.action == "create":
                made = platforms.create_platform(uow=uow, name=args.name, webhook_url=args.webhook_url,
                                                 taxonomy_code=args.code)
                print(f"created platform {made.name} (id {made.id})")
                print(f"API key (shown once, keep it secret): {made.api_key}")
                print(f"webhook signing secret (shown once): {made.webhook_secret}")
            elif args.action == "key-add":
                key = platforms.add_key(uow=uow, platform_name=args.name, label=args.label)
                print(f"new API key for {args.name} (shown once): {key}")
                print("revoke the old one when the platform has switched: safe4c platform key-revoke PREFIX")
            elif args.action == "key-revoke":
                platforms.revoke_key(uow=uow, prefix=args.name)
                print(f"revoked key {args.name}")
            elif args.action == "webhook-set":
                if bool(args.webhook_url) == bool(args.no_webhook):
                    print("safe4c platform webhook-set NAME (--webhook-url URL | --no-webhook)", file=sys.stderr)
                    return 2
                platform = platforms.platform_by_name(uow=uow, name=args.name)
                shown = platforms.set_webhook_url(uow=uow, platform_id=platform.id, url=args.webhook_url)
                print(f"webhook of {args.name}: {shown['url'] or 'none (the platform pulls its orders)'}")
            elif args.action == "secret-rotate":
                platform = platforms.platform_by_name(uow=uow, name=args.name)
                rotated = platforms.rotate_webhook_secret(uow=uow, platform_id=platform.id,
                                                          grace_hours=args.grace_hours)
                print(f"new webhook signing secret for {args.name} (shown once): {rotated.secret}")
                if rotated.previous_valid_until:
                    print(f"the previous secret signs too until {rotated.previous_valid_until:%Y-%m-%d %H:%M} UTC")
                else:
                    print("the previous secret no longer signs")
            else:
                for p in platforms.list_platforms(uow=uow):
                    keys = ", ".join(k["prefix"] + (" (revoked)" if k["revoked"] else "") for k in p["keys"])
                    print(f"{p['name']}\t{p['webhook_url'] or '-'}\t{keys}")
    except Invalid as exc:
        return common.print_invalid(exc)
    except AppError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("platform", help="platforms: create (prints the first API key once), keys, webhook, list")
    p.add_argument("action", choices=["create", "key-add", "key-revoke", "webhook-set", "secret-rotate", "list"])
    p.add_argument("name", nargs="?", help="platform name (create, key-add, webhook-set, secret-rotate) or key "
                                           "prefix (key-revoke)")
    p.add_argument("--webhook-url", help="where takedown orders are sent (HTTPS, a public address)")
    p.add_argument("--no-webhook", action="store_true", help="webhook-set: remove the webhook")
    p.add_argument("--grace-hours", type=float, default=24.0,
                   help="secret-rotate: hours the previous secret keeps signing too (0 to 168; default 24)")
    p.add_argument("--code", help="the platform's code in the report taxonomy, e.g. tiktok")
    p.add_argument("--label", help="a note for a new key, e.g. 'rotation 2026-02'")
    p.set_defaults(func=cmd_platform)
