"""Every registered route x every actor, against ONE table of expected outcomes, on SQLite and PostgreSQL.

Each request is real (in-process, through every middleware), with valid inputs: ids of objects that exist, a
valid CSRF token for staff forms, so what is tested is who may, not whether the form was filled in. A route
with no row in TABLE fails; so does a row for a route that no longer exists.

Outcomes: ``ok`` (2xx, or a redirect elsewhere than the login page), ``login`` (303 to /staff/login), ``out``
(signed out: 303 to /staff/login clearing the session cookie), ``401`` (no valid API key), ``403`` (refused),
``404`` (another platform's order: not even confirmed to exist).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from helpers import hidden, login, make_user
from sqlalchemy import select

from safe4c.db.linking import ClusterLink, ReportIdentifier, SavedFilter
from safe4c.db.tables import Report
from safe4c.reports.rules.report import parse_report
from safe4c.directory import seed as directory_seed
from safe4c.directory import service as directory_service
from safe4c.hashlist import banks as hashlist
from safe4c.reports import intake
from safe4c.workspace import decisions as workspace, saved_filters
from safe4c.networks import linking, membership
from safe4c.access import platforms
from safe4c.takedowns import orders as takedowns
from safe4c.access.platforms import PlatformPrincipal
from safe4c.db.platforms import WebhookDelivery
from safe4c.reports.platform_intake import submit_platform_report
from safe4c.reports.rules.platform_report import parse_platform_report
from safe4c.worker import Worker

# Case management (docs/cases.md): agency A (a regency UPTD PPA in West Java) leads the cases in the world,
# agency B (a provincial UPTD PPA in East Java) leads none of them, and police unit P received a police
# referral of the shared case; a national officer works for no agency.
CASE_STAFF = {"worker_a": ("case_worker", "a"), "worker_b": ("case_worker", "b"),
              "supervisor_a": ("supervisor", "a"), "supervisor_b": ("supervisor", "b"),
              "police": ("police_liaison", "p"), "national": ("national_officer", None)}
ACTORS = ("anonymous", "code_holder", "platform_a", "platform_b", "regulator", "analyst", "admin", *CASE_STAFF)
STAFF = ("regulator", "analyst", "admin", *CASE_STAFF)
REASON = "Alasan pemeriksaan matriks akses."
NO_CASE = "00000000-0000-4000-8000-000000000000"  # the roles here are refused before any case is looked up


@dataclass
class Call:
    """How to call a route; ``{k.name}`` in the url and values is filled from the actor's kit."""

    method: str
    url: str
    data: dict | None = None  # a form (staff forms get the actor's CSRF token)
    json: object = None
    files: dict | None = None
    login_form: bool = False  # the sign-in form: its own CSRF cookie and field

    def kwargs(self, kit: Kit) -> dict:
        out = {}
        if self.data is not None:
            out["data"] = fill(self.data, kit)
        if self.json is not None:
            out["json"] = fill(self.json, kit)
        if self.files is not None:
            out["files"] = {name: (fname, fill(body, kit).encode(), kind)
                            for name, (fname, body, kind) in self.files.items()}
        return out


def fill(value, kit: Kit):
    """Strings with ``{k.name}`` get the kit's value; dicts and lists are filled throughout."""
    if isinstance(value, str):
        return value.format(k=kit) if "{k." in value else value
    if isinstance(value, dict):
        return {name: fill(v, kit) for name, v in value.items()}
    if isinstance(value, list):
        return [fill(v, kit) for v in value]
    return value


def get(url: str) -> Call:
    return Call("GET", url)


def form(url: str, **data) -> Call:
    return Call("POST", url, data={**data, "csrf": "{k.csrf}"})


def api(method: str, url: str, body: object = None) -> Call:
    return Call(method, url, json=body)


PLATFORM_REPORT = {"incident": {"situation": "sextortion", "time": "2026-01-05T06:30:00+07:00"},
                   "content": [{"url": "https://www.tiktok.com/@matriks/video/1"}]}

