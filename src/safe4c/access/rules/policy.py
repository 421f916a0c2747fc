"""The one authorization policy: which actor may do which action, and to which records.

Every page and API route names one action from ``POLICY`` (web/authorization.py enforces it; a route without one
stops the app from starting). Pure: nothing here imports the web framework, the database or the services.

- An **actor** is who makes a request: anonymous, a platform (by its API key) or a staff member (by role).
- A **grant** gives an action to some principals (``anonymous``, ``platform`` or a staff role), optionally only
  for some records: a condition maps the actor to a ``RecordFilter``. The same filter decides one record
  (``allowed(actor, action, record)``) and a list (``record_filter(actor, action)``, turned into a WHERE by the
  service), so a page and its list can never disagree. Today the only condition is a platform's own records;
  agency and region (case management) are further conditions, new roles are further principals.
- A follow-up code is not a sign-in: the status lookup checks the code in each request and grants nothing
  else, so its holder is anonymous to every other route.

The table is documented in docs/access.md; a unit test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

# Staff roles (services/accounts.py creates accounts with these). They do not nest: the table says what each
# role may do, so a new role starts with nothing.
ROLES: tuple[str, ...] = ("regulator", "analyst", "admin",
                          # case management (docs/cases.md): they work for an agency; a national officer
                          # monitors and sees de-identified figures only
                          "case_worker", "supervisor", "police_liaison", "national_officer")
ANONYMOUS, PLATFORM = "anonymous", "platform"
PRINCIPALS: tuple[str, ...] = (ANONYMOUS, PLATFORM, *ROLES)


@dataclass(frozen=True)
class Actor:
    kind: str  # "anonymous", "platform" or "staff"
    id: int | None = None  # the platform's or the staff member's id
    role: str | None = None  # staff only
    agency_id: int | None = None  # staff of an agency (case management); conditions compare it with a record's

    @property
    def principal(self) -> str:
        return self.role if self.kind == "staff" and self.role else self.kind

    @classmethod
    def staff(cls, user_id: int, role: str, agency_id: int | None = None) -> Actor:
        return cls("staff", user_id, role, agency_id)

    @classmethod
    def platform(cls, platform_id: int) -> Actor:
        return cls(PLATFORM, platform_id)


NOBODY = Actor(ANONYMOUS)


@dataclass(frozen=True)
class RecordFilter:
    """The records an allowed actor may reach: each field's allowed values; no fields means every record."""

    only: tuple[tuple[str, frozenset], ...] = ()

    def admits(self, record: Mapping[str, object]) -> bool:
        return all(_meets(record.get(name), values) for name, values in self.only)

    def values(self, name: str) -> frozenset | None:
        """The allowed values of one field (for a WHERE ... IN), or None when that field is not limited."""
        return next((values for field, values in self.only if field == name), None)


EVERY_RECORD = RecordFilter()


def _meets(value: object, allowed_values: frozenset) -> bool:
    """A record's field meets a filter when its value is allowed; a field that holds several values (the agencies
    a case was referred to) meets it when any of them is."""
    if isinstance(value, (set, frozenset, list, tuple)):
        return any(v in allowed_values for v in value)
    return value in allowed_values


@dataclass(frozen=True)
class Condition:
    name: str  # shown in docs/access.md
    filter_for: Callable[[Actor], RecordFilter]


OWN_PLATFORM = Condition("own", lambda actor: RecordFilter((("platform_id", frozenset({actor.id})),)))
# Case management (docs/cases.md). A case's record gives ``agency_id`` (the lead agency), ``agencies`` (the lead
# and every agency it was referred to) and ``police_agencies`` (the police units it was referred to, with
# consent or by law). Staff without an agency match no case.
OWN_AGENCY = Condition("agency", lambda actor: RecordFilter((("agency_id", frozenset({actor.agency_id})),)))
AGENCY_OR_REFERRED = Condition("agency+referred",
                               lambda actor: RecordFilter((("agencies", frozenset({actor.agency_id})),)))
