"""Referrals of a case to a provider or to the police: what a referral may carry, who answers it, its states
and its respond-by deadline with a reminder before it (docs/cases.md, *Referrals*). Pure: plain values in.

Consent is read as a plain mapping with the fields of ``case_consents`` (``share_statement``, ``police``,
``services``, ``share_with``, ``withheld``, ``legal_basis``, ``withdrawn_at``): the case's current consent is its
newest record, and a withdrawn newest record means no consent at all, at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from safe4c.cases.rules import consent as consent_rules
from safe4c.kernel.i18n import N_

KINDS = ("services", "police")
# sent -> accepted -> delivered; sent -> declined; sent/accepted -> withdrawn (by the sender, with a reason)
STATUSES: dict[str, str] = {
    "sent": N_("Waiting for an answer"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "delivered": N_("Services delivered"),
    "withdrawn": N_("Withdrawn"),
}
MOVES: dict[str, tuple[str, ...]] = {"accept": ("sent",), "decline": ("sent",), "deliver": ("accepted",),
                                     "withdraw": ("sent", "accepted")}
# The legal grounds on which a case goes to the police without the child's (or guardian's) consent: UU TPKS
# Art. 14(3) makes electronic sexual violence against a child not complaint-based; a court order.
POLICE_LEGAL_BASES = ("tpks_14_3", "court_order")
POLICE_AGENCY_TYPE = "police_unit"

NO_CONSENT = N_("This case has no consent to services (or it was withdrawn): a referral cannot be sent. Record "
                "the child's consent first.")
NO_POLICE_GROUND = N_("A referral to the police needs the consent to report to the police, or a legal basis "
                      "(UU TPKS Art. 14(3), a court order).")
NOT_POLICE = N_("A referral to the police goes to a police unit.")
POLICE_ONLY = N_("Choose the police referral for a police unit.")
WRONG_STATE = N_("This referral has already been answered: reload the page to see its state.")
NEED_REASON = N_("Say why the referral is declined, so the case worker can find another provider.")
CANNOT_WITHDRAW = N_("This referral can no longer be withdrawn (it was declined, delivered or already "
                     "withdrawn): reload the page to see its state.")
NEED_SERVICES = N_("Choose at least one service that was delivered.")


def current(consents: list[Mapping]) -> Mapping | None:
    """The consent in force: the newest record, unless it was withdrawn (then none)."""
    if not consents:
        return None
    newest = max(consents, key=lambda c: (c["recorded_at"], c.get("id") or 0))
    return None if newest.get("withdrawn_at") else newest


def may_share_statement(consent: Mapping | None, *, agency_code: str | None, agency_type: str | None,
                        police: bool = False) -> bool:
    """May the child's statement go to this receiver (an agency, or a directory organisation ``org:<hsds id>``)?
    The one rule of who reads the statement (``consent.may_read_statement``) asked for the receiver of a referral
    (``police``: a police referral): consent to share it that names the receiver or its type, or for a police
    unit consent to the police or a legal basis, and nothing withholding it; never without consent in force."""
    if agency_code is None or agency_type is None:
        return False
    reader = consent_rules.Reader(None, agency_code, agency_type, police_referral=police)
    return consent_rules.may_read_statement(consent_rules.from_mapping(consent), reader)


def may_refer_for_services(consent: Mapping | None) -> bool:
    return consent is not None and bool(consent.get("services"))


def police_ground(consents: list[Mapping]) -> str | None:
    """Why the case may go to the police: "consent" (the consent in force says so) or the legal basis (which a
    withdrawal of consent does not take away); None when neither."""
    in_force = current(consents)
    if in_force is not None and in_force.get("police"):
        return "consent"
    if consents:
        newest = max(consents, key=lambda c: (c["recorded_at"], c.get("id") or 0))
        if newest.get("legal_basis") in POLICE_LEGAL_BASES:
            return newest["legal_basis"]
    return None


def can_move(status: str, move: str) -> bool:
    return status in MOVES.get(move, ())


# --- the respond-by deadline and its reminder -------------------------------------------------------------

def respond_by(sent_at: datetime, *, hours: float) -> datetime:
    return sent_at + timedelta(hours=hours)


@dataclass(frozen=True)
class Follow:
    """What the reminder check does now: remind, mark overdue, and when to look again (None: never)."""

    remind: bool
    overdue: bool
    next_check: datetime | None


def reminder_at(due: datetime, *, before_hours: float) -> datetime:
    return due - timedelta(hours=before_hours)


def follow_up(*, status: str, due: datetime | None, reminded: bool, overdue: bool, now: datetime,
              before_hours: float) -> Follow:
    """A referral still waiting for an answer is reminded ``before_hours`` before its deadline and marked overdue
    when the deadline passes; an answered one is left alone. Idempotent: a mark already made is not made again."""
    if status != "sent" or due is None:
        return Follow(False, False, None)
    remind_now = not reminded and now >= reminder_at(due, before_hours=before_hours)
    overdue_now = not overdue and now >= due
    if overdue or overdue_now:
        next_check = None
    elif reminded or remind_now:
        next_check = due
    else:
        next_check = reminder_at(due, before_hours=before_hours)
    return Follow(remind_now, overdue_now, next_check)


def is_overdue(*, status: str, due: datetime | None, now: datetime) -> bool:
    return status == "sent" and due is not None and now >= due
