"""Staff pages over HTTP, on SQLite and PostgreSQL (issue 12): order statuses and identifier platforms in words
of the chosen language; the language choice kept from page to page; the order form takes the 8-character
report id shown everywhere else, and says plainly when it cannot."""

from __future__ import annotations

import itertools

import re

import pytest
from helpers import hidden, make_user, sign_in, sign_in_new
from sqlalchemy import select, update

from safe4c.access import platforms
from safe4c.db.platforms import TakedownOrder
from safe4c.db.tables import Report
from safe4c.networks import linking
from safe4c.reports import intake
from safe4c.reports.rules.report import parse_report
from safe4c.takedowns import orders as takedowns
from safe4c.worker import Worker

_ORDERS = itertools.count(1)  # one open order per platform and target: each order its own target

PHONE = "0812-3456-7890"


def submit(uow_factory, **fields) -> str:
    with uow_factory() as uow:
        return intake.submit_report(uow=uow, report=parse_report({"situations": ["grooming"]} | fields),
                                    channel="web", language="id").report_id


def network_with_an_order(uow_factory) -> tuple[int, str]:
    """Two reports joined by a phone; one names an account on no platform; an order on the first report."""
    a = submit(uow_factory, platforms=["instagram", "whatsapp"], accounts=["@pelaku.tanpa.platform", PHONE])
    submit(uow_factory, accounts=[PHONE])
    worker = Worker(uow_factory)
    while worker.run_once():
        pass
    with uow_factory() as uow:
        made = platforms.create_platform(uow=uow, name="Instagram ID", taxonomy_code="instagram")
    with uow_factory() as uow:
        takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=made.id, target_type="url", target_value=f"https://instagram.com/p/x{next(_ORDERS)}", category="csam",
            report_id=a))
    with uow_factory() as uow:
        rid = uow.session.scalar(select(Report.id).where(Report.public_id == a))
        return linking.cluster_of(uow, rid), a


@pytest.mark.parametrize("lang, status, unknown", [("en", "Issued", "(platform not known)"),
                                                   ("id", "Diterbitkan", "(platform tidak diketahui)")])
def test_order_statuses_and_unknown_platforms_are_words_in_the_staff_language(client, uow_factory, lang, status,
                                                                              unknown):
    cid, _ = network_with_an_order(uow_factory)
    sign_in_new(client, uow_factory, "analis", "admin")
    html = client.get(f"/staff/clusters/{cid}?lang={lang}").text
    orders = html.split('id="orders-title"')[1].split("</section>")[0]
    assert f"<td>{status}</td>" in orders and "<td>issued</td>" not in orders
    assert unknown in html and "(unknown)" not in html
    account = {"en": "Account", "id": "Akun"}[lang]
    assert f"{account} {unknown}" in html  # the decision form's identifier labels are translated too


def test_the_language_chosen_stays_on_every_next_page(client, uow_factory):
    sign_in_new(client, uow_factory, "analis", "admin")
    first = client.get("/staff/takedowns?status=open&lang=en")
    assert "lang=en" in first.headers.get("set-cookie", "") and '<html lang="en">' in first.text
    # the switch back keeps the page's filters
    assert 'href="?status=open&amp;lang=id"' in first.text
    for path in ("/staff", "/staff/takedowns", "/staff/clusters", "/staff/compliance"):
        assert '<html lang="en">' in client.get(path).text, path
    client.get("/staff?lang=id")
    assert '<html lang="id">' in client.get("/staff/takedowns").text
    # a choice made before signing in survives the redirect to the sign-in page
    client.cookies.clear()
    r = client.get("/staff?lang=en", follow_redirects=False)
    assert r.status_code in (302, 303, 307) and "lang=en" in r.headers.get("set-cookie", "")
    assert '<html lang="en">' in client.get(r.headers["location"]).text
    # an API answer or a download never sets it
    client.cookies.clear()
    assert "set-cookie" not in client.get("/healthz?lang=en").headers
    assert "set-cookie" not in client.get("/openapi.json?lang=en").headers


def issue_form(client, report_id: str, lang: str = "en"):
    csrf = hidden(client.get("/staff/takedowns").text)
    with client.app.state.uow_factory() as uow:
        platform_id = uow.session.scalar(select(TakedownOrder.platform_id).limit(1))
    return client.post(f"/staff/takedowns?lang={lang}", data={
        "csrf": csrf, "platform_id": str(platform_id), "target_type": "url",
        "target_value": "https://instagram.com/p/baru", "category": "csam", "report_id": report_id},
        follow_redirects=False)


def test_the_order_form_takes_the_short_report_id(client, uow_factory):
    _, public_id = network_with_an_order(uow_factory)
    make_user(uow_factory, "analis", "admin")
    sign_in(client, "analis")
    r = issue_form(client, f"  {public_id[:8].upper()} ")
    assert r.status_code == 303, r.text
    order_page = client.get(r.headers["location"]).text
    assert f'href="/staff/reports/{public_id}"' in order_page


@pytest.mark.parametrize("lang, unknown, ambiguous, not_an_id", [
    ("en", "There is no report with this id.", "More than one report starts with", "its first 8 characters"),
    ("id", "Tidak ada laporan dengan ID ini.", "Lebih dari satu laporan berawalan", "8 karakter pertamanya")])
def test_an_unknown_or_ambiguous_short_id_is_refused_in_the_users_language(client, uow_factory, lang, unknown,
                                                                          ambiguous, not_an_id):
    _, public_id = network_with_an_order(uow_factory)
    other = submit(uow_factory, accounts=["@lain"])
    with uow_factory() as uow:  # two reports whose ids start alike, as happens among millions
        uow.session.execute(update(Report).where(Report.public_id == other)
                            .values(public_id=public_id[:9] + other[9:]))
        uow.commit()
    make_user(uow_factory, "analis", "admin")
    sign_in(client, "analis")
    for given, said in (("ffffffff", unknown), (public_id[:8], ambiguous), ("abc", not_an_id),
                        ("3f2a%9c1e", not_an_id)):
        r = issue_form(client, given, lang)
        assert r.status_code == 422, given
        error = re.search(r'id="report_id-error">([^<]*)<', r.text)
        assert error and said in error.group(1), (given, error and error.group(1))
    assert issue_form(client, public_id[:12], lang).status_code == 303  # more characters tell them apart
