"""An account of unknown platform given its platform by an analyst (``networks/platform_choice.py``), and the
words for why two reports are linked (``networks/rules/link_reasons.py``), a template global of the network page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from safe4c.access.accounts import StaffUser
from safe4c.kernel.errors import Invalid
from safe4c.kernel.validation import parse_id
from safe4c.networks import platform_choice
from safe4c.networks.rules.link_reasons import link_reason, platform_name
from safe4c.web import auth
from safe4c.web.authorization import Allowed
from safe4c.web.deps import UowDep
from safe4c.web.inputs import IdPath
from safe4c.web.pages.clusters import refused
from safe4c.web.pages.render import environment

router = APIRouter(prefix="/staff", include_in_schema=False, route_class=auth.StaffRoute)

environment().globals.update(link_reason=link_reason, platform_name=platform_name,
                             choosable_platforms=platform_choice.CHOOSABLE)


@router.post("/identifiers/{identifier_id}/platform")
def identifier_platform(request: Request, identifier_id: IdPath, uow: UowDep,
                        staff: Annotated[StaffUser, Allowed("network.decide", csrf=True)],
                        platform: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
                        cluster: Annotated[str, Form()] = ""):
    back = f"/staff/clusters/{cid}" if (cid := parse_id(cluster)) else "/staff/clusters"
    try:
        touched = platform_choice.set_handle_platform(uow=uow, identifier_id=identifier_id, platform=platform,
                                                      actor_id=staff.id, reason=reason)
    except Invalid as exc:
        return refused(request, staff, exc, back)
    # the network the analyst came from may have been split or merged: go to the one that kept the handle
    dest = touched[0] if touched else cid
    return RedirectResponse(f"/staff/clusters/{dest}?done=linking" if dest else "/staff/clusters", status_code=303)
