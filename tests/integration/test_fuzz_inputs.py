"""Hostile input against every API operation (read from /openapi.json) and every form (found on the pages a
person sees): JSON nested far too deep, NUL bytes, huge integers and invalid UTF-8, on SQLite and PostgreSQL.

Each one gets an answer below 500, never a logged error; what no database can store (NUL, broken Unicode)
and what cannot be read (too deep, not UTF-8) is always refused with a 4xx (by /api/v1/match, which stores
nothing, item by item). The deliberate cases here
complement schemathesis (test_schemathesis.py), which explores what the schema allows.
"""

from __future__ import annotations

import itertools

import json
import logging
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import pytest
from helpers import make_user, sign_in
from sqlalchemy import select

from safe4c.db.tables import Report
from safe4c.db.throttle import LoginFailure
from safe4c.reports.rules.report import parse_report
from safe4c.kernel.validation import MAX_ID
from safe4c.hashlist import banks as hashlist
from safe4c.reports import intake
from safe4c.workspace import decisions as workspace, saved_filters
from safe4c.networks import linking, membership
from safe4c.access import login_throttle, platforms
from safe4c.takedowns import orders as takedowns
from safe4c.worker import Worker

_ORDERS = itertools.count(1)  # one open order per platform and target: each order its own target

NUL = "ab\x00cd"
HUGE = [str(MAX_ID + 1), "9" * 40, "²"]
DEEP = b"[" * 3000 + b"]" * 3000
DEEP_IN_FIELD = b'{"items": ' + b"[" * 3000 + b"]" * 3000 + b', "situations": ' + b"[" * 3000 + b"]" * 3000 + b"}"
BAD_UTF8 = b'{"situations": ["grooming"], "story": "\xff\xfe\xc3"}'
LONE_SURROGATE = b'{"situations": ["grooming"], "platform_other": "a\\ud800b", "reason": "\\udfff", "items": ["\\ud800"]}'
MD5 = "9e107d9d372bb6826bd81d3542a419d6"
# A valid body for each operation that takes one: each string and number in it is replaced in turn.
BODIES = {
    "/api/v1/public/reports": {"situations": ["grooming"], "platforms": ["other"], "platform_other": "Aplikasi X",
                               "accounts": ["@akun.x"], "story": "Dia minta foto.", "contact_method": "email",
                               "contact_value": "ibu@example.com", "province_code": "32"},
    "/api/v1/public/reports/status": {"code": "ABCD-EFGH-JKMN-PQRS"},
    "/api/v1/reports": {"external_id": "r-1", "incident": {"situation": "sextortion", "time": "2026-01-05T08:00:00+07:00"},
                        "victims": [{"age": 14, "screen_name": "korban"}],
                        "reported_accounts": [{"screen_name": "pelaku", "ip_capture_events": [
                            {"ip_address": "10.0.0.1", "at": "2026-01-05T08:00:00+07:00"}]}],
                        "content": [{"md5": MD5, "url": "https://example.com/a"}], "additional_information": "x"},
    "/api/v1/takedowns/{order_id}/dispute": {"reason": "Konten tidak ada di layanan kami."},
    "/api/v1/match": {"items": [{"type": "md5", "value": MD5}, {"type": "pdq", "value": "0" * 64, "quality": 80}]},
    "/api/v1/webhook": {"url": "https://93.184.216.34/safe4c-hook"},
    "/api/v1/webhook/secret": {"grace_hours": 1},
}


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.ERROR)
    yield caplog
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors][:5]