REFERRED_TO_POLICE = Condition("referred to police",
                               lambda actor: RecordFilter((("police_agencies", frozenset({actor.agency_id})),)))


@dataclass(frozen=True)
class Grant:
    who: frozenset[str]
    condition: Condition | None = None


@dataclass(frozen=True)
class Rule:
    summary: str  # what the action is, for docs/access.md
    grants: tuple[Grant, ...]

    @property
    def principals(self) -> frozenset[str]:
        return frozenset().union(*(g.who for g in self.grants))

    @property
    def public(self) -> bool:
        return ANONYMOUS in self.principals

    @property
    def for_platforms(self) -> bool:
        return PLATFORM in self.principals and not self.public

    @property
    def for_staff(self) -> bool:
        return bool(self.principals & set(ROLES)) and not self.public


def rule(summary: str, *who: str, condition: Condition | None = None) -> Rule:
    return Rule(summary, (Grant(frozenset(who), condition),))


def grants(summary: str, *pairs: tuple[tuple[str, ...], Condition | None]) -> Rule:
    """A rule with a grant per group of principals, each with its own condition (or None: every record)."""
    return Rule(summary, tuple(Grant(frozenset(who), condition) for who, condition in pairs))


EVERYONE = PRINCIPALS
STAFF = ROLES
ANALYSTS = ("analyst", "admin")  # children's reports, networks, the hash list, takedown orders
REGULATORS = ("regulator", "admin")  # platforms' compliance
ADMINS = ("admin",)

