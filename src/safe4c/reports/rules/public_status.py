"""What the person who reported may read about their report: what really happened, in plain, kind words.

The follow-up code is all it takes to read this, so it says what happened to *this* report and nothing
else: never another report, a network, a platform, an analyst, a priority or a number of orders. Pure: the
facts come in as plain values (reports/public_status.py gathers them), the words go out as msgids.
"""

from __future__ import annotations

from dataclasses import dataclass

from safe4c.reports.rules.taxonomy import N_


@dataclass(frozen=True)
class StatusFacts:
    """What happened to one report, as yes/no facts an outsider may learn from."""

    status: str  # the report's status: new, in_review, actioned, closed
    read: bool = False  # a trained person opened it, was given it, or decided on it
    takedown_requested: bool = False  # an order for content of this report, not withdrawn
    content_removed: bool = False  # such an order was confirmed removed
    acted_on: bool = False  # a trained person marked it as acted on (now or before)
    passed_on: bool = False  # passed to those who can act on it (a police referral)
    help_arranged: bool = False  # a referral for help, which the reporter agreed to
    closed_not_actionable: bool = False  # closed by a decision that nothing more can be done


@dataclass(frozen=True)
class Stage:
    code: str
    label: str  # a short tag
    text: str  # what it means, in a sentence or two


STAGES: dict[str, Stage] = {s.code: s for s in (
    Stage("received", N_("Received"),
          N_("We have received your report. A trained person will read it soon.")),
    Stage("in_review", N_("Being read"),
          N_("A trained person is reading your report and deciding what to do.")),
    Stage("takedown_requested", N_("Action taken"),
          N_("We have asked for the content you told us about to be taken down. This can take some time.")),
    Stage("content_removed", N_("Action taken"),
          N_("Content you told us about has been taken down.")),
    Stage("passed_on", N_("Action taken"),
          N_("We have passed your report on to the people who can act on it.")),
    Stage("action_taken", N_("Action taken"),
          N_("We have acted on your report. Thank you for telling us.")),
    Stage("help_arranged", N_("Help arranged"),
          N_("We have passed your report to a service that helps children, as you agreed.")),
    Stage("closed_after_action", N_("Closed"),
          N_("Your report is closed: we acted on it. Thank you for telling us. If something new happens, "
             "you can always make a new report.")),
    Stage("closed_not_actionable", N_("Closed"),
          N_("Your report is closed. A trained person read it carefully, and there was nothing more we could "
             "do this time. You were right to tell us. If something new happens, you can always make a new "
             "report.")),
    Stage("closed", N_("Closed"),
          N_("Your report is closed. If something new happens, you can always make a new report.")),
)}

# Each step that has happened, in the order it happens, as the person reads it in a list.
STEPS: dict[str, str] = {
    "received": N_("We received your report."),
    "read": N_("A trained person read it."),
    "takedown_requested": N_("We asked for the content to be taken down."),
    "content_removed": N_("The content was taken down."),
    "passed_on": N_("We passed it on to the people who can act on it."),
    "acted_on": N_("We acted on it."),
    "help_arranged": N_("We asked a service that helps children to help."),
    "closed": N_("The report is closed."),
}


@dataclass(frozen=True)
class Progress:
    stage: Stage
    steps: tuple[str, ...]  # codes of STEPS that have happened, in order

    @property
    def step_texts(self) -> tuple[str, ...]:
        return tuple(STEPS[code] for code in self.steps)


def progress(facts: StatusFacts) -> Progress:
    """The stage a report is at and the steps that led there."""
    acted = (facts.takedown_requested or facts.content_removed or facts.passed_on or facts.help_arranged
             or facts.acted_on)
    read = facts.read or acted or facts.status != "new"
    steps = ["received"]
    if read:
        steps.append("read")
    if facts.takedown_requested or facts.content_removed:
        steps.append("takedown_requested")
    if facts.content_removed:
        steps.append("content_removed")
    if facts.passed_on:
        steps.append("passed_on")
    if facts.help_arranged:
        steps.append("help_arranged")
    if facts.acted_on and len(steps) == 2:  # acted on, and none of the steps above says how
        steps.append("acted_on")
    if facts.status == "closed":
        steps.append("closed")
    return Progress(STAGES[_stage(facts, acted=acted, read=read)], tuple(steps))


def _stage(facts: StatusFacts, *, acted: bool, read: bool) -> str:
    if facts.status == "closed":
        if acted:
            return "closed_after_action"
        return "closed_not_actionable" if facts.closed_not_actionable else "closed"
    if facts.content_removed:
        return "content_removed"
    if facts.takedown_requested:
        return "takedown_requested"
    if facts.passed_on:
        return "passed_on"
    if facts.help_arranged:
        return "help_arranged"
    if facts.acted_on:
        return "action_taken"
    return "in_review" if read else "received"
