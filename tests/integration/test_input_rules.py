"""The input rules every request shares (web/inputs.py), over HTTP on SQLite and PostgreSQL: JSON nested too
deep, text no database can store (NUL, lone surrogates), ids beyond the database's range. Each is a clear 4xx
in the person's language (Indonesian by default, English on request), saves nothing, and logs no error."""

from __future__ import annotations

import logging

import pytest
from helpers import hidden, make_user, sign_in
from sqlalchemy import func, select

from safe4c.db.hashlist import HashBank
from safe4c.db.linking import SavedFilter
from safe4c.db.platforms import PlatformReport, TakedownOrder
from safe4c.db.tables import AuditEntry, Report, StaffSession
from safe4c.kernel.validation import MAX_ID
from safe4c.access import platforms

DEEP = "[" * 1000 + "]" * 1000  # 2 KB: deeper than Python's own recursion limit when parsed
NUL = "Aplikasi\x00X"
REFUSED_ID = "Ada isian yang berisi karakter yang tidak bisa kami terima"
REFUSED_EN = "Some of what you sent contains a character we cannot accept"
TOO_DEEP_ID = "JSON ini bersarang terlalu dalam (paling banyak 16 tingkat)."
TOO_DEEP_EN = "The JSON is nested too deeply (at most 16 levels)."
INCIDENT = {"situation": "sextortion", "time": "2026-01-05T08:00:00+07:00"}


@pytest.fixture
def quiet(caplog):
    """Fails the test if anything was logged as an error (a traceback is how a 500 shows in the log)."""
    caplog.set_level(logging.ERROR)
    yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text[:2000]


@pytest.fixture
def key(uow_factory):
    with uow_factory() as uow:
        return platforms.create_platform(uow=uow, name="Platform Uji", taxonomy_code="tiktok").api_key


def count(uow_factory, model) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def error(response) -> dict:
    return response.json()["error"]


# --- JSON nested too deep ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/public/reports", "/api/v1/match", "/api/v1/reports",
                                  "/api/v1/public/reports/status"])
def test_json_nested_too_deep_is_refused_in_the_persons_language(client, uow_factory, key, quiet, path):
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    r = client.post(path, content=DEEP, headers=headers)
    assert r.status_code == 422
    assert error(r)["fields"] == [{"field": "body", "message": TOO_DEEP_ID}]
    r = client.post(path, content='{"items": ' + DEEP + "}", headers={**headers, "Accept-Language": "en"})
    assert r.status_code == 422 and error(r)["fields"] == [{"field": "body", "message": TOO_DEEP_EN}]
    assert count(uow_factory, Report) == 0


def test_deep_json_is_refused_before_a_made_up_key_is_even_checked(client, uow_factory, quiet):
    """The body is read before the key is looked up (one transaction for both): no key is 401 as always, a made-up
    one no longer reaches a server error."""
    headers = {"Content-Type": "application/json"}
    assert client.post("/api/v1/reports", content=DEEP, headers=headers).status_code == 401
    r = client.post("/api/v1/reports", content=DEEP, headers={**headers, "Authorization": "Bearer s4c_made_up"})
    assert r.status_code == 422 and error(r)["fields"][0]["field"] == "body"
    assert count(uow_factory, Report) == 0


def test_sixteen_levels_are_read_and_seventeen_are_not(client, quiet):
    """The limit is exact: 16 levels reach validation (which refuses them as a report), 17 do not."""
    def nested(levels):
        return '{"situations": ' + "[" * (levels - 1) + '"grooming"' + "]" * (levels - 1) + "}"

    assert error(client.post("/api/v1/public/reports", content=nested(16)))["fields"][0]["field"] == "situations"
    assert error(client.post("/api/v1/public/reports", content=nested(17)))["fields"][0]["field"] == "body"


# --- text no database can store ----------------------------------------------------------------------------

def test_nul_in_public_api_text_is_refused_and_nothing_is_saved(client, uow_factory, quiet):
    body = {"situations": ["grooming"], "platforms": ["other"], "platform_other": NUL}
    r = client.post("/api/v1/public/reports", json=body)
    assert r.status_code == 422
    assert error(r)["message"].startswith(REFUSED_ID)
    assert [f["field"] for f in error(r)["fields"]] == ["platform_other"]
    r = client.post("/api/v1/public/reports", json=body, headers={"Accept-Language": "en"})
    assert error(r)["message"].startswith(REFUSED_EN)
    assert count(uow_factory, Report) == 0


