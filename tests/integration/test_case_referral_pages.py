"""The referral pages over HTTP: the lead agency sends through the form, the receiver accepts and records the
services delivered, in Indonesian and English; another agency gets 404. SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from case_world import build, open_case
from helpers import hidden, sign_in


@pytest.mark.parametrize("lang", ["id", "en"])
def test_send_accept_deliver_through_the_pages(uow_factory, client, lang):
    world = build(uow_factory)
    case = open_case(uow_factory, world, consent={"share_statement": True, "share_with": ["type:psychosocial"]})
    sign_in(client, "pekerja_a")
    form = client.get(f"/staff/cases/{case}/referrals?lang={lang}")
    assert form.status_code == 200 and "agency:%d" % world.agencies["polda-32"] in form.text
    assert "agency:%d\"" % world.agencies["psy-31"] not in form.text  # Jakarta does not serve Bandung
    refused = client.post(f"/staff/cases/{case}/referrals", data={
        "csrf": hidden(form.text), "kind": "services", "provider": f"agency:{world.agencies['psy-31']}",
        "service_type": "psychosocial_support", "reason": ""})
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    sent = client.post(f"/staff/cases/{case}/referrals", data={
        "csrf": hidden(form.text), "kind": "services", "provider": f"agency:{world.agencies['psy-31']}",
        "service_type": "psychosocial_support", "reason": "Butuh konseling."}, follow_redirects=False)
    assert sent.status_code == 303
    referral = re.search(r"/staff/case-referrals/([0-9a-f-]+)", sent.headers["location"]).group(1)
    client.cookies.clear()
    sign_in(client, "pekerja_c")
    assert client.get(f"/staff/case-referrals/{referral}").status_code == 404
    client.cookies.clear()
    sign_in(client, "pekerja_b")
    inbox = client.get(f"/staff/case-referrals?lang={lang}")
    assert referral in inbox.text
    page = client.get(f"/staff/case-referrals/{referral}?lang={lang}")
    assert "Seseorang di gim daring" in page.text  # the statement, shared under consent
    csrf = hidden(page.text)
    no_reason = client.post(f"/staff/case-referrals/{referral}/decline", data={"csrf": csrf, "reason": ""})
    assert no_reason.status_code == 422
    assert client.post(f"/staff/case-referrals/{referral}/accept", data={"csrf": csrf},
                       follow_redirects=False).status_code == 303
    done = client.post(f"/staff/case-referrals/{referral}/delivered",
                       data={"csrf": csrf, "services": ["psychosocial_support"]})
    assert done.status_code == 200
    expected = {"id": "Layanan yang diberikan sudah dicatat.", "en": "The services delivered were recorded."}[lang]
    assert expected in done.text