@pytest.fixture
def world(uow_factory):
    """A platform with an order under dispute, linked reports (a network), a hash bank, and an admin."""
    admin = make_user(uow_factory, "admin1", "admin")
    make_user(uow_factory, "terkunci", "analyst")  # locked: the users page shows its unlock form
    with uow_factory() as uow:
        uow.session.add(LoginFailure(kind="account", key=login_throttle.account_key(uow, "terkunci"), failures=20,
                                     last_failure_at=uow.now(), locked_at=uow.now()))
        uow.commit()
    with uow_factory() as uow:
        saved_filters.save_filter(uow=uow, owner_id=admin, name="Baru", query="status=new")
    with uow_factory() as uow:
        plat = platforms.create_platform(uow=uow, name="Fuzz Platform", taxonomy_code="tiktok")
    with uow_factory() as uow:
        order = takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=plat.id, target_type="url", target_value=f"https://example.com/x/{next(_ORDERS)}", category="csam"))
    with uow_factory() as uow:
        takedowns.dispute(uow=uow, platform_id=plat.id, public_id=order, reason="Bukan di layanan kami.")
    ids = []
    for story in ("Dia minta foto.", "Dia mengancam."):
        data = {"situations": ["grooming"], "accounts": ["0812-3456-7890", f"md5 {MD5}"], "story": story}
        with uow_factory() as uow:
            ids.append(intake.submit_report(uow=uow, report=parse_report(data), channel="web", language="id").report_id)
    worker = Worker(uow_factory)
    while worker.run_once():
        pass
    with uow_factory() as uow:
        cluster = membership.cluster_of(uow, uow.session.scalar(select(Report.id).where(Report.public_id == ids[0])))
    with uow_factory() as uow:
        bank = hashlist.create_bank(uow=uow, name="Bank Fuzz", description="", confirmed=True, actor_id=None)
    with uow_factory() as uow:
        hashlist.add_entry(uow=uow, bank_id=bank, signal_type="md5", value=MD5, classification="csam",
                           source="analyst", actor_id=None)
    return {"key": plat.api_key, "order": order, "report": ids[0], "cluster": cluster, "bank": bank}


# --- the API ---------------------------------------------------------------------------------------------

def test_every_api_operation_refuses_hostile_input_with_a_4xx(app, client, world, logged):
    operations = [(method.upper(), path, op) for path, item in app.openapi()["paths"].items()
                  for method, op in item.items()]
    assert {p for m, p, op in operations if "requestBody" in op} == set(BODIES)  # a new body needs a sample here
    headers = {"Authorization": f"Bearer {world['key']}", "Content-Type": "application/json"}
    for method, path, op in operations:
        url = path.replace("{order_id}", world["order"])
        if method in ("POST", "PUT"):
            for raw in (DEEP, DEEP_IN_FIELD, BAD_UTF8, LONE_SURROGATE, b'{"a": NaN}'):  # a body-less one ignores it
                answer = client.request(method, url, content=raw, headers=headers)
                (refused if "requestBody" in op else check)(answer, method, path, raw[:20])
            for body in mutations(BODIES.get(path, {})):
                answer = client.request(method, url, content=json.dumps(body), headers=headers)
                check(answer, method, path, body)
                if NUL in json.dumps(body, ensure_ascii=False):
                    refused(answer, method, path, body)
        for param in op.get("parameters", []):
            if param["in"] == "header":
                continue  # HTTP servers refuse NUL and non-ASCII in headers before the app sees them
            for value, hostile in [(NUL, True), ("%FF%FE", False), *((v, False) for v in HUGE)]:
                target = url
                if param["in"] == "path":
                    target = path.replace("{" + param["name"] + "}", quote(value, safe="%"))
                else:
                    target += ("&" if "?" in target else "?") + param["name"] + "=" + quote(value, safe="%")
                answer = client.request(method, target, headers=headers,
                                        content=json.dumps(BODIES.get(path, {})) if method in ("POST", "PUT") else None)
                (refused if hostile else check)(answer, method, target, value)


def mutations(body):
    """The body with one leaf at a time made hostile: NUL in a text, a huge number for a number."""
    for path, leaf in leaves(body):
        replacements = [f"{leaf}{NUL}"] if isinstance(leaf, str) else [MAX_ID + 1, 10**40, -(10**40)]
        for replacement in replacements:
            yield replaced(body, path, replacement)
    yield {**body, NUL: "x"} if isinstance(body, dict) else body  # a NUL in a key


def leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))
    elif isinstance(value, (str, int)) and not isinstance(value, bool):
        yield path, value


def replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


def check(answer, method, path, sent):
    assert answer.status_code < 500, (method, path, sent, answer.status_code, answer.text[:300])
    if answer.status_code >= 400 and path.startswith("/api/"):
        error = answer.json()["error"]
        assert error["code"] and error["message"], (method, path, answer.text[:300])


def refused(answer, method, path, sent):
    check(answer, method, path, sent)
    if path == "/api/v1/match" and answer.status_code == 200:
        # Matching stores nothing: unstorable text is refused item by item (never the whole batch), so the
        # item carrying it is an error and none matched.
        results = answer.json()["results"]
        assert any(r["status"] == "error" for r in results), (method, path, sent, answer.text[:300])
        return
    assert 400 <= answer.status_code < 500, (method, path, sent, answer.status_code, answer.text[:300])


# --- the forms -------------------------------------------------------------------------------------------

