"""The shared vocabulary of a report: situations, platforms, who reports, urgent signals.

Labels are English msgids marked with ``N_`` so Babel extracts them; the web layer translates them.
Codes are stable: they are stored in the database and sent through the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from safe4c.kernel.i18n import N_  # noqa: F401 - re-exported: the rules mark their text with it
from safe4c.kernel.platforms import PLATFORM_CODES, PLATFORMS  # noqa: F401 - re-exported: part of the vocabulary


@dataclass(frozen=True)
class Situation:
    code: str
    title: str  # what a child would call it
    explanation: str  # what it looks like, in a child's words
    advice: tuple[str, ...]  # advice codes, see ADVICE
    cybertipline: str  # NCMEC CyberTipline incident type
    uu_tpks: str  # Law 12/2022 (UU TPKS) article, or the other law that applies


SITUATIONS: tuple[Situation, ...] = (
    Situation(
        "grooming",
        N_("Someone online is getting too close"),
        N_("An adult or older person you met online flatters you, gives gifts, asks you to keep secrets, "
           "asks for photos or wants to meet."),
        ("stop_chatting", "do_not_meet", "keep_evidence", "block_and_report", "tell_adult", "not_your_fault"),
        "Online Enticement of Children for Sexual Acts",
        "UU TPKS Art. 14(1)(c): electronic stalking for sexual purposes",
    ),
    Situation(
        "sextortion",
        N_("Someone threatens to share my photos or videos"),
        N_("Someone says they will spread your photos or videos unless you pay, send more, or do what they say."),
        ("do_not_pay", "do_not_send_more", "do_not_delete", "keep_evidence", "block_and_report", "tell_adult",
         "not_your_fault"),
        "Online Enticement of Children for Sexual Acts (sextortion)",
        "UU TPKS Art. 14(1) with Art. 14(2): threats or extortion aggravate",
    ),
    Situation(
        "image_sharing",
        N_("My private photos or videos were shared"),
        N_("Photos or videos of you were recorded, screenshotted or passed around without your consent."),
        ("do_not_delete", "keep_evidence", "block_and_report", "tell_adult", "not_your_fault"),
        "Child Pornography (possession, manufacture and distribution)",
        "UU TPKS Art. 14(1)(a) and (b): recording or sharing sexual content without consent",
    ),
    Situation(
        "unwanted_content",
        N_("Someone sends me sexual messages or pictures"),
        N_("You receive sexual messages, photos or videos that you did not want."),
        ("do_not_reply", "keep_evidence", "block_and_report", "tell_adult", "not_your_fault"),
        "Unsolicited Obscene Material Sent to a Child",
        "UU TPKS Art. 14(1)(b): sending sexual content against the recipient's will",
    ),
    Situation(
        "gaming",
        N_("Someone in an online game wants something in return"),
        N_("A player offers diamonds, skins, top-ups or money in return for photos, video calls or secrets."),
        ("do_not_accept_gifts", "stop_chatting", "keep_evidence", "block_and_report", "tell_adult",
         "not_your_fault"),
        "Online Enticement of Children for Sexual Acts",
        "UU TPKS Art. 14(1)(c)",
    ),
    Situation(
        "live_streaming",
        N_("I was asked to do things on a live video"),
        N_("Someone asks, pays or forces a child to do sexual things on a video call or live stream."),
        ("leave_the_call", "do_not_pay", "keep_evidence", "block_and_report", "tell_adult", "not_your_fault"),
        "Child Pornography (manufacture); Online Enticement of Children for Sexual Acts",
        "UU TPKS Art. 14(1) and Art. 4(2); UU Pornography 44/2008",
    ),
    Situation(
        "trafficking",
        N_("Someone offers children for \"open BO\" or paid dates"),
        N_("Someone offers children for sex or \"open BO\", or tries to recruit you with money or a job."),
        ("do_not_meet", "keep_evidence", "tell_adult", "call_now", "not_your_fault"),
        "Child Sex Trafficking",
        "UU TPPO 21/2007 (trafficking) with UU TPKS Art. 4(2)",
    ),
    Situation(
        "abuse_material",
        N_("I saw sexual images or videos of a child"),
        N_("You came across photos or videos online that show a child in a sexual way."),
        ("do_not_share_or_save", "report_the_link", "tell_adult"),
        "Child Pornography (possession, manufacture and distribution)",
        "UU Pornography 44/2008 Art. 4 and UU ITE Art. 27(1)",
    ),
    Situation(
        "other",
        N_("Something else worries me"),
        N_("Something else happened online that made you feel unsafe or uncomfortable."),
        ("keep_evidence", "block_and_report", "tell_adult", "not_your_fault"),
        "Other",
        "assessed by an analyst",
    ),
)
SITUATION_CODES = tuple(s.code for s in SITUATIONS)
SITUATIONS_BY_CODE = {s.code: s for s in SITUATIONS}

ADVICE: dict[str, str] = {
    "do_not_pay": N_("Do not pay and do not send anything more. Paying rarely stops the threats."),
    "do_not_send_more": N_("Do not send more photos or videos, whatever they promise."),
    "do_not_delete": N_("Do not delete the chat or your account yet: it is evidence."),
    "keep_evidence": N_("Keep evidence: note the usernames, links, phone numbers, dates and times."),
    "block_and_report": N_("After you have noted the details, block the person and report them in the app."),
    "tell_adult": N_("Tell an adult you trust: a parent, teacher or counsellor."),
    "not_your_fault": N_("It is not your fault. You did the right thing by telling someone."),
    "stop_chatting": N_("Stop chatting with them. You do not owe anyone an answer."),
    "do_not_meet": N_("Do not meet them. If a meeting is planned, tell an adult or call 110 now."),
    "do_not_reply": N_("Do not reply to them."),
    "do_not_accept_gifts": N_("Do not accept diamonds, skins or top-ups from strangers: they are used to make you feel you owe something."),
    "leave_the_call": N_("Leave the call or the stream. You can always say no."),
    "call_now": N_("If someone is in danger now, call the police on 110 or 112."),
    "do_not_share_or_save": N_("Do not share, download or screenshot it: that spreads the harm. Report the link instead."),
    "report_the_link": N_("Copy the link (the address of the page) into the report form."),
}

def advice_for(situations) -> list[str]:
    """The advice msgids for what was reported, most specific situation first, each piece once."""
    codes: list[str] = []
    for code in situations:
        for advice in SITUATIONS_BY_CODE[code].advice:
            if advice not in codes:
                codes.append(advice)
    return [ADVICE[c] for c in codes]



REPORTER_ROLES: tuple[tuple[str, str], ...] = (
    ("child", N_("I am the child it happened to")),
    ("parent", N_("I am a parent or guardian")),
    ("teacher", N_("I am a teacher or school staff")),
    ("other_adult", N_("I am another adult")),
    ("other_child", N_("I am a friend or another child")),
)
REPORTER_ROLE_CODES = tuple(code for code, _ in REPORTER_ROLES)

AGE_BANDS: tuple[tuple[str, str], ...] = (
    ("under_10", N_("Under 10")),
    ("10_12", N_("10 to 12")),
    ("13_15", N_("13 to 15")),
    ("16_17", N_("16 or 17")),
    ("unknown", N_("I don't know")),
)
AGE_BAND_CODES = tuple(code for code, _ in AGE_BANDS)

GENDERS: tuple[tuple[str, str], ...] = (
    ("girl", N_("Girl")),
    ("boy", N_("Boy")),
    ("prefer_not", N_("Prefer not to say")),
)
GENDER_CODES = tuple(code for code, _ in GENDERS)

DISABILITY: tuple[tuple[str, str], ...] = (
    ("yes", N_("Yes")),
    ("no", N_("No")),
    ("unknown", N_("I don't know")),
)
DISABILITY_CODES = tuple(code for code, _ in DISABILITY)

WHEN: tuple[tuple[str, str], ...] = (
    ("now", N_("It is happening now")),
    ("today", N_("Today")),
    ("this_week", N_("This week")),
    ("this_month", N_("This month")),
    ("earlier", N_("Earlier")),
)
WHEN_CODES = tuple(code for code, _ in WHEN)

URGENT_SIGNALS: tuple[tuple[str, str], ...] = (
    ("danger_now", N_("A child is in danger right now")),
    ("meeting_planned", N_("Someone plans to meet the child")),
    ("threat_deadline", N_("There is a threat with a deadline")),
    ("live_now", N_("A live stream or video call is happening now")),
    ("self_harm", N_("The child is thinking about hurting themselves")),
)
URGENT_SIGNAL_CODES = tuple(code for code, _ in URGENT_SIGNALS)

CONTACT_METHODS: tuple[tuple[str, str], ...] = (
    ("none", N_("Stay anonymous: do not contact me")),
    ("phone", N_("Phone call")),
    ("whatsapp", N_("WhatsApp")),
    ("email", N_("E-mail")),
)
CONTACT_METHOD_CODES = tuple(code for code, _ in CONTACT_METHODS)

STATUSES: tuple[tuple[str, str], ...] = (
    ("new", N_("New")),
    ("in_review", N_("In review")),
    ("actioned", N_("Actioned")),
    ("closed", N_("Closed")),
)
STATUS_CODES = tuple(code for code, _ in STATUSES)

# Allowed status changes, the usual next step first: new -> in review -> actioned -> closed;
# closing is possible from anywhere, and a closed report can be reopened.
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_review", "closed"),
    "in_review": ("actioned", "closed", "new"),
    "actioned": ("closed", "in_review"),
    "closed": ("in_review",),
}


def next_statuses(from_status: str) -> tuple[str, ...]:
    return STATUS_TRANSITIONS.get(from_status, ())


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in STATUS_TRANSITIONS.get(from_status, ())
