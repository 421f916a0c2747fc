"""Consent (docs/cases.md "Consent"): who gave it, what it covers, what is withheld from whom, the legal basis
where consent is not the basis, and who may therefore read the child's statement.

- Indonesian law counts everyone under 18 as a child (UU 35/2014 Art. 1). Field practice asks a parent's or
  guardian's consent as well as the child's own assent; ``case_guardian_consent_below_age`` (default 18) says
  below which age the guardian's consent is required. An age band counts by its youngest age, and an unknown
  age needs it: the rule never lets a young child's consent stand alone by accident.
- Where consent is not the basis, the legal basis says what may still be done: TPKS Art. 14(3) (sexual violence
  against a child is not a complaint-based offence) and a court order allow reporting to the police without
  consent; the child protection law (UU 35/2014) allows protective services in the child's interest. None of
  them shares the statement with service providers: only ``share_statement`` does.
- The lead agency, which took the statement and holds the case, always reads it. Another agency reads it only
  while the newest consent that is not withdrawn shares it with that agency (its code or ``type:<agency
  type>`` in ``share_with``) and does not withhold it from that agency. A police unit the case is referred to
  reads it with consent to report to the police or a legal basis that allows it. A withdrawal takes effect at
  once: the next read is decided against the consent as it is then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from safe4c.kernel.i18n import N_

LEGAL_BASES: dict[str, str] = {
    "consent": N_("Consent of the child (and guardian)"),
    "tpks_14_3": N_("UU TPKS Art. 14(3): not complaint-based for a child victim"),
    "child_protection_law": N_("Child protection law (UU 35/2014): protection in the child's interest"),
    "court_order": N_("Court order"),
}
POLICE_WITHOUT_CONSENT = frozenset({"tpks_14_3", "court_order"})
SERVICES_WITHOUT_CONSENT = frozenset({"child_protection_law", "court_order"})
WITHHOLDABLE: dict[str, str] = {"statement": N_("The statement"), "contact": N_("How to contact the child"),
                                "notes": N_("Notes")}
TYPE_PREFIX = "type:"
# The youngest age in each of the report form's age bands (reports/rules/report.py); unknown: None.
AGE_BAND_YOUNGEST: dict[str, int | None] = {"under_10": 0, "10_12": 10, "13_15": 13, "16_17": 16, "unknown": None}

GUARDIAN_NEEDED = N_("At this age a parent's or guardian's consent is needed too. If asking them would put "
                     "the child at risk, record the legal basis instead of consent.")
ASSENT_NEEDED = N_("The child's own agreement is needed when consent is the basis. Otherwise choose the legal "
                   "basis.")
REASON_NEEDED = N_("Say why these items are withheld.")
UNKNOWN_CHOICE = N_("This choice is not one of the allowed options.")


def guardian_required(age_band: str | None, below_age: int) -> bool:
    youngest = AGE_BAND_YOUNGEST.get(age_band or "unknown")
    return youngest is None or youngest < below_age


@dataclass(frozen=True)
class ConsentInput:
    child_assent: bool
    guardian_consent: bool
    services: bool
    share_statement: bool
    police: bool
    statistics: bool
    legal_basis: str = "consent"
    share_with: tuple[str, ...] = ()
    withheld: tuple[tuple[str, str], ...] = ()  # (from: agency code or "type:...", what)
    withheld_reason: str = ""


def problems(c: ConsentInput, *, age_band: str | None, guardian_below_age: int, known_targets: set[str]
             ) -> list[tuple[str, str]]:
    """(field, message) for each thing wrong with a consent; ``known_targets`` are the agency codes and
    ``type:<agency type>`` values that exist."""
    found = []
    if c.legal_basis not in LEGAL_BASES:
        found.append(("legal_basis", UNKNOWN_CHOICE))
    elif c.legal_basis == "consent":
        if not c.child_assent:
            found.append(("child_assent", ASSENT_NEEDED))
        if guardian_required(age_band, guardian_below_age) and not c.guardian_consent:
            found.append(("guardian_consent", GUARDIAN_NEEDED))
    if any(t not in known_targets for t in c.share_with):
        found.append(("share_with", UNKNOWN_CHOICE))
    if any(who not in known_targets or what not in WITHHOLDABLE for who, what in c.withheld):
        found.append(("withheld", UNKNOWN_CHOICE))
    if c.withheld and not c.withheld_reason.strip():
        found.append(("withheld_reason", REASON_NEEDED))
    return found


@dataclass(frozen=True)
class Consent:
    """The case's consent as it is now (the newest record not withdrawn), or none."""

    share_statement: bool
    police: bool
    services: bool
    legal_basis: str
    share_with: frozenset[str] = frozenset()
    withheld: frozenset[tuple[str, str]] = frozenset()  # (from, what)


def from_mapping(consent: Mapping | None) -> Consent | None:
    """A consent given as the fields of ``case_consents`` (``withheld``: ``{"from", "what"}`` items)."""
    if consent is None:
        return None
    return Consent(share_statement=bool(consent.get("share_statement")), police=bool(consent.get("police")),
                   services=bool(consent.get("services")), legal_basis=consent.get("legal_basis") or "consent",
                   share_with=frozenset(consent.get("share_with") or ()),
                   withheld=frozenset((w["from"], w["what"]) for w in consent.get("withheld") or ()))


@dataclass(frozen=True)
class Reader:
    """Who asks to read: the lead agency, an agency the case is referred to, or a police unit; or, when a
    referral is sent, its receiver (a directory organisation has no ``agency_id``). Known by its code and type:
    staff of no agency are ``Reader(None)`` and read nothing."""

    agency_id: int | None
    code: str = ""
    agency_type: str = ""
    is_lead: bool = False
    police_referral: bool = False  # a police unit this case was referred to
    names: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self):
        object.__setattr__(self, "names", frozenset({self.code, TYPE_PREFIX + self.agency_type}))


def withheld_from(consent: Consent, reader: Reader, what: str) -> bool:
    return any(w in reader.names and item == what for w, item in consent.withheld)


def may_read_statement(consent: Consent | None, reader: Reader) -> bool:
    """The one rule of who reads the child's statement (the case page, a referral's page, what a referral carries
    when it is sent)."""
    if not reader.code:
        return False
    if reader.is_lead:
        return True
    if consent is None or withheld_from(consent, reader, "statement"):
        return False
    if reader.police_referral and (consent.police or consent.legal_basis in POLICE_WITHOUT_CONSENT):
        return True
    return consent.share_statement and bool(consent.share_with & reader.names)


def may_read_note(consent: Consent | None, reader: Reader, note_agency_id: int) -> bool:
    """A note beside the statement, for a reader who may read the statement: the lead agency reads every note,
    an agency its own; another agency's notes only while the consent does not withhold notes from the reader."""
    if reader.agency_id is None:
        return False
    if reader.is_lead or note_agency_id == reader.agency_id:
        return True
    return consent is not None and not withheld_from(consent, reader, "notes")


def counts_in_statistics(consents: list[tuple[datetime, int, bool, bool]]) -> bool:
    """Does a case count in the de-identified statistics (docs/statistics.md)? ``consents``: (recorded_at, id,
    statistics, withdrawn) of each of its consent records. The newest record decides, as for sharing: a case
    counts unless that record says no to statistics or was withdrawn (a withdrawal withdraws this use too). A case
    with no consent recorded yet counts: its registration is a fact of the service, counted without the child."""
    if not consents:
        return True
    _, _, statistics, withdrawn = max(consents, key=lambda c: (c[0], c[1]))
    return bool(statistics) and not withdrawn