class Forms(HTMLParser):
    """Every <form> on a page: its action, method, enctype and fields with their first value."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").upper(),
                               "multipart": a.get("enctype") == "multipart/form-data", "fields": {}})
        elif tag in ("input", "select", "textarea") and self.forms and a.get("name"):
            fields = self.forms[-1]["fields"]
            if a.get("type") in ("checkbox", "radio") and a["name"] in fields:
                return
            fields.setdefault(a["name"], a.get("value") or "")

    def handle_data(self, data):
        pass


PUBLIC_PAGES = ["/", "/lapor", "/status", "/staff/login"]
STAFF_PAGES = ["/staff", "/staff/reports/{report}", "/staff/clusters/{cluster}", "/staff/hashlist",
               "/staff/hashlist/banks/{bank}", "/staff/takedowns", "/staff/takedowns/{order}", "/staff/compliance",
               "/staff/users"]


def test_every_form_refuses_hostile_input_with_a_4xx(app, client, world, logged):
    found = {}
    for page in PUBLIC_PAGES:
        for form in forms_on(client, page):
            found.setdefault((form["method"], form["action"]), (page, form))
    sign_in(client, "admin1")
    for page in STAFF_PAGES:
        for form in forms_on(client, page.format(**world)):
            found.setdefault((form["method"], form["action"]), (page.format(**world), form))
    found.pop(("POST", "/staff/logout"))
    assert routes_with_forms(app) == {pattern_of(app, action) for _, action in found if action.startswith("/staff")
                                     and _ == "POST"} | {"/staff/logout"}
    for (method, action), (page, form) in sorted(found.items()):
        # The CSRF token belongs to the session, so the form as first shown serves every submission. An accepted
        # value may do what the form is for (cut a link); later submissions then get a 4xx, which is fine too.
        for name in form["fields"]:
            if name in ("csrf", "form_id"):
                continue
            for value, hostile in [(NUL, True), *((v, False) for v in HUGE)]:
                answer = submit(client, method, action, {**form["fields"], name: value}, form["multipart"])
                (refused if hostile else check)(answer, method, action, (name, value))
        # invalid UTF-8 in every field at once, sent as raw bytes (a browser never would)
        raw = "&".join(f"{k}={'%FF%FE%C3' if k not in ('csrf', 'form_id') else quote(v)}"
                       for k, v in form["fields"].items())
        answer = (client.get(f"{action}?{raw}", follow_redirects=False) if method == "GET" else
                  client.post(action, content=raw, follow_redirects=False,
                              headers={"Content-Type": "application/x-www-form-urlencoded"}))
        check(answer, method, action, "invalid UTF-8")
    # a CSV file with NUL bytes and invalid UTF-8 (the import form's file)
    fresh = forms_by_action(client, f"/staff/hashlist/banks/{world['bank']}")
    action = f"/staff/hashlist/banks/{world['bank']}/import"
    answer = client.post(action, data=fresh[("POST", action)]["fields"],
                         files={"file": ("a\x00.csv", b"md5," + MD5.encode() + b",tag\x00\xff\n\x00\xfe,,\n")})
    check(answer, "POST", action, "csv")


def forms_on(client, page) -> list[dict]:
    answer = client.get(page)
    assert answer.status_code == 200, (page, answer.status_code)
    parser = Forms()
    parser.feed(answer.text)
    return parser.forms


def forms_by_action(client, page) -> dict:
    return {(f["method"], f["action"]): f for f in forms_on(client, page)}


def submit(client, method, action, fields, multipart):
    if method == "GET":
        return client.get(action + "?" + urlencode(fields), follow_redirects=False)
    if multipart:
        return client.post(action, data=fields, files={"file": ("a.csv", b"md5," + MD5.encode() + b"\n")},
                           follow_redirects=False)
    return client.post(action, data=fields, follow_redirects=False)


def routes_with_forms(app) -> set[str]:
    """Every staff page that takes a form post (so a form the crawl missed fails this test)."""
    return {r.path for r in all_routes(app) if "POST" in getattr(r, "methods", ()) and r.path.startswith("/staff")}


def pattern_of(app, action: str) -> str:
    for route in all_routes(app):
        if "POST" in getattr(route, "methods", ()) and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", route.path), action):
            return route.path
    return action


def all_routes(app):
    from safe4c.web.pages import access, clusters, hashlist, public, reports, takedowns as takedown_pages, workspace

    for module in (public, access, reports, takedown_pages, hashlist, clusters, workspace):
        yield from module.router.routes