def test_lone_surrogates_and_invalid_utf8_are_refused(client, uow_factory, quiet):
    lone = b'{"situations": ["grooming"], "story": "Dia \\ud800 minta foto"}'
    r = client.post("/api/v1/public/reports", content=lone, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and [f["field"] for f in error(r)["fields"]] == ["story"]
    assert error(r)["message"].startswith(REFUSED_ID)
    bad = b'{"situations": ["grooming"], "story": "\xff\xfe"}'
    r = client.post("/api/v1/public/reports", content=bad, headers={"Accept-Language": "en"})
    assert r.status_code == 422
    assert error(r)["fields"] == [{"field": "body", "message": "The request body must be valid JSON."}]
    assert count(uow_factory, Report) == 0


def test_nul_in_the_report_form_is_refused_in_the_persons_language(client, uow_factory, quiet):
    form = client.get("/lapor")
    data = {"situations": "grooming", "platforms": "other", "platform_other": NUL,
            "form_id": hidden(form.text, "form_id")}
    r = client.post("/lapor", data=data)
    assert r.status_code == 422 and REFUSED_ID in r.text
    r = client.post("/lapor?lang=en", data=data)
    assert r.status_code == 422 and REFUSED_EN in r.text
    assert count(uow_factory, Report) == 0


def test_nul_in_the_staff_login_username_is_refused(client, uow_factory, quiet):
    make_user(uow_factory, "analis")
    form = client.get("/staff/login")
    r = client.post("/staff/login", data={"username": "analis\x00", "password": "x", "csrf": hidden(form.text)},
                    headers={"Accept-Language": "en"})
    assert r.status_code == 422 and REFUSED_EN in r.text
    assert count(uow_factory, StaffSession) == 0


def test_nul_in_a_platform_reports_external_id_is_refused(client, uow_factory, key, quiet):
    r = client.post("/api/v1/reports", json={"external_id": "r\x001", "incident": INCIDENT},
                    headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 422
    assert error(r)["fields"][0]["field"] == "external_id"
    assert count(uow_factory, PlatformReport) == 0 and count(uow_factory, Report) == 0


def test_nul_in_a_saved_filter_name_and_a_takedown_target_is_refused(client, uow_factory, key, quiet):
    make_user(uow_factory, "admin1", "admin")
    sign_in(client, "admin1")
    csrf = hidden(client.get("/staff").text)
    r = client.post("/staff/filters", data={"csrf": csrf, "name": "Baru\x00", "query": "status=new"})
    assert r.status_code == 422 and REFUSED_ID in r.text
    r = client.post("/staff/takedowns?lang=en", data={
        "csrf": csrf, "platform_id": "1", "target_type": "url", "target_value": "https://example.com/\x00",
        "category": "csam"})
    assert r.status_code == 422 and REFUSED_EN in r.text
    assert count(uow_factory, SavedFilter) == 0 and count(uow_factory, TakedownOrder) == 0


def test_nul_in_a_query_string_or_a_path_is_refused(client, uow_factory, quiet):
    make_user(uow_factory, "admin1", "admin")
    sign_in(client, "admin1")
    r = client.get("/staff?status=new%00")
    assert r.status_code == 422 and REFUSED_ID in r.text
    assert client.get("/staff/reports/abc%00def").status_code == 404
    assert client.get("/staff/takedowns/abc%00def?lang=en").status_code == 404


# --- ids beyond the database's range ----------------------------------------------------------------------

STAFF_ID_URLS = [
    ("GET", "/staff/clusters/{id}"),
    ("POST", "/staff/clusters/{id}/assign"),
    ("POST", "/staff/clusters/{id}/decisions/close"),
    ("POST", "/staff/links/{id}/cut"),
    ("POST", "/staff/identifiers/{id}/linking"),
    ("POST", "/staff/filters/{id}/delete"),
    ("GET", "/staff/hashlist/banks/{id}"),
    ("POST", "/staff/hashlist/banks/{id}/enabled"),
    ("POST", "/staff/hashlist/banks/{id}/entries"),
    ("POST", "/staff/hashlist/entries/{id}/enabled"),
    ("POST", "/staff/hashlist/banks/{id}/import"),
    ("GET", "/staff/hashlist/banks/{id}/export.csv"),
]


def test_ids_beyond_the_database_range_in_staff_urls_are_404(client, uow_factory, quiet):
    make_user(uow_factory, "admin1", "admin")
    sign_in(client, "admin1")
    csrf = hidden(client.get("/staff").text)
    before = count(uow_factory, AuditEntry)
    for method, url in STAFF_ID_URLS:
        for value in (str(MAX_ID + 1), "9" * 30, "²", "0"):
            target = url.format(id=value)
            if method == "GET":
                r = client.get(target)
            else:
                r = client.post(target, data={"csrf": csrf, "reason": "alasan", "signal_type": "md5",
                                              "value": "9e107d9d372bb6826bd81d3542a419d6", "enabled": "1"},
                                files={"file": ("a.csv", b"")} if target.endswith("/import") else None)
            assert r.status_code == 404, (method, target, r.status_code)
            assert "Kami tidak dapat menemukannya." in r.text, (method, target)
    assert "We could not find that." in client.get(f"/staff/clusters/{MAX_ID + 1}?lang=en").text
    assert count(uow_factory, AuditEntry) == before  # nothing viewed, nothing changed
    # the largest id a database holds is a valid id: simply not there
    assert client.get(f"/staff/hashlist/banks/{MAX_ID}").status_code == 404


def test_huge_ids_in_staff_forms_are_refused_and_nothing_is_saved(client, uow_factory, quiet):
    make_user(uow_factory, "admin1", "admin")
    sign_in(client, "admin1")
    csrf = hidden(client.get("/staff").text)
    for platform_id in (str(MAX_ID + 1), "9" * 30, "²"):
        r = client.post("/staff/takedowns", data={"csrf": csrf, "platform_id": platform_id, "target_type": "url",
                                                  "target_value": "https://example.com/x", "category": "csam"})
        assert r.status_code == 422
    for assignee in (str(MAX_ID + 1), "²"):
        assert client.get(f"/staff?assignee={assignee}").status_code == 200  # an unknown filter is dropped
        r = client.post("/staff/queue/bulk", data={"csrf": csrf, "reports": ["x"], "action": "assign",
                                                   "assignee": assignee}, follow_redirects=False)
        assert r.status_code < 500
    assert count(uow_factory, TakedownOrder) == 0 and count(uow_factory, HashBank) == 0


def test_months_and_cursors_beyond_what_can_be_stored_are_refused(client, uow_factory, key, quiet):
    auth = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/compliance?month=9999-12", headers=auth).status_code == 422
    assert client.get(f"/api/v1/signals?cursor={MAX_ID + 1}", headers=auth).status_code == 422
    # A cursor that fits but that the API never issued (past the change log's end) is refused too (issue 12).
    never_issued = client.get(f"/api/v1/signals?cursor={MAX_ID}", headers=auth)
    assert never_issued.status_code == 422 and "cursor" in never_issued.text
    assert client.get("/api/v1/signals?cursor=0", headers=auth).status_code == 200
    make_user(uow_factory, "admin1", "admin")
    sign_in(client, "admin1")
    assert client.get("/staff/compliance?month=9999-12").status_code == 422


# --- the OpenAPI document --------------------------------------------------------------------------------

def test_the_openapi_document_resolves_and_documents_errors_in_the_one_shape(client):
    schema = client.get("/openapi.json").json()
    names = set(schema["components"]["schemas"])
    refs = {ref.rsplit("/", 1)[1] for ref in _refs(schema)}
    assert refs <= names, refs - names  # e.g. MatchItem, once unresolvable
    assert {"HTTPValidationError", "ValidationError"}.isdisjoint(names)
    for path, item in schema["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if status[0] in "45":
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorResponse"}, (method, path, status)


def test_there_is_no_browsable_api_page_that_loads_code_from_elsewhere(client):
    assert client.get("/api/docs").status_code == 404


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)
