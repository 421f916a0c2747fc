"""Hash-list staff pages over HTTP, on SQLite and PostgreSQL: banks, entries, CSV, the form on a report."""

from __future__ import annotations

from helpers import hidden, make_user, sign_in
from sqlalchemy import select

from safe4c.db.hashlist import HashEntry
from safe4c.reports.rules.report import parse_report
from safe4c.hashlist import banks as hashlist
from safe4c.reports import intake

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def entries(uow_factory):
    with uow_factory() as uow:
        return [(e.signal_type, e.value, e.enabled, e.source) for e in
                uow.session.scalars(select(HashEntry).order_by(HashEntry.id))]


def test_admin_creates_a_bank_and_an_analyst_adds_disables_imports_and_exports(client, uow_factory):
    make_user(uow_factory, "admin1", "admin")
    make_user(uow_factory, "analis", "analyst")
    sign_in(client, "admin1")
    page = client.get("/staff/hashlist?lang=en")
    assert page.status_code == 200 and "New bank" in page.text
    r = client.post("/staff/hashlist/banks", data={"name": "National CSAM list", "confirmed": "1",
                                                   "csrf": hidden(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    bank_url = r.headers["location"]
    client.post("/staff/logout", data={"csrf": hidden(client.get(bank_url).text)})

    sign_in(client, "analis")
    page = client.get(bank_url + "?lang=en")
    assert "Disable the whole bank" not in page.text  # administrators only
    csrf = hidden(page.text)
    r = client.post(bank_url + "/entries", data={"signal_type": "md5", "value": MD5.upper(), "classification": "csam",
                                                 "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and entries(uow_factory) == [("md5", MD5, True, "analyst")]
    client.cookies.delete("lang")  # the English chosen above is remembered; without a choice, Indonesian
    bad = client.post(bank_url + "/entries", data={"signal_type": "md5", "value": "xyz", "csrf": csrf})
    assert bad.status_code == 422 and "Nilai harus heksadesimal" in bad.text  # Indonesian by default

    with uow_factory() as uow:
        entry_id = uow.session.scalar(select(HashEntry.id))
    r = client.post(f"/staff/hashlist/entries/{entry_id}/enabled",
                    data={"enabled": "0", "bank_id": bank_url.rsplit("/", 1)[1], "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and entries(uow_factory)[0][2] is False

    upload = f"md5,{'a' * 32}\nsha1,nothex\npdq,{'f' * 64},verified\n".encode()
    r = client.post(bank_url + "/import?lang=en", data={"csrf": csrf, "classification": "csam"},
                    files={"file": ("list.csv", upload, "text/csv")})
    assert r.status_code == 200, r.text
    assert "2 new entries imported" in r.text and "The value must be hexadecimal" in r.text
    export = client.get(bank_url + "/export.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.text.splitlines() == ["signal_type,signal_value,tags", f"md5,{'a' * 32},",
                                        f"pdq,{'f' * 64},verified"]

    assert client.post("/staff/hashlist/banks", data={"name": "Mine", "csrf": csrf}).status_code == 403


def test_forms_need_csrf_and_pages_need_a_login(client, uow_factory):
    assert client.get("/staff/hashlist", follow_redirects=False).status_code == 303
    make_user(uow_factory, "analis", "analyst")
    sign_in(client, "analis")
    with uow_factory() as uow:
        bank_id = hashlist.create_bank(uow=uow, name="National CSAM list")
    r = client.post(f"/staff/hashlist/banks/{bank_id}/entries", data={"signal_type": "md5", "value": MD5})
    assert r.status_code == 403 and entries(uow_factory) == []


def test_an_analyst_adds_a_confirmed_hash_from_a_report(client, uow_factory):
    make_user(uow_factory, "analis", "analyst")
    with uow_factory() as uow:
        bank_id = hashlist.create_bank(uow=uow, name="National CSAM list")
    with uow_factory() as uow:
        public_id = intake.submit_report(uow=uow, report=parse_report({"situations": ["abuse_material"]}),
                                         channel="web", language="id").report_id
    sign_in(client, "analis")
    page = client.get(f"/staff/reports/{public_id}?lang=en")
    assert page.status_code == 200 and "Add confirmed material to the hash list" in page.text
    r = client.post(f"/staff/reports/{public_id}/hashes", data={
        "bank_id": bank_id, "signal_type": "md5", "value": MD5, "classification": "csam", "csrf": hidden(page.text)},
        follow_redirects=False)
    assert r.status_code == 303 and "hash=added" in r.headers["location"]
    with uow_factory() as uow:
        listed = hashlist.list_entries(uow=uow, bank_id=bank_id).items
    assert [(e.value, e.report_public_id, e.source) for e in listed] == [(MD5, public_id, "analyst")]
    assert "Added to the hash list" in client.get(f"/staff/reports/{public_id}?hash=added&lang=en").text
