"""Network (cluster) pages: the list, one network with everything an analyst needs to act, cutting links,
marking identifiers as not linking (administrators), decisions, and evidence package downloads.

Who may do what (access/policy.py): analysts and administrators may see networks and act on them (a regulator may
not); marking an identifier as not linking changes every network it joins, so it is for administrators. A decision
that acts on the hash list or issues orders also needs that action. Views and actions are audited by the services.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from safe4c.access.rules.policy import DECISION_ACTIONS
from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.validation import parse_id
from safe4c.kernel.errors import Invalid
from safe4c.kernel.signals import HASH_KINDS, LABELS
from safe4c.workspace import network_page as clusters
from safe4c.networks import corrections
from safe4c.workspace import assignment, decisions, queries as workspace
from safe4c.access.accounts import StaffUser
from safe4c.web import auth
from safe4c.web.authorization import Allowed, require
from safe4c.web.deps import UowDep
from safe4c.web.i18n import translate
from safe4c.web.inputs import IdPath
from safe4c.web.pages.render import environment
from safe4c.web.pages.staff import field_errors, page

router = APIRouter(prefix="/staff", include_in_schema=False, route_class=auth.StaffRoute)

DECISION_LABELS = {
    "confirm_material": N_("Confirm material as illegal"),
    "takedown": N_("Issue takedown orders"),
    "refer_police": N_("Refer to the police"),
    "refer_child": N_("Refer the child for help"),
    "open_case": N_("Open a case"),
    "close": N_("Close as not actionable"),
}
DONE_MESSAGES = {
    "confirm_material": N_("The hashes were added to the confirmed list and the decision was recorded."),
    "takedown": N_("The takedown orders were issued and the decision was recorded."),
    "takedown_partial": N_("Some takedown orders were issued and the decision was recorded. Targets whose platform is "
                           "not known got no order: set the account's platform on the network page, or choose the "
                           "platform in the takedown form, then issue again."),
    "takedown_none": N_("No takedown order was issued: no registered platform is known for these targets. The "
                        "decision is recorded. Set the account's platform on the network page, or choose the platform "
                        "in the takedown form, then issue again."),
    "takedown_existing": N_("No new takedown order was issued: each target already has an open order for its platform. "
                            "The decision is recorded."),
    "refer_police": N_("The police referral and its evidence package were recorded."),
    "refer_child": N_("The referral for help was recorded. It will be handed to case management."),
    "open_case": N_("The case was opened and handed to the agency nearest the child. You will see its stage "
                    "here; its statement and notes are for the case workers."),
    "close": N_("The open reports were closed and the decision was recorded."),
    "assign": N_("The assignment was saved."),
    "cut": N_("The link was cut and the network was split."),
    "linking": N_("The identifier was updated and the networks were recomputed."),
}
IDENTIFIER_KINDS = {
    "phone": N_("Phone number"), "email": N_("E-mail address"), "handle": N_("Account"), "url": N_("Link"),
    "tg_invite": N_("Telegram invite"), "wa_invite": N_("WhatsApp group invite"), "ewallet": N_("E-wallet"),
    "bank": N_("Bank account"), **{kind: LABELS[kind] for kind in HASH_KINDS},
}
TIMELINE_KINDS = {
    "received": N_("Report received"), "linked": N_("Linked to a network"),
    "raised": N_("Priority raised: linked to an urgent network"), "matched": N_("Matched known material"),
    "triaged": N_("Triaged"), "status": N_("Status changed"), "order_issued": N_("Takedown order issued"),
    "order_removed": N_("Content removed"), "decision": N_("Decision"),
}


# The report and queue pages (web/pages/reports.py) render the workspace parts too: their labels are globals.
environment().globals.update(decision_labels=DECISION_LABELS, kind_labels=IDENTIFIER_KINDS,
                             hash_kinds=list(HASH_KINDS), done_messages=DONE_MESSAGES)


def _context() -> dict:
    return {"decision_labels": DECISION_LABELS, "kind_labels": IDENTIFIER_KINDS, "timeline_labels": TIMELINE_KINDS,
            "done_messages": DONE_MESSAGES}


def refused(request: Request, staff, exc: Invalid, back: str) -> HTMLResponse:
    """A decision or action that was not recorded: what was wrong, and the way back (nothing was changed)."""
    return page(request, "clusters/refused.html", status_code=422, staff=staff, errors=field_errors(exc), back=back)


def _ids(values: list[str]) -> list[int]:
    return [i for i in map(parse_id, values) if i is not None][:200]


def assign_in(request: Request, uow, staff, where, *, assignee: str, back: str, done: str):
    """Assign a report or a whole network (``where``), then go to ``done``; refusals go back."""
    try:
        assignment.assign(uow=uow, where=where, assignee_id=parse_id(assignee),
                         actor_id=staff.id)
    except Invalid as exc:
        return refused(request, staff, exc, back)
    return RedirectResponse(done, status_code=303)


def decide_in(request: Request, uow, staff, where, kind: str, *, reason: str, identifiers: list[str],
              platform: str, category: str, back: str, done: str):
    """Record a decision on a report or a whole network (``where``), then go to ``done``; refusals go back."""
    require(staff, DECISION_ACTIONS.get(kind))
    try:
        outcome = decisions.decide(uow=uow, kind=kind, where=where, actor_id=staff.id, reason=reason,
                                   identifier_ids=_ids(identifiers), platform_id=parse_id(platform),
                                   category=category)
    except Invalid as exc:
        return refused(request, staff, exc, back)
    if kind == "takedown":  # say what happened: a decision that issued no order must not read as done
        done = f"{done.rsplit('=', 1)[0]}={takedown_result(outcome.detail)}"
    return RedirectResponse(done, status_code=303)


def takedown_result(detail: dict) -> str:
    """Which message a takedown decision gets: all ordered, some without a known platform, none for want of a
    platform, or none because every target already had an open order."""
    if detail.get("orders"):
        return "takedown_partial" if detail.get("without_platform") else "takedown"
    return "takedown_none" if detail.get("without_platform") else "takedown_existing"


@router.get("/clusters", response_class=HTMLResponse)
def clusters_page(request: Request, uow: UowDep, staff: Annotated[StaffUser, Allowed("network.view")]):
    return page(request, "clusters/list.html", staff=staff, rows=clusters.list_clusters(uow=uow), **_context())


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(request: Request, cluster_id: IdPath, uow: UowDep, staff: Annotated[StaffUser, Allowed("network.view")],
                 done: str | None = None):
    view = clusters.view_cluster(uow=uow, cluster_id=cluster_id, actor_id=staff.id)
    if isinstance(view, clusters.Moved):  # merged into another network: go there (nothing shown or audited)
        return RedirectResponse(f"/staff/clusters/{view.id}", status_code=303)
    return page(request, "clusters/detail.html", staff=staff, c=view, done=DONE_MESSAGES.get(done or ""),
                analysts=workspace.analysts(uow=uow), **_context())


@router.post("/clusters/{cluster_id}/assign")
def assign_cluster(request: Request, cluster_id: IdPath, uow: UowDep,
                   staff: Annotated[StaffUser, Allowed("network.decide", csrf=True)],
                   assignee: Annotated[str, Form()] = ""):
    where = workspace.scope(uow, cluster_id=cluster_id)
    back = f"/staff/clusters/{where.cluster_id}"
    return assign_in(request, uow, staff, where, assignee=assignee, back=back, done=f"{back}?done=assign")


@router.post("/clusters/{cluster_id}/decisions/{kind}")
def cluster_decision(request: Request, cluster_id: IdPath, kind: str, uow: UowDep,
                     staff: Annotated[StaffUser, Allowed("network.decide", csrf=True)],
                     reason: Annotated[str, Form()] = "", identifiers: Annotated[list[str], Form()] = [],
                     platform: Annotated[str, Form()] = "", category: Annotated[str, Form()] = "csam"):
    where = workspace.scope(uow, cluster_id=cluster_id)
    back = f"/staff/clusters/{where.cluster_id}"
    return decide_in(request, uow, staff, where, kind, reason=reason, identifiers=identifiers, platform=platform,
                     category=category, back=back, done=f"{back}?done={kind}")


@router.post("/links/{link_id}/cut")
def cut(request: Request, link_id: IdPath, uow: UowDep, staff: Annotated[StaffUser, Allowed("network.cut", csrf=True)],
        reason: Annotated[str, Form()] = "", cluster: Annotated[str, Form()] = ""):
    back = f"/staff/clusters/{cid}" if (cid := parse_id(cluster)) else "/staff/clusters"
    try:
        ids = corrections.cut_link(uow=uow, link_id=link_id, actor_id=staff.id, reason=reason)
    except Invalid as exc:
        return refused(request, staff, exc, back)
    return RedirectResponse(f"/staff/clusters/{ids[0]}?done=cut", status_code=303)


@router.post("/identifiers/{identifier_id}/linking")
def identifier_linking(request: Request, identifier_id: IdPath, uow: UowDep,
                       staff: Annotated[StaffUser, Allowed("identifier.linking", csrf=True)],
                       linking_: Annotated[str, Form(alias="linking")] = "0", reason: Annotated[str, Form()] = "",
                       cluster: Annotated[str, Form()] = ""):
    back = f"/staff/clusters/{cid}" if (cid := parse_id(cluster)) else "/staff/clusters"
    try:
        corrections.set_identifier_linking(uow=uow, identifier_id=identifier_id, linking=linking_ == "1",
                                       actor_id=staff.id, reason=reason)
    except Invalid as exc:
        return refused(request, staff, exc, back)
    return RedirectResponse(f"{back}?done=linking", status_code=303)


@router.get("/referrals/{referral_id}.json")
def referral_json(referral_id: str, uow: UowDep, staff: Annotated[StaffUser, Allowed("evidence.download")]):
    package = decisions.referral_package(uow=uow, referral_id=referral_id, actor_id=staff.id, fmt="json")
    body = json.dumps(package, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="evidence-{referral_id}.json"', "Cache-Control": "no-store"})


@router.get("/referrals/{referral_id}.pdf")
def referral_pdf(request: Request, referral_id: str, uow: UowDep,
                 staff: Annotated[StaffUser, Allowed("evidence.download")]):
    from safe4c.web.pages import evidence_pdf  # reportlab: loaded beside serving (web/app.py warm), not before it

    package = decisions.referral_package(uow=uow, referral_id=referral_id, actor_id=staff.id, fmt="pdf")
    return Response(evidence_pdf.render_pdf(package, translate=partial(translate, request.state.lang),
                                                    kinds=IDENTIFIER_KINDS, events=TIMELINE_KINDS), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="evidence-{referral_id}.pdf"', "Cache-Control": "no-store"})