# One row per route and method:                 anonymous, code holder, platform A, platform B, regulator,
#                                               analyst, admin, worker A, worker B, supervisor A, supervisor B,
#                                               police liaison P, national officer
TABLE: dict[tuple[str, str], tuple[str, Call]] = {
    # the framework's routes and the static files
    ("GET", "/openapi.json"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", get("/openapi.json")),
    ("HEAD", "/openapi.json"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", Call("HEAD", "/openapi.json")),
    ("GET", "/static"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", get("/static/staff.css")),
    ("GET", "/healthz"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", get("/healthz")),
    # the public portal and API
    ("GET", "/"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", get("/")),
    ("GET", "/situasi/{code}"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", get("/situasi/grooming")),
    ("GET", "/lapor"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", get("/lapor")),
    ("POST", "/lapor"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", Call("POST", "/lapor", data={"situations": "grooming"})),
    ("GET", "/status"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", get("/status")),
    ("POST", "/status"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", Call("POST", "/status", data={"code": "{k.code}"})),
    ("POST", "/api/v1/public/reports"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok",
                                         api("POST", "/api/v1/public/reports", {"situations": ["grooming"]})),
    ("POST", "/api/v1/public/reports/status"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok",
                                                api("POST", "/api/v1/public/reports/status", {"code": "{k.code}"})),
    # the platform API: a platform's own reports, orders and figures; A's orders are not B's business
    ("POST", "/api/v1/reports"): ("401 401 ok ok 401 401 401 401 401 401 401 401 401", api("POST", "/api/v1/reports", PLATFORM_REPORT)),
    ("GET", "/api/v1/takedowns"): ("401 401 ok ok 401 401 401 401 401 401 401 401 401", get("/api/v1/takedowns")),
    ("GET", "/api/v1/takedowns/{order_id}"): ("401 401 ok 404 401 401 401 401 401 401 401 401 401", get("/api/v1/takedowns/{k.a_order}")),
    ("POST", "/api/v1/takedowns/{order_id}/acknowledge"): (
        "401 401 ok 404 401 401 401 401 401 401 401 401 401", api("POST", "/api/v1/takedowns/{k.a_ack}/acknowledge")),
    ("POST", "/api/v1/takedowns/{order_id}/removed"): (
        "401 401 ok 404 401 401 401 401 401 401 401 401 401", api("POST", "/api/v1/takedowns/{k.a_removed}/removed")),
    ("POST", "/api/v1/takedowns/{order_id}/dispute"): (
        "401 401 ok 404 401 401 401 401 401 401 401 401 401", api("POST", "/api/v1/takedowns/{k.a_dispute}/dispute", {"reason": REASON})),
    ("GET", "/api/v1/compliance"): ("401 401 ok ok 401 401 401 401 401 401 401 401 401", get("/api/v1/compliance")),
    ("GET", "/api/v1/reports/{report_id}"): ("401 401 ok 404 401 401 401 401 401 401 401 401 401", get("/api/v1/reports/{k.a_report}")),
    ("GET", "/api/v1/reports"): ("401 401 ok ok 401 401 401 401 401 401 401 401 401", get("/api/v1/reports?external_id=MATRIX-1")),
    ("GET", "/api/v1/webhook"): ("401 401 ok ok 401 401 401 401 401 401 401 401 401", get("/api/v1/webhook")),
    ("PUT", "/api/v1/webhook"): ("401 401 ok ok 401 401 401 401 401 401 401 401 401",
                                 api("PUT", "/api/v1/webhook", {"url": "https://93.184.216.34/matrix"})),
    ("POST", "/api/v1/webhook/secret"): ("401 401 ok ok 401 401 401 401 401 401 401 401 401",
                                         api("POST", "/api/v1/webhook/secret", {"grace_hours": 1})),
    ("POST", "/api/v1/webhook/test"): ("401 401 ok ok 401 401 401 401 401 401 401 401 401", api("POST", "/api/v1/webhook/test")),
    ("GET", "/api/v1/webhook/deliveries/{delivery_id}"): (
        "401 401 ok 404 401 401 401 401 401 401 401 401 401", get("/api/v1/webhook/deliveries/{k.a_delivery}")),
    ("POST", "/api/v1/match"): ("401 401 ok ok 401 401 401 401 401 401 401 401 401",
                                api("POST", "/api/v1/match", {"items": [{"type": "md5", "value": "{k.md5}"}]})),
    ("GET", "/api/v1/signals"): ("401 401 ok ok 401 401 401 401 401 401 401 401 401", get("/api/v1/signals")),
    # signing in and out
    ("GET", "/staff/login"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", get("/staff/login")),
    ("POST", "/staff/login"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", Call("POST", "/staff/login", login_form=True,
                                                            data={"username": "portier", "password": "{k.password}"})),
    ("POST", "/staff/logout"): ("login login login login out out out out out out out out out", form("/staff/logout")),
    # children's reports and the queue: never a regulator
    ("GET", "/staff"): ("login login login login 403 ok ok 403 403 403 403 403 403", get("/staff")),
    ("GET", "/staff/reports/{public_id}"): ("login login login login 403 ok ok 403 403 403 403 403 403", get("/staff/reports/{k.report}")),
    ("POST", "/staff/reports/{public_id}/status"): (
        "login login login login 403 ok ok 403 403 403 403 403 403",
        form("/staff/reports/{k.own_report}/status", status="in_review", note=REASON, current="new")),
    ("POST", "/staff/reports/{public_id}/assign"): (
        "login login login login 403 ok ok 403 403 403 403 403 403", form("/staff/reports/{k.report}/assign", assignee="{k.analyst_id}")),
    ("POST", "/staff/reports/{public_id}/decisions/{kind}"): (
        "login login login login 403 ok ok 403 403 403 403 403 403", form("/staff/reports/{k.report}/decisions/refer_police", reason=REASON)),
    ("POST", "/staff/queue/bulk"): ("login login login login 403 ok ok 403 403 403 403 403 403",
                                    form("/staff/queue/bulk", reports="{k.report}", action="assign",
                                         assignee="{k.analyst_id}", back="/staff")),
    ("POST", "/staff/filters"): ("login login login login 403 ok ok 403 403 403 403 403 403",
                                 form("/staff/filters", name="Baru {k.actor}", query="status=new")),
    ("POST", "/staff/filters/{filter_id}/delete"): ("login login login login 403 ok ok 403 403 403 403 403 403",
                                                    form("/staff/filters/{k.saved_filter}/delete")),
    ("GET", "/staff/users"): ("login login login login 403 403 ok 403 403 403 403 403 403", get("/staff/users")),
    ("POST", "/staff/users/{username}/unlock"): ("login login login login 403 403 ok 403 403 403 403 403 403",
                                                 form("/staff/users/portier/unlock")),
    # networks and evidence
    ("GET", "/staff/clusters"): ("login login login login 403 ok ok 403 403 403 403 403 403", get("/staff/clusters")),
    ("GET", "/staff/clusters/{cluster_id}"): ("login login login login 403 ok ok 403 403 403 403 403 403", get("/staff/clusters/{k.cluster}")),
    ("POST", "/staff/clusters/{cluster_id}/assign"): (
        "login login login login 403 ok ok 403 403 403 403 403 403", form("/staff/clusters/{k.cluster}/assign", assignee="{k.analyst_id}")),
    ("POST", "/staff/clusters/{cluster_id}/decisions/{kind}"): (
        "login login login login 403 ok ok 403 403 403 403 403 403", form("/staff/clusters/{k.cluster}/decisions/refer_police", reason=REASON)),
    ("POST", "/staff/links/{link_id}/cut"): ("login login login login 403 ok ok 403 403 403 403 403 403",
                                             form("/staff/links/{k.link}/cut", reason=REASON)),
    ("POST", "/staff/identifiers/{identifier_id}/linking"): (
        "login login login login 403 403 ok 403 403 403 403 403 403",
        form("/staff/identifiers/{k.identifier}/linking", linking="0", reason=REASON)),
    # a phone has a platform of no kind to set: allowed, then refused by the use case (409)
    ("POST", "/staff/identifiers/{identifier_id}/platform"): (
        "login login login login 403 409 409 403 403 403 403 403 403",
        form("/staff/identifiers/{k.identifier}/platform", platform="instagram", reason=REASON)),
    ("GET", "/staff/referrals/{referral_id}.json"): ("login login login login 403 ok ok 403 403 403 403 403 403",
                                                     get("/staff/referrals/{k.referral}.json")),
    ("GET", "/staff/referrals/{referral_id}.pdf"): ("login login login login 403 ok ok 403 403 403 403 403 403",
                                                    get("/staff/referrals/{k.referral}.pdf")),
    # the national hash list: analysts change it, administrators manage banks, a regulator nothing
    ("GET", "/staff/hashlist"): ("login login login login 403 ok ok 403 403 403 403 403 403", get("/staff/hashlist")),
    ("POST", "/staff/hashlist/banks"): ("login login login login 403 403 ok 403 403 403 403 403 403",
                                        form("/staff/hashlist/banks", name="Bank {k.actor}", confirmed="1")),
    ("GET", "/staff/hashlist/banks/{bank_id}"): ("login login login login 403 ok ok 403 403 403 403 403 403",
                                                 get("/staff/hashlist/banks/{k.bank}")),
    ("POST", "/staff/hashlist/banks/{bank_id}/enabled"): (
        "login login login login 403 403 ok 403 403 403 403 403 403", form("/staff/hashlist/banks/{k.bank}/enabled", enabled="1")),
    ("POST", "/staff/hashlist/banks/{bank_id}/entries"): (
        "login login login login 403 ok ok 403 403 403 403 403 403",
        form("/staff/hashlist/banks/{k.bank}/entries", signal_type="md5", value="{k.md5}", classification="csam")),
    ("POST", "/staff/hashlist/entries/{entry_id}/enabled"): (
        "login login login login 403 ok ok 403 403 403 403 403 403",
        form("/staff/hashlist/entries/{k.entry}/enabled", enabled="0", bank_id="{k.bank}")),
    ("POST", "/staff/hashlist/banks/{bank_id}/import"): (
        "login login login login 403 ok ok 403 403 403 403 403 403",
        Call("POST", "/staff/hashlist/banks/{k.bank}/import", data={"csrf": "{k.csrf}", "classification": "csam"},
             files={"file": ("list.csv", "sha256,{k.sha256}\n", "text/csv")})),
    ("GET", "/staff/hashlist/banks/{bank_id}/export.csv"): ("login login login login 403 ok ok 403 403 403 403 403 403",
                                                            get("/staff/hashlist/banks/{k.bank}/export.csv")),
    ("POST", "/staff/reports/{public_id}/hashes"): (
        "login login login login 403 ok ok 403 403 403 403 403 403",
        form("/staff/reports/{k.report}/hashes", bank_id="{k.bank}", signal_type="md5", value="{k.md5b}")),
    # the national data centre: aggregates only; regulators, analysts, admins and national officers see the
    # dashboards (case workers do not need them), anyone the open statistics
    ("GET", "/staff/statistics"): ("login login login login ok ok ok 403 403 403 403 403 ok", get("/staff/statistics")),
    ("GET", "/staff/statistics/reports"): ("login login login login ok ok ok 403 403 403 403 403 ok", get("/staff/statistics/reports")),
    ("GET", "/staff/statistics/response"): ("login login login login ok ok ok 403 403 403 403 403 ok", get("/staff/statistics/response")),
    ("GET", "/staff/statistics/cases"): ("login login login login ok ok ok 403 403 403 403 403 ok", get("/staff/statistics/cases")),
    ("GET", "/staff/statistics/coverage"): ("login login login login ok ok ok 403 403 403 403 403 ok", get("/staff/statistics/coverage")),
    ("GET", "/staff/statistics/iceberg"): ("login login login login ok ok ok 403 403 403 403 403 ok", get("/staff/statistics/iceberg")),
    ("GET", "/statistik"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", get("/statistik")),
    ("GET", "/statistik/data.csv"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", get("/statistik/data.csv")),
    ("GET", "/statistik/data.parquet"): ("ok ok ok ok ok ok ok ok ok ok ok ok ok", get("/statistik/data.parquet")),
    # the service directory: every staff role views (no child data), administrators export
    ("GET", "/staff/directory"): ("login login login login ok ok ok ok ok ok ok ok ok", get("/staff/directory")),
    ("GET", "/staff/directory/organizations/{org_id}"): ("login login login login ok ok ok ok ok ok ok ok ok",
                                                         get("/staff/directory/organizations/{k.organization}")),
    ("GET", "/staff/directory/coverage"): ("login login login login ok ok ok ok ok ok ok ok ok", get("/staff/directory/coverage")),
    ("GET", "/staff/directory/export.json"): ("login login login login 403 403 ok 403 403 403 403 403 403",
                                              get("/staff/directory/export.json")),
    # agencies (no child data): analysts and administrators list them (a regulator's work is platforms),
    # administrators add them; every staff member has the start page
    ("GET", "/staff/agencies"): ("login login login login 403 ok ok ok ok ok ok ok ok", get("/staff/agencies")),
    ("POST", "/staff/agencies"): ("login login login login 403 403 ok 403 403 403 403 403 403",
                                  form("/staff/agencies", code="matriks-{k.n}", name="Lembaga {k.actor}",
                                       agency_type="health", region_code="32")),
    ("GET", "/staff/home"): ("login login login login ok ok ok ok ok ok ok ok ok", get("/staff/home")),
    # referrals of a case and the case figures (h10c): only agency staff reach referrals (the use cases decide
    # which ones, by agency: tests/integration/test_case_referral_pages.py); figures for admins and national staff
    ("GET", "/staff/cases/figures"): ("login login login login 403 403 ok 403 403 ok ok 403 ok", get("/staff/cases/figures")),
    ("GET", "/staff/cases/{case_id}/referrals"): ("login login login login 403 403 403 404 404 404 404 404 403",
                                                  get(f"/staff/cases/{NO_CASE}/referrals")),
    ("POST", "/staff/cases/{case_id}/referrals"): ("login login login login 403 403 403 404 404 404 404 403 403",
                                                   form(f"/staff/cases/{NO_CASE}/referrals", reason=REASON)),
    ("GET", "/staff/case-referrals"): ("login login login login 403 403 403 ok ok ok ok ok 403", get("/staff/case-referrals")),
    ("GET", "/staff/case-referrals/{referral_id}"): ("login login login login 403 403 403 404 404 404 404 404 403",
                                                     get(f"/staff/case-referrals/{NO_CASE}")),
    ("POST", "/staff/case-referrals/{referral_id}/accept"): ("login login login login 403 403 403 404 404 404 404 404 403",
                                                             form(f"/staff/case-referrals/{NO_CASE}/accept")),
    ("POST", "/staff/case-referrals/{referral_id}/decline"): (
        "login login login login 403 403 403 404 404 404 404 404 403", form(f"/staff/case-referrals/{NO_CASE}/decline", reason=REASON)),
    ("POST", "/staff/case-referrals/{referral_id}/delivered"): (
        "login login login login 403 403 403 404 404 404 404 404 403", form(f"/staff/case-referrals/{NO_CASE}/delivered", services="outreach")),
    ("POST", "/staff/case-referrals/{referral_id}/withdraw"): (
        "login login login login 403 403 403 404 404 404 404 403 403", form(f"/staff/case-referrals/{NO_CASE}/withdraw", reason=REASON)),
    ("GET", "/staff/case-referrals/{referral_id}/package.json"): ("login login login login 403 403 403 403 403 403 403 404 403",
                                                                  get(f"/staff/case-referrals/{NO_CASE}/package.json")),
    # takedown orders (analysts) and compliance (regulators)
    ("GET", "/staff/takedowns"): ("login login login login 403 ok ok 403 403 403 403 403 403", get("/staff/takedowns")),
    ("POST", "/staff/takedowns"): ("login login login login 403 ok ok 403 403 403 403 403 403",
                                   form("/staff/takedowns", platform_id="{k.platform_a}", target_type="url",
                                        target_value="https://video.example.com/v/{k.actor}", category="csam")),
    ("GET", "/staff/takedowns/{public_id}"): ("login login login login 403 ok ok 403 403 403 403 403 403",
                                              get("/staff/takedowns/{k.a_order}")),
    ("POST", "/staff/takedowns/{public_id}/uphold"): ("login login login login 403 ok ok 403 403 403 403 403 403",
                                                      form("/staff/takedowns/{k.own_disputed}/uphold")),
    ("POST", "/staff/takedowns/{public_id}/withdraw"): ("login login login login 403 ok ok 403 403 403 403 403 403",
                                                        form("/staff/takedowns/{k.own_order}/withdraw",
                                                             reason="Dikirim ke platform yang salah.", confirm="yes")),
    ("GET", "/staff/compliance"): ("login login login login ok 403 ok 403 403 403 403 403 403", get("/staff/compliance")),
    ("GET", "/staff/compliance.csv"): ("login login login login ok 403 ok 403 403 403 403 403 403", get("/staff/compliance.csv")),
    ("GET", "/staff/compliance.pdf"): ("login login login login ok 403 ok 403 403 403 403 403 403", get("/staff/compliance.pdf")),
    # case management, the case core: agency A's case is 404 to agency B's staff (not even confirmed), 403 to a
    # role without the action; a police unit the case is referred to views it and reads the statement (consent)
    ("GET", "/staff/cases"): ("login login login login 403 403 ok ok ok ok ok ok 403", get("/staff/cases")),
    ("GET", "/staff/cases/new"): ("login login login login 403 403 403 ok ok ok ok 403 403", get("/staff/cases/new")),
    ("POST", "/staff/cases"): ("login login login login 403 403 403 ok ok ok ok 403 403",
                               form("/staff/cases", origin="walk_in", priority="P2", age_band="13_15", gender="girl",
                                    region_code="32.73", contact_method="none", contact_value="")),
    ("GET", "/staff/cases/{public_id}"): ("login login login login 403 403 ok ok 404 ok 404 ok 403",
                                          get("/staff/cases/{k.case}")),
    # assignment: a case worker takes an unassigned case of their agency, a supervisor assigns one
    ("POST", "/staff/cases/{public_id}/assign"): ("login login login login 403 403 403 ok 404 ok 404 403 403",
                                                  form("/staff/cases/{k.own_unassigned}/assign", assignee="me")),
    ("POST", "/staff/cases/{public_id}/statement/read"): ("login login login login 403 403 403 ok 404 ok 404 ok 403",
                                                          form("/staff/cases/{k.case}/statement/read")),
    ("POST", "/staff/cases/{public_id}/statement"): (
        "login login login login 403 403 403 ok 404 ok 404 403 403",
        form("/staff/cases/{k.case}/statement", body="Cerita anak untuk matriks.", language="id", reason=REASON)),
    ("POST", "/staff/cases/{public_id}/notes"): ("login login login login 403 403 403 ok 404 ok 404 403 403",
                                                 form("/staff/cases/{k.case}/notes", note="Catatan matriks.")),
    ("POST", "/staff/cases/{public_id}/consent"): (
        "login login login login 403 403 403 ok 404 ok 404 403 403",
        form("/staff/cases/{k.case}/consent", legal_basis="consent", share_with="type:police_unit",
             covers=["child_assent", "guardian_consent", "services", "share_statement", "police", "statistics"])),
    ("POST", "/staff/cases/{public_id}/consent/withdraw"): (
        "login login login login 403 403 403 ok 404 ok 404 403 403",
        form("/staff/cases/{k.own_case}/consent/withdraw", reason=REASON)),
    ("POST", "/staff/cases/{public_id}/steps/{step_id}/done"): (
        "login login login login 403 403 403 ok 404 ok 404 403 403",
        form("/staff/cases/{k.own_case}/steps/{k.own_step}/done", note="Anak dihubungi.")),
    ("POST", "/staff/cases/{public_id}/follow-ups"): ("login login login login 403 403 403 ok 404 ok 404 403 403",
                                                      form("/staff/cases/{k.case}/follow-ups", days="14")),
    ("POST", "/staff/cases/{public_id}/closure"): ("login login login login 403 403 403 ok 404 ok 404 403 403",
                                                   form("/staff/cases/{k.own_closable}/closure", note=REASON)),
    ("POST", "/staff/cases/{public_id}/closure/decide"): (
        "login login login login 403 403 403 403 403 ok 404 403 403",
        form("/staff/cases/{k.own_requested}/closure/decide", decision="approve", note=REASON)),
}


def registered_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route, routers included; a mount (the static files) counts as GET."""
    try:
        from fastapi.routing import iter_route_contexts  # routers are included lazily in newer FastAPI
        routes = list(iter_route_contexts(app.routes))
    except ImportError:
        routes = list(app.routes)
    return {(method, route.path) for route in routes for method in (getattr(route, "methods", None) or {"GET"})}


def test_every_route_has_exactly_one_row(settings):
    from sqlalchemy import create_engine

    from safe4c.web.app import create_app

    app = create_app(settings, engine=create_engine("sqlite://"))
    routes = registered_routes(app)
    assert not routes - TABLE.keys(), f"routes with no row in TABLE: {sorted(routes - TABLE.keys())}"
    assert not TABLE.keys() - routes, f"rows for routes that do not exist: {sorted(TABLE.keys() - routes)}"


def test_an_app_with_a_route_that_declares_no_action_does_not_start(settings):
    from fastapi import APIRouter
    from sqlalchemy import create_engine

    from safe4c.web import auth, authorization
    from safe4c.web.app import create_app

    app = create_app(settings, engine=create_engine("sqlite://"))
    assert authorization.route_problems(authorization.app_routes(app)) == []
    app.add_api_route("/staff/forgotten", lambda: "open to all")
    staff = APIRouter(route_class=auth.StaffRoute)
    staff.add_api_route("/staff/twice", lambda: "", dependencies=[authorization.Allowed("hashlist.view"),
                                                                   authorization.Allowed("report.view")])
    app.include_router(staff)
    plain = APIRouter()  # a staff action on a router that cannot send a visitor to the login page
    plain.add_api_route("/staff/plain", lambda: "", dependencies=[authorization.Allowed("hashlist.view")])
    app.include_router(plain)
    with pytest.raises(RuntimeError) as refused:
        authorization.check_routes(app)
    problems = str(refused.value)
    assert "/staff/forgotten: declares no action" in problems
    assert "/staff/twice: declares ['hashlist.view', 'report.view']" in problems
    assert "/staff/plain: a staff action on a router without route_class=StaffRoute" in problems
    with pytest.raises(ValueError, match="unknown action"):
        authorization.Allowed("hashlist.delete")


def test_a_decision_needs_the_grant_of_what_it_does(client, uow_factory, monkeypatch):
    """A role that may decide but not change the hash list cannot "confirm material" into it: no back door."""
    from safe4c.access.rules import policy
    from safe4c.db.hashlist import HashEntry

    public_id = _submit(uow_factory, accounts=["md5 9e107d9d372bb6826bd81d3542a419d6"]).report_id
    worker = Worker(uow_factory)
    while worker.run_once():
        pass
    make_user(uow_factory, "analis", "analyst")
    headers, csrf = _staff_credentials(client, "analis")
    monkeypatch.setitem(policy.POLICY, "hashlist.change", policy.rule("Add entries", "admin"))
    decide = f"/staff/reports/{public_id}/decisions/"
    refused = client.post(decide + "confirm_material", data={"csrf": csrf, "reason": REASON}, headers=headers,
                          follow_redirects=False)
    assert refused.status_code == 403
    with uow_factory() as uow:
        assert uow.session.scalar(select(HashEntry.id)) is None
    monkeypatch.undo()
    done = client.post(decide + "confirm_material", data={"csrf": csrf, "reason": REASON}, headers=headers,
                       follow_redirects=False)
    assert done.status_code == 303
    with uow_factory() as uow:
        assert uow.session.scalar(select(HashEntry.id)) is not None


# --- the world: two platforms, three staff members, and for each actor a kit of real objects -------------

@dataclass
class Kit:
    actor: str
    n: int
    csrf: str = ""
    headers: dict = field(default_factory=dict)
    # shared objects
    code: str = ""
    password: str = ""
    analyst_id: int = 0
    platform_a: int = 0
    report: str = ""
    cluster: int = 0
    referral: str = ""
    saved_filter: int = 0
    bank: int = 0
    entry: int = 0
    organization: int = 0
    a_order: str = ""
    a_ack: str = ""
    a_removed: str = ""
    a_dispute: str = ""
    a_report: str = ""
    a_delivery: str = ""
    # this actor's own, for changes that can be made once
    own_report: str = ""
    link: int = 0
    identifier: int = 0
    own_order: str = ""
    own_disputed: str = ""
    # case management: agency A's shared case; this actor's own cases of agency A for one-time changes
    case: str = ""
    own_case: str = ""
    own_step: int = 0
    own_closable: str = ""
    own_requested: str = ""
    own_unassigned: str = ""

    @property
    def md5(self) -> str:
        return f"{self.n:032x}"

    @property
    def md5b(self) -> str:
        return f"{self.n + 100:032x}"

    @property
    def sha256(self) -> str:
        return f"{self.n:064x}"


def _submit(uow_factory, **fields) -> intake.Receipt:
    data = {"situations": ["grooming"]} | fields
    with uow_factory() as uow:
        return intake.submit_report(uow=uow, report=parse_report(data), channel="web", language="id")


def _network(uow_factory, phone: str) -> list[str]:
    return [_submit(uow_factory, accounts=[phone]).report_id for _ in range(2)]


def _issue(uow_factory, platform_id: int, n: int) -> str:
    with uow_factory() as uow:
        return takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=platform_id, target_type="url", target_value=f"https://video.example.com/v/{n}",
            category="csam"))


def _dispute(uow_factory, platform_id: int, order: str) -> str:
    with uow_factory() as uow:
        takedowns.dispute(uow=uow, platform_id=platform_id, public_id=order, reason=REASON)
    return order


def _staff_credentials(client, username: str) -> tuple[dict, str]:
    """A fresh session signed in through the real form, and its CSRF token (read from the page's sign-out form)."""
    client.cookies.clear()
    assert login(client, username).status_code == 303
    token = client.cookies.get("safe4c_session")
    csrf = hidden(client.get("/staff/users").text)  # 403 for most, but every staff page has the sign-out form
    client.cookies.clear()
    return {"Cookie": f"safe4c_session={token}"}, csrf


def build_world(client, uow_factory) -> dict[str, Kit]:
    from helpers import PASSWORD

    ids = {role: make_user(uow_factory, role, role) for role in STAFF if role not in CASE_STAFF}
    cases_kit = case_world(uow_factory, ids["analyst"])
    make_user(uow_factory, "portier", "analyst")
    with uow_factory() as uow:
        a = platforms.create_platform(uow=uow, name="Platform A", taxonomy_code="tiktok",
                                      webhook_url="https://93.184.216.34/a")
    with uow_factory() as uow:
        b = platforms.create_platform(uow=uow, name="Platform B", taxonomy_code="instagram",
                                      webhook_url="https://93.184.216.34/b")
    with uow_factory() as uow:
        a_report = submit_platform_report(uow=uow, platform=PlatformPrincipal(a.id, "Platform A", "tiktok"),
                                          report=parse_platform_report({**PLATFORM_REPORT, "external_id": "MATRIX-1"}),
                                          idempotency_key=None).report_id
    receipt = _submit(uow_factory, story="Ada yang mengancam saya.")
    shared_net = _network(uow_factory, "0813-5555-0001")
    own = {actor: _submit(uow_factory).report_id for actor in ACTORS}
    cut_nets = {actor: _network(uow_factory, f"0813-5555-1{i:03d}") for i, actor in enumerate(ACTORS)}
    unlink_nets = {actor: _network(uow_factory, f"0813-5555-2{i:03d}") for i, actor in enumerate(ACTORS)}
    worker = Worker(uow_factory)
    while worker.run_once():
        pass
    with uow_factory() as uow:
        row = {p: uow.session.scalar(select(Report.id).where(Report.public_id == p))
               for net in (shared_net, *cut_nets.values(), *unlink_nets.values()) for p in net}
        cluster = membership.cluster_of(uow, row[shared_net[0]])
        links = {actor: uow.session.scalar(select(ClusterLink.id).where(
            ClusterLink.report_id.in_([row[p] for p in net]))) for actor, net in cut_nets.items()}
        idents = {actor: uow.session.scalar(select(ReportIdentifier.identifier_id).where(
            ReportIdentifier.report_id == row[net[0]], ReportIdentifier.kind == "phone"))
            for actor, net in unlink_nets.items()}
    assert cluster and all(links.values()) and all(idents.values())
    with uow_factory() as uow:
        referral = workspace.decide(uow=uow, kind="refer_police", where=workspace.scope(uow, cluster_id=cluster),
                                    actor_id=ids["analyst"], reason=REASON).detail["referral"]
    with uow_factory() as uow:
        saved_filters.save_filter(uow=uow, owner_id=ids["analyst"], name="Baru", query="status=new")
        saved_filter = uow.session.scalar(select(SavedFilter.id))
    with uow_factory() as uow:
        bank = hashlist.create_bank(uow=uow, name="Matrix bank")
    with uow_factory() as uow:
        entry = hashlist.add_entry(uow=uow, bank_id=bank, signal_type="md5", value="f" * 32, source="analyst",
                                   actor_id=ids["analyst"]).entry_id
    with uow_factory() as uow:
        directory_seed.seed(uow=uow)
    with uow_factory() as uow:
        organization = directory_service.list_organizations(uow=uow)[0].id
    n = iter(range(1000))
    shared = dict(organization=organization, code=receipt.followup_code, password=PASSWORD, analyst_id=ids["analyst"], platform_a=a.id,
                  report=shared_net[0], cluster=cluster, referral=referral, saved_filter=saved_filter, bank=bank,
                  entry=entry, a_order=_issue(uow_factory, a.id, next(n)), a_ack=_issue(uow_factory, a.id, next(n)),
                  a_removed=_issue(uow_factory, a.id, next(n)),
                  a_dispute=_issue(uow_factory, a.id, next(n)), a_report=a_report)
    with uow_factory() as uow:  # the orders' webhooks are deliveries of platform A's
        shared["a_delivery"] = uow.session.scalar(select(WebhookDelivery.event_id).where(
            WebhookDelivery.platform_id == a.id).limit(1))
    kits = {}
    for i, actor in enumerate(ACTORS):
        kit = Kit(actor=actor, n=i + 1, **shared, own_report=own[actor], link=links[actor],
                  identifier=idents[actor], own_order=_issue(uow_factory, a.id, next(n)),
                  own_disputed=_dispute(uow_factory, a.id, _issue(uow_factory, a.id, next(n))),
                  **cases_kit["shared"], **cases_kit["own"].get(actor, cases_kit["own"]["worker_a"]))
        if actor in STAFF:
            kit.headers, kit.csrf = _staff_credentials(client, actor)
        elif actor == "platform_a":
            kit.headers = {"Authorization": f"Bearer {a.api_key}"}
        elif actor == "platform_b":
            kit.headers = {"Authorization": f"Bearer {b.api_key}"}
        elif actor == "code_holder":  # a browser that has just looked up its report's status
            client.cookies.clear()
            assert client.post("/status", data={"code": receipt.followup_code}).status_code == 200
            jar = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
            kit.headers = {"Cookie": jar} if jar else {}
        kits[actor] = kit
    return kits


def case_world(uow_factory, analyst_id: int) -> dict:
    """Agencies A, B and police unit P in two provinces, their staff, agency A's shared case (a statement,
    consent that covers the police, a police referral to P) and, for each case actor, cases of agency A to
    change once: one with consent (to withdraw) and an open first contact, one ready to close, one whose
    closure is requested."""
    from case_helpers import actor as actor_for, make_agency, make_agency_user

    from safe4c.cases import cases, consent, statements, workflow
    from safe4c.cases.rules.consent import ConsentInput
    from safe4c.db.cases import Case, CaseReferral, CaseStep

    agencies = {"a": make_agency(uow_factory, "uptd-ppa-3273", region="32.73"),
                "b": make_agency(uow_factory, "uptd-ppa-35", region="35"),
                "p": make_agency(uow_factory, "polda-jabar-ppa", agency_type="police_unit", region="32")}
    for name, (role, agency) in CASE_STAFF.items():
        make_agency_user(uow_factory, name, role, agencies[agency] if agency else None)
    lead = actor_for(uow_factory, make_agency_user(uow_factory, "pekerja.utama", "case_worker", agencies["a"]))
    given = ConsentInput(child_assent=True, guardian_consent=True, services=True, share_statement=True, police=True,
                         statistics=True, share_with=("type:police_unit",))

    def new_case(assigned: bool = True) -> str:
        with uow_factory() as uow:
            public_id = cases.open_walk_in(uow=uow, actor=lead, origin="hotline", priority="P1", age_band="13_15",
                                           gender="girl", region_code="32.73", contact_method="none", contact_value="")
        if not assigned:  # as a case opened automatically or by an analyst: nobody yet
            with uow_factory() as uow:
                uow.session.scalar(select(Case).where(Case.public_id == public_id)).assigned_to = None
                uow.commit()
        with uow_factory() as uow:
            consent.record_consent(uow=uow, actor=lead, case_public_id=public_id, given=given)
        return public_id

    def steps(public_id: str) -> dict[str, int]:
        with uow_factory() as uow:
            case_id = uow.session.scalar(select(Case.id).where(Case.public_id == public_id))
            return {kind: sid for sid, kind in uow.session.execute(select(CaseStep.id, CaseStep.kind).where(
                CaseStep.case_id == case_id, CaseStep.status == "open"))}

    def advance(public_id: str, kinds) -> None:
        for kind in kinds:
            with uow_factory() as uow:
                workflow.complete_step(uow=uow, actor=lead, case_public_id=public_id, step_id=steps(public_id)[kind],
                                       needs=["psychosocial"], safety="safe")

    shared = new_case()
    with uow_factory() as uow:
        statements.record_statement(uow=uow, actor=lead, case_public_id=shared, body="Cerita anak.", language="id")
    with uow_factory() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == shared))
        uow.session.add(CaseReferral(public_id=f"{shared[:30]}police", case_id=case.id, kind="police",
                                     to_agency_id=agencies["p"], to_organization_id=None, service_type=None,
                                     shares_statement=True, status="sent", sent_by=lead.id, sent_at=uow.now(),
                                     respond_by=None, responded_at=None, responded_by=None, delivered_at=None,
                                     services_delivered=[], reason_sealed=None, evidence_referral_id=None))
        uow.commit()
    own = {}
    for name in ("worker_a", "worker_b", "supervisor_a", "supervisor_b"):
        own_case, closable, requested = new_case(), new_case(), new_case()
        advance(closable, ("assessment", "case_plan"))
        advance(requested, ("assessment", "case_plan"))
        with uow_factory() as uow:
            workflow.request_closure(uow=uow, actor=lead, case_public_id=requested, note="Layanan selesai.")
        own[name] = dict(own_case=own_case, own_step=steps(own_case)["first_contact"], own_closable=closable,
                         own_unassigned=new_case(assigned=False),
                         own_requested=requested)
    return {"shared": {"case": shared}, "own": own}


def outcome(response) -> str:
    if response.is_redirect:
        if urlsplit(response.headers["location"]).path != "/staff/login":
            return "ok"
        # to the login page: signed out (the session cookie is cleared), or sent to sign in
        return "out" if "safe4c_session=" in response.headers.get("set-cookie", "") else "login"
    return "ok" if response.is_success else str(response.status_code)


def send(client, call: Call, kit: Kit):
    client.cookies.clear()
    headers = dict(kit.headers)
    kwargs = call.kwargs(kit)
    if call.login_form:  # the sign-in form's own CSRF pair: a cookie and a field that matches it
        page = client.get("/staff/login", headers={k: v for k, v in headers.items() if k != "Cookie"})
        kwargs["data"]["csrf"] = hidden(page.text)
        pre = f"csrf_pre={client.cookies.get('csrf_pre')}"
        headers["Cookie"] = f"{headers['Cookie']}; {pre}" if "Cookie" in headers else pre
        client.cookies.clear()
    elif call.url == "/staff/logout" and kit.actor in STAFF:  # signing out ends a session: use a fresh one
        headers, kwargs["data"]["csrf"] = _staff_credentials(client, kit.actor)
    response = client.request(call.method, call.url.format(k=kit), headers=headers, follow_redirects=False, **kwargs)
    client.cookies.clear()
    return response


def test_every_route_answers_every_actor_as_the_table_says(client, uow_factory):
    kits = build_world(client, uow_factory)
    wrong = []
    for (method, path), (expected, call) in TABLE.items():
        assert call.method == method, (method, path)
        for actor, want in zip(ACTORS, expected.split(), strict=True):
            response = send(client, call, kits[actor])
            got = outcome(response)
            if got != want:
                wrong.append(f"{method} {path} as {actor}: expected {want}, got {got} "
                             f"({response.status_code} {response.text[:120]!r})")
    assert not wrong, f"{len(wrong)} outcomes differ from the table:\n" + "\n".join(wrong)

    # Lists never show what the case page refuses: agency B's staff and the national officer do not see
    # agency A's case in any caseload, open or closed; agency A's staff and the police unit it was referred to do.
    shared_case = kits["worker_a"].case
    for actor in ACTORS[7:]:
        listed = "".join(send(client, get(url), kits[actor]).text for url in ("/staff/cases", "/staff/cases?closed=1"))
        assert (shared_case[:8] in listed) == (actor in ("worker_a", "supervisor_a", "police")), actor

    # What platforms get of the hash list never leads to a child's report: the analyst's value, added from a
    # report above, is served and matched, without the report's id.
    value = kits["analyst"].md5b
    for actor in ("platform_a", "platform_b"):
        served = send(client, get("/api/v1/signals"), kits[actor])
        matched = send(client, api("POST", "/api/v1/match", {"items": [{"type": "md5", "value": value}]}), kits[actor])
        assert value in served.text and matched.json()["results"][0]["status"] == "match"
        assert kits[actor].report not in served.text + matched.text
