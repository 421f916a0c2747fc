"""Explainable triage: a report's facts become a priority P1-P4, the reasons, and a first-action deadline.

Every rule that fires adds a reason with the priority it asks for; the report gets the most urgent of them.
Vulnerability rules then raise the result by one level (never above P1), again with a reason.
Rules and their reasons are listed in docs/triage.md; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from safe4c.kernel.priority import PRIORITIES
from safe4c.reports.rules.taxonomy import N_



@dataclass(frozen=True)
class TriageFacts:
    situations: tuple[str, ...]
    urgent_signals: tuple[str, ...] = ()
    age_band: str | None = None
    disability: str | None = None
    reporter_role: str | None = None
    has_identifiers: bool = False  # usernames, numbers or links that an analyst can act on
    known_material: bool = False  # a hash or URL matched the confirmed list
    linked_to_urgent: bool = False  # shares an identifier with a P1 report or confirmed material
    platform_escalation: bool = False  # a platform's report flagged "escalate to urgent"


@dataclass(frozen=True)
class Reason:
    code: str
    text: str  # English msgid; the web layer translates it
    priority: str  # the priority this rule asks for, or "+1" for a raise


@dataclass(frozen=True)
class Triage:
    priority: str
    reasons: tuple[Reason, ...]
    deadline_at: datetime

    def reason_codes(self) -> list[str]:
        return [r.code for r in self.reasons]


URGENT_SIGNAL_REASONS = {
    "danger_now": N_("A child is in danger right now."),
    "meeting_planned": N_("Someone plans to meet the child in person."),
    "threat_deadline": N_("The child is threatened with a deadline."),
    "live_now": N_("A live stream or video call is happening now."),
    "self_harm": N_("The child may hurt themselves."),
}

SITUATION_RULES: dict[str, tuple[str, str]] = {
    "sextortion": ("P2", N_("Sextortion: threats to share images, with demands for money or more images.")),
    "live_streaming": ("P2", N_("Live-streamed abuse of a child.")),
    "trafficking": ("P2", N_("An offer of children for sex or \"open BO\": possible trafficking.")),
    "abuse_material": ("P2", N_("Child sexual abuse material is online and must be removed within 4 hours of an order.")),
    "image_sharing": ("P3", N_("Sexual images of a child shared without consent.")),
    "grooming": ("P3", N_("Grooming: an adult building trust with a child for sexual purposes.")),
    "gaming": ("P3", N_("Exploitation through an online game.")),
    "unwanted_content": ("P3", N_("Sexual content sent to a child against their will.")),
    "other": ("P4", N_("Another concern, to be assessed by an analyst.")),
}

YOUNG_CHILD_BANDS = frozenset({"under_10", "10_12"})

# Reasons that can also be added after intake (a hash-list match, an urgent network): one text each, used by
# triage and by the raise after intake (reports/rules/escalation.py).
KNOWN_MATERIAL = "match.known_material"
LINKED_TO_URGENT = "link.urgent_cluster"
PLATFORM_ESCALATED = "platform.escalated"
RAISE_REASONS: dict[str, str] = {
    KNOWN_MATERIAL: N_("Reported content matches known child sexual abuse material."),
    LINKED_TO_URGENT: N_("Linked to a report that is urgent or holds confirmed material."),
    PLATFORM_ESCALATED: N_("The reporting platform escalated this report as urgent: a child may be in imminent danger."),
}


def p1_reason(code: str) -> Reason:
    """The P1 reason with this code (``RAISE_REASONS``), as triage writes it."""
    return Reason(code, RAISE_REASONS[code], "P1")


def triage(facts: TriageFacts, *, received_at: datetime, deadline_minutes: Mapping[str, int]) -> Triage:
    reasons: list[Reason] = []
    for signal in facts.urgent_signals:
        if signal in URGENT_SIGNAL_REASONS:
            reasons.append(Reason(f"urgent.{signal}", URGENT_SIGNAL_REASONS[signal], "P1"))
    if facts.known_material:
        reasons.append(p1_reason(KNOWN_MATERIAL))
    if facts.linked_to_urgent:
        reasons.append(p1_reason(LINKED_TO_URGENT))
    if facts.platform_escalation:
        reasons.append(p1_reason(PLATFORM_ESCALATED))
    for code in facts.situations:
        if code in SITUATION_RULES:
            priority, text = SITUATION_RULES[code]
            reasons.append(Reason(f"situation.{code}", text, priority))
    if not reasons:
        reasons.append(Reason("default", N_("No specific risk was reported; an analyst will assess it."), "P4"))

    reasons.sort(key=lambda r: PRIORITIES.index(r.priority))  # the reason that decided comes first
    priority = reasons[0].priority

    raise_reasons = []
    if facts.age_band in YOUNG_CHILD_BANDS:
        raise_reasons.append(Reason("vulnerable.young_child", N_("The child is younger than 13."), "+1"))
    if facts.disability == "yes":
        raise_reasons.append(Reason("vulnerable.disability", N_("The child has a disability."), "+1"))
    if raise_reasons and priority != "P1":
        # One raise for vulnerability, however many apply: the reasons say which.
        priority = PRIORITIES[PRIORITIES.index(priority) - 1]
        reasons.extend(raise_reasons)
    elif raise_reasons:
        reasons.extend(raise_reasons)

    if not facts.has_identifiers and priority in ("P3", "P4"):
        reasons.append(Reason("info.no_identifiers", N_("No account, number or link was given to act on."), priority))

    minutes = deadline_minutes[priority]
    return Triage(priority, tuple(reasons), received_at + timedelta(minutes=minutes))