POLICY: dict[str, Rule] = {
    # public: the portal, the public API, the follow-up code, health, signing in
    "public.view": rule("Public pages, static files, the API description", *EVERYONE),
    "public.report.create": rule("Send a report (form or public API)", *EVERYONE),
    "followup.status": rule("See a report's status with its follow-up code", *EVERYONE),
    "health.view": rule("Database and worker health", *EVERYONE),
    "staff.login": rule("The sign-in page and form", *EVERYONE),
    "staff.logout": rule("Sign out", *STAFF),
    # children's reports and the queue: never a regulator
    "report.list": rule("The triage queue", *ANALYSTS),
    "report.view": rule("A report: the child's story, contacts, history (audited)", *ANALYSTS),
    "report.update": rule("Change a report's status, assign it (one or in bulk)", *ANALYSTS),
    "report.decide": rule("Decide on a report (confirm material, takedown, referrals, close)", *ANALYSTS),
    "queue.filters": rule("Save and delete one's own queue filters", *ANALYSTS),
    # networks and evidence
    "network.view": rule("Networks of linked reports", *ANALYSTS),
    "network.decide": rule("Assign a network, decide on all its reports", *ANALYSTS),
    "network.cut": rule("Cut a wrong link", *ANALYSTS),
    "identifier.linking": rule("Mark an identifier as (not) linking: changes every network it joins", *ADMINS),
    "evidence.download": rule("Download a police referral's evidence package (audited)", *ANALYSTS),
    # the national hash list: changed by analysts, never by a regulator
    "hashlist.view": rule("Banks and entries, with the reports entries came from", *ANALYSTS),
    "hashlist.change": rule("Add, import, disable and enable entries", *ANALYSTS),
    "hashlist.export": rule("Export a bank as CSV", *ANALYSTS),
    "hashlist.bank.manage": rule("Create a bank, switch a whole bank on or off", *ADMINS),
    # takedown orders and compliance
    "takedown.view": rule("Takedown orders and their history", *ANALYSTS),
    "takedown.issue": rule("Issue a takedown order", *ANALYSTS),
    "takedown.decide": rule("Uphold a disputed order, withdraw an order", *ANALYSTS),
    "compliance.view": rule("Every platform's compliance figures, CSV and PDF (audited)", *REGULATORS),
    # the service directory (HSDS): providers, no child data; regulators see it too
    "directory.view": rule("The service directory: providers, their services, coverage per regency", *STAFF),
    "directory.manage": rule("Import, export and seed the service directory", *ADMINS),
    # agencies whose staff work cases (docs/cases.md): no child data; a regulator's work is platforms
    "agency.list": rule("The agencies: type, region, directory entry, how many staff", "analyst", "admin",
                        "case_worker", "supervisor", "police_liaison", "national_officer"),
    "agency.manage": rule("Add an agency", *ADMINS),
    # where a staff member lands when no page of their role's work exists yet (web/authorization.staff_home)
    "staff.home": rule("The start page: what one's role may open", *STAFF),
    # referrals of a case (cases/referrals.py): the lead agency sends, the receiving agency answers; a police
    # liaison sees and answers what is referred to their unit and opens its evidence package (audited)
    "case.referral.view": Rule("A case's referrals, what they carry (the statement only under consent; audited)",
                               (Grant(frozenset({"case_worker", "supervisor"}), AGENCY_OR_REFERRED),
                                Grant(frozenset({"police_liaison"}), REFERRED_TO_POLICE))),
    "case.referral.send": rule("Refer a case of one's agency to a provider or to the police", "case_worker",
                               "supervisor", condition=OWN_AGENCY),
    "case.referral.respond": rule("Accept or decline a referral to one's agency, record services delivered",
                                  "case_worker", "supervisor", "police_liaison", condition=OWN_AGENCY),
    "case.referral.withdraw": rule("Withdraw a referral one's agency sent, with a reason (the receiver loses "
                                   "access at once)", "case_worker", "supervisor", condition=OWN_AGENCY),
    "case.referral.package": rule("Open the evidence package of a police referral to one's unit (audited)",
                                  "police_liaison", condition=REFERRED_TO_POLICE),
    # figures of case management: a supervisor their agency's, national staff every agency's (aggregates only)
    "case.figures.view": Rule("Case figures per agency and month (aggregates, no child, no worker named)",
                              (Grant(frozenset({"supervisor"}), OWN_AGENCY),
                               Grant(frozenset({"admin", "national_officer"})))),
    # the national data centre: aggregates only, never a report or a child
    "statistics.view": rule("Statistics dashboards: reports, response, coverage, the iceberg (aggregates only)",
                            "regulator", "analyst", "admin", "national_officer"),
    # staff accounts
    "user.list": rule("The staff accounts", *ADMINS),
    "user.manage": rule("Change a staff account (e.g. unlock it)", *ADMINS),
    # platforms, by API key: their own reports and orders; the whole hash list
    "platform.report.create": rule("Send a report by API", PLATFORM),
    "platform.report.view": rule("Read back its own report: what was received, its status, the orders from it "
                                 "(audited)", PLATFORM, condition=OWN_PLATFORM),
    "platform.takedown.view": rule("The platform's own takedown orders", PLATFORM, condition=OWN_PLATFORM),
    "platform.takedown.respond": rule("Acknowledge, confirm removal of, dispute its own order", PLATFORM,
                                      condition=OWN_PLATFORM),
    "platform.compliance.view": rule("The platform's own compliance figures", PLATFORM, condition=OWN_PLATFORM),
    "platform.webhook.view": rule("Its own webhook address and deliveries (test events included)", PLATFORM,
                                  condition=OWN_PLATFORM),
    "platform.webhook.manage": rule("Change its own webhook address, rotate its signing secret, send a test event",
                                    PLATFORM, condition=OWN_PLATFORM),
    "hashlist.match": rule("Match hashes and links against the hash list (no report ids)", PLATFORM),
    "hashlist.sync": rule("Mirror the hash list (no report ids)", PLATFORM),
    # case management, the case core (docs/cases.md): a case worker reaches the cases of their agency and
    # those referred to it, but runs (steps, consent, statement) only their own agency's; a supervisor their
    # agency's; a police liaison what is referred to their unit; an administrator lists and views every case
    # without the statement or notes; analysts open a case from a report (report.decide) and see on the
    # report that one exists and its stage; a regulator and a national officer nothing about a case.
    "case.list": grants("The caseload: cases sorted by urgency", (("admin",), None),
                        (("case_worker",), AGENCY_OR_REFERRED), (("supervisor",), OWN_AGENCY),
                        (("police_liaison",), REFERRED_TO_POLICE)),
    "case.view": grants("A case: summary, consent, steps (not the statement)", (("admin",), None),
                        (("case_worker",), AGENCY_OR_REFERRED), (("supervisor",), OWN_AGENCY),
                        (("police_liaison",), REFERRED_TO_POLICE)),
    "case.open": rule("Open a case for a walk-in or a SAPA 129 call", "case_worker", "supervisor"),
    "case.update": grants("Complete a case's steps, add follow-ups, request closure", (("case_worker",), OWN_AGENCY),
                          (("supervisor",), OWN_AGENCY)),
    "case.statement.read": grants("Read the child's statement and the notes beside it (audited; only under consent)",
                                  (("case_worker",), AGENCY_OR_REFERRED), (("supervisor",), OWN_AGENCY),
                                  (("police_liaison",), REFERRED_TO_POLICE)),
    "case.statement.record": grants("Record the child's statement (a second one needs a reason)",
                                    (("case_worker",), OWN_AGENCY), (("supervisor",), OWN_AGENCY)),
    "case.note.add": grants("Add a note beside the statement", (("case_worker",), AGENCY_OR_REFERRED),
                            (("supervisor",), OWN_AGENCY)),
    "case.consent.manage": grants("Record and withdraw consent", (("case_worker",), OWN_AGENCY),
                                  (("supervisor",), OWN_AGENCY)),
    # assignment: a supervisor assigns a case of their agency to one of its case workers (or reassigns it); a
    # case worker takes an unassigned case of their agency (cases/assignment.py decides which of the two)
    "case.assign": grants("Assign a case of one's agency to a case worker (a case worker: take an unassigned one)",
                          (("case_worker",), OWN_AGENCY), (("supervisor",), OWN_AGENCY)),
    "case.close.approve": grants("Approve or return a closure request", (("supervisor",), OWN_AGENCY)),
}

