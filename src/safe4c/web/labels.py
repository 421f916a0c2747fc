"""Template filters that turn stored codes into words in the reader's language, on every page.

- ``code|order_status``: a takedown order's status ("issued" -> "Diterbitkan" / "Issued");
- ``code|identifier_qualifier``: what an identifier's ``platform`` column holds, read by people: a platform's
  name, "platform not known" for an account whose platform the report did not say, or a provider code as it is;
- ``tlabel(kind, code)``: the msgid for any takedown code (status, target, category, event), for ``_()``;
- ``case_stages``: a case's stages (code -> msgid), for pages outside the case pages that name one.

The mappings themselves live with their rules (takedowns/rules/labels.py, kernel/platforms.py).
"""

from __future__ import annotations

from jinja2 import Environment, pass_context

from safe4c.cases.rules import workflow as case_workflow
from safe4c.kernel.i18n import N_
from safe4c.kernel.platforms import PLATFORMS
from safe4c.takedowns.rules import labels as takedown_labels

# An account named in free text with no platform (networks/rules/identifiers/model.py, UNKNOWN_PLATFORM).
QUALIFIERS = {**dict(PLATFORMS), "other": N_("Other platform"), "unknown": N_("platform not known")}


@pass_context
def order_status(context, code: str | None) -> str:
    return context["_"](takedown_labels.label("status", code))


@pass_context
def identifier_qualifier(context, code: str | None) -> str:
    if code in QUALIFIERS:
        return context["_"](QUALIFIERS[code])
    return code or ""


def install(env: Environment) -> None:
    env.filters.update(order_status=order_status, identifier_qualifier=identifier_qualifier)
    # case_stages: the report page names its case's stage (web/templates/staff/report.html)
    env.globals.update(tlabel=takedown_labels.label, case_stages=case_workflow.STAGES)
