"""`safe4c agency create CODE --name NAME --type TYPE --region CODE [--example] | list | seed`: the agencies
whose staff work cases (docs/cases.md, "Agencies"). Registered by cli/__init__.py (``add_commands``)."""

from __future__ import annotations

import sys

from safe4c.cli import common


def cmd_agency(args, settings) -> int:
    from safe4c.cases import agencies, agency_seed
    from safe4c.cases.rules.agencies import AGENCY_TYPES, AgencyInput
    from safe4c.kernel.errors import Invalid

    factory = common.uow_factory(settings)
    if args.action == "seed":
        with factory() as uow:
            result = agency_seed.seed(uow=uow)
        print(f"agencies seeded: {result.added} added, {result.updated} updated, "
              f"{result.linked} linked to the service directory")
        return 0
    if args.action == "list":
        with factory().reading() as uow:
            rows = agencies.list_agencies(uow=uow, agency_type=args.type)
        for a in rows:
            flags = ",".join(f for f, on in (("example", a.is_example), ("inactive", not a.active),
                                             ("directory", a.organization_id is not None)) if on) or "-"
            print(f"{a.code}\t{a.agency_type}\t{a.region_code}\t{a.staff} staff\t{flags}\t{a.name}")
        return 0
    if not args.code or not args.name or not args.type or not args.region:
        print("safe4c agency create CODE --name NAME --type TYPE --region CODE [--example]\n"
              f"  TYPE: {', '.join(AGENCY_TYPES)}; CODE of a region: a province (32), a regency (32.73) or ID",
              file=sys.stderr)
        return 2
    try:
        with factory() as uow:
            made = agencies.create_agency(uow=uow, agency=AgencyInput(
                code=args.code, name=args.name, agency_type=args.type, region_code=args.region,
                is_example=args.example))
    except Invalid as exc:
        return common.print_invalid(exc)
    linked = " (linked to its service-directory entry)" if made.organization_id else ""
    print(f"created agency {made.code}: {made.name}{linked}")
    return 0


def seed_for_demo(factory, *, admin: str, password: str) -> None:
    """`safe4c demo`: the seed agencies (after the directory, so that they link to it), then once the demo's case
    staff and cases in every state (demo/cases.py), with the figures they give."""
    from sqlalchemy import select

    from safe4c.cases import agency_seed
    from safe4c.db.tables import StaffUser
    from safe4c.demo import cases as demo_cases

    with factory() as uow:
        result = agency_seed.seed(uow=uow)
        admin_id = uow.session.scalar(select(StaffUser.id).where(StaffUser.username == admin))
    print(f"demo agencies: {result.added + result.updated} ({result.linked} linked to the directory; "
          "`safe4c agency list`)")
    made = demo_cases.load_demo_cases(uow_factory=factory, password=password, admin_id=admin_id)
    if made is None:
        return
    print(f"demo case staff (password '{password}'): {', '.join(made.staff)}")
    for line in demo_cases.demo_figures(uow_factory=factory, public_ids=list(made.cases.values())):
        print(line)


def add_commands(sub) -> None:
    p = sub.add_parser("agency", help="agencies whose staff work cases: create CODE, list, seed")
    p.add_argument("action", choices=["create", "list", "seed"])
    p.add_argument("code", nargs="?", help="create: a short code, e.g. uptd-ppa-32-73")
    p.add_argument("--name", help="create: the agency's name")
    p.add_argument("--type", help="create: uptd_ppa, social_service, health, legal_aid, police_unit, psychosocial, "
                                  "hotline or ministry; list: only this type")
    p.add_argument("--region", help="create: a Kemendagri province (32) or regency (32.73) code, or ID (national)")
    p.add_argument("--example", action="store_true", help="create: mark it as an example, not a real agency")
    p.set_defaults(func=cmd_agency)