# A decision on a report or network (services/workspace.py) does another action on the actor's behalf, so it
# needs that action's grant too: deciding must never be a back door into the hash list or takedown orders.
DECISION_ACTIONS: dict[str, str] = {"confirm_material": "hashlist.change", "takedown": "takedown.issue",
                                    "close": "report.update"}


def get_rule(action: str) -> Rule:
    try:
        return POLICY[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}: add it to access/policy.py POLICY") from None


def _grants_for(actor: Actor, action: str) -> list[Grant]:
    return [g for g in get_rule(action).grants if actor.principal in g.who]


def record_filter(actor: Actor, action: str) -> RecordFilter | None:
    """Which records the actor may reach for ``action``: None when it may not act at all. A grant without a
    condition reaches every record."""
    grants = _grants_for(actor, action)
    if not grants:
        return None
    if any(g.condition is None for g in grants):
        return EVERY_RECORD
    # Several conditional grants: the first one's filter (a union of filters is for when that happens).
    return grants[0].condition.filter_for(actor)


def allowed(actor: Actor, action: str, record: Mapping[str, object] | None = None) -> bool:
    """May ``actor`` do ``action`` (to ``record``, given as its fields, e.g. ``{"platform_id": 3}``)?"""
    grants = _grants_for(actor, action)
    if record is None:
        return bool(grants)
    return any(g.condition is None or g.condition.filter_for(actor).admits(record) for g in grants)


def roles_allowed(action: str) -> tuple[str, ...]:
    """The staff roles that may do ``action`` (e.g. who can be assigned a report)."""
    principals = get_rule(action).principals
    return tuple(r for r in ROLES if r in principals)


def _check_table() -> None:
    for action, r in POLICY.items():
        unknown = r.principals - set(PRINCIPALS)
        if unknown:
            raise ValueError(f"{action}: unknown principals {sorted(unknown)}")
        # Anyone can drop their credentials, so an action open to anonymous is open to all.
        if r.public and r.principals != set(PRINCIPALS):
            raise ValueError(f"{action}: an action anonymous may do must be granted to everyone")
        if r.for_platforms and r.for_staff:
            raise ValueError(f"{action}: one action is for platforms (API key) or staff (session), not both")


_check_table()
