"""The analysts' workspace over HTTP, on SQLite and PostgreSQL: the network page, decisions, assignment,
bulk actions, saved filters, evidence packages, and who may see and act."""

from __future__ import annotations

import re

import pytest
from helpers import hidden, make_user, sign_in
from sqlalchemy import func, select

from safe4c.db.hashlist import HashBank, HashEntry
from safe4c.db.linking import (
    ClusterLink,
    Decision,
    Referral,
    ReportAssignment,
    SavedFilter,
)
from safe4c.db.platforms import TakedownOrder
from safe4c.db.tables import AuditEntry, Report
from safe4c.kernel.errors import Invalid
from safe4c.reports.rules.report import parse_report
from safe4c.workspace import decisions, queries as workspace
from safe4c.reports import intake
from safe4c.networks import linking, membership, urgency as network_urgency
from safe4c.access import platforms
from safe4c.worker import Worker

PHONE = "0812-3456-7890"
MD5 = "9e107d9d372bb6826bd81d3542a419d6"
VIDEO = "https://www.tiktok.com/@kak.rian/video/7312345678901234567"


def login(client, username):
    """Sign in; returns the session's CSRF token (from any staff page)."""
    sign_in(client, username)
    return hidden(client.get("/staff").text)


def submit(uow_factory, **fields) -> str:
    data = {"situations": ["grooming"]} | fields
    with uow_factory() as uow:
        return intake.submit_report(uow=uow, report=parse_report(data), channel="web", language="id").report_id


def run_jobs(uow_factory):
    worker = Worker(uow_factory)
    while worker.run_once():
        pass


def network(uow_factory):
    """Two linked reports (a phone), one with a hash and a TikTok video link; returns (cluster id, ids)."""
    a = submit(uow_factory, accounts=[PHONE, VIDEO], platforms=["tiktok"], reporter_role="parent",
               age_band="13_15", gender="girl", province_code="32", consent_services=True)
    b = submit(uow_factory, accounts=[PHONE, f"md5 {MD5}"], reporter_role="child", age_band="13_15",
               gender="girl", province_code="32", story="Dia minta foto dan kirim link grup.")
    run_jobs(uow_factory)
    with uow_factory() as uow:
        rid = uow.session.scalar(select(Report.id).where(Report.public_id == a))
        return membership.cluster_of(uow, rid), (a, b)


def actions(uow_factory) -> list[str]:
    with uow_factory() as uow:
        return list(uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def count(uow_factory, model, *where) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_network_page_shows_reports_path_identifiers_and_is_audited(client, uow_factory):
    cid, (a, b) = network(uow_factory)
    make_user(uow_factory, "analis")
    login(client, "analis")
    r = client.get(f"/staff/clusters/{cid}?lang=en")
    assert r.status_code == 200
    html = r.text
    assert a[:8] in html and b[:8] in html
    assert "+6281234567890" in html and MD5 in html  # identifiers, decrypted for the analyst
    assert "Cross-platform path" in html and "TikTok" in html
    assert re.search(r"Children \(estimate\)</dt>\s*<dd>1 ", html)  # parent and child describe one girl
    assert "<script" not in html and "style=" not in html  # CSP: no inline code
    assert 'scope="col"' in html and "<main" in html
    assert actions(uow_factory)[-1] == "cluster.view"
    # the queue and the report page lead to the network
    assert f'href="/staff/clusters/{cid}"' in client.get("/staff").text
    assert f'href="/staff/clusters/{cid}"' in client.get(f"/staff/reports/{a}").text
    assert client.get("/staff/clusters").status_code == 200


def test_who_may_see_a_network_and_who_may_act(client, uow_factory):
    cid, (a, _) = network(uow_factory)
    # signed out: sent to the login page, nothing shown, nothing audited
    r = client.get(f"/staff/clusters/{cid}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
    assert client.post(f"/staff/clusters/{cid}/decisions/close", data={"reason": "x"},
                       follow_redirects=False).status_code == 303
    make_user(uow_factory, "regulator1", role="regulator")
    csrf = login(client, "regulator1")
    assert client.get(f"/staff/clusters/{cid}").status_code == 403
    assert client.get(f"/staff/reports/{a}").status_code == 403  # the report page is for analysts too
    r = client.post(f"/staff/clusters/{cid}/decisions/close", data={"reason": "tidak", "csrf": csrf})
    assert r.status_code == 403
    assert "cluster.view" not in actions(uow_factory)
    assert count(uow_factory, Decision) == 0
    client.cookies.clear()

    make_user(uow_factory, "analis")
    csrf = login(client, "analis")
    # no CSRF token: refused
    assert client.post(f"/staff/clusters/{cid}/decisions/close", data={"reason": "tidak"}).status_code == 403
    # an analyst may not change what links for everyone
    with uow_factory() as uow:
        ident = uow.session.scalar(select(ClusterLink.identifier_id))
    r = client.post(f"/staff/identifiers/{ident}/linking", data={"csrf": csrf, "linking": "0", "reason": "umum",
                                                                  "cluster": cid})
    assert r.status_code == 403
    client.cookies.clear()
    make_user(uow_factory, "admin1", role="admin")
    csrf = login(client, "admin1")
    r = client.post(f"/staff/identifiers/{ident}/linking", data={"csrf": csrf, "linking": "0",
                                                                  "reason": "Nomor umum", "cluster": cid},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "identifier.not_linking" in actions(uow_factory)


def test_cut_a_link_from_the_page(client, uow_factory):
    cid, (a, b) = network(uow_factory)
    make_user(uow_factory, "analis")
    csrf = login(client, "analis")
    with uow_factory() as uow:
        link = uow.session.scalar(select(ClusterLink.id))
    r = client.post(f"/staff/links/{link}/cut", data={"csrf": csrf, "reason": ""})
    assert r.status_code == 422  # a reason is required
    r = client.post(f"/staff/links/{link}/cut", data={"csrf": csrf, "reason": "Nomor kantor sekolah", "cluster": cid},
                    follow_redirects=False)
    assert r.status_code == 303
    with uow_factory() as uow:
        ids = [membership.cluster_of(uow, uow.session.scalar(select(Report.id).where(Report.public_id == p)))
               for p in (a, b)]
    assert ids[0] != ids[1]


def test_decisions_confirm_takedown_police_child_close(client, uow_factory):
    cid, (a, b) = network(uow_factory)
    with uow_factory() as uow:
        tiktok = platforms.create_platform(uow=uow, name="TikTok Indonesia", taxonomy_code="tiktok")
    make_user(uow_factory, "analis")
    csrf = login(client, "analis")
    page = client.get(f"/staff/clusters/{cid}").text
    hash_id = re.search(r'id="cm-(\d+)"', page).group(1)
    video_id = next(i for i in re.findall(r'id="td-(\d+)"', page)
                    if re.search(rf'for="td-{i}">[^<]*<code>https://tiktok.com', page))

    r = client.post(f"/staff/clusters/{cid}/decisions/confirm_material",
                    data={"csrf": csrf, "reason": "Dikonfirmasi ilegal oleh analis.", "identifiers": [hash_id]},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("done=confirm_material")
    with uow_factory() as uow:
        bank = uow.session.scalar(select(HashBank).where(HashBank.name == "safe4c-confirmed"))
        assert bank.confirmed
        assert uow.session.scalar(select(HashEntry.value).where(HashEntry.bank_id == bank.id)) == MD5
        priorities = set(uow.session.scalars(select(Report.priority)))
        assert priorities == {"P1"}  # confirmed material makes the whole network urgent
        assert network_urgency.urgency(uow, cid)["confirmed_material"]

    r = client.post(f"/staff/clusters/{cid}/decisions/takedown",
                    data={"csrf": csrf, "reason": "Video pelaku.", "identifiers": [video_id]}, follow_redirects=False)
    assert r.status_code == 303
    with uow_factory() as uow:
        order = uow.session.scalar(select(TakedownOrder))
        assert order.platform_id == tiktok.id and order.target_type == "url" and order.urgent
    assert "Open takedown orders" in client.get(f"/staff/clusters/{cid}?lang=en").text

    r = client.post(f"/staff/clusters/{cid}/decisions/refer_police", data={"csrf": csrf, "reason": "Jaringan aktif."},
                    follow_redirects=False)
    assert r.status_code == 303
    with uow_factory() as uow:
        referral = uow.session.execute(select(Referral.public_id, Referral.package_sha256)
                                       .where(Referral.kind == "police")).one()
    package = client.get(f"/staff/referrals/{referral.public_id}.json")
    assert package.status_code == 200 and package.headers["content-disposition"].startswith("attachment")
    data = package.json()
    assert data["integrity"]["sha256"] == referral.package_sha256
    assert {r["id"] for r in data["reports"]} == {a, b}
    assert {"type": "md5", "value": MD5, "reports": [b]} in data["hashes"]
    assert any(u["url"].startswith("https://tiktok.com/@kak.rian/video/") for u in data["urls"])
    assert data["takedown_orders"][0]["status"] == "issued"
    times = [data["created_at"], data["takedown_orders"][0]["issued_at"], *(r["received_at"] for r in data["reports"]),
             *(t["at"] for t in data["timeline"]), *(c["at"] for c in data["chain_of_custody"])]
    assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", t) for t in times), times
    custody = [(c["action"], c["actor"]) for c in data["chain_of_custody"]]
    assert ("cluster.view", "analis") in custody and ("report.link", "system") in custody
    assert ("decision.confirm_material", "analis") in custody
    pdf = client.get(f"/staff/referrals/{referral.public_id}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert actions(uow_factory)[-2:] == ["referral.download", "referral.download"]

    r = client.post(f"/staff/clusters/{cid}/decisions/refer_child", data={"csrf": csrf, "reason": "Butuh pendampingan."},
                    follow_redirects=False)
    assert r.status_code == 303
    with uow_factory() as uow:
        help_ = list(uow.session.scalars(select(Referral).where(Referral.kind == "child_help").order_by(Referral.id)))
        assert [(h.status, h.consent) for h in help_] == [("awaiting_handover", True), ("awaiting_handover", False)]

    r = client.post(f"/staff/reports/{b}/decisions/close", data={"csrf": csrf, "reason": "Duplikat."},
                    follow_redirects=False)
    assert r.status_code == 303
    with uow_factory() as uow:
        assert uow.session.scalar(select(Report.status).where(Report.public_id == b)) == "closed"
        kinds = list(uow.session.scalars(select(Decision.kind).order_by(Decision.id)))
        assert kinds == ["confirm_material", "takedown", "refer_police", "refer_child", "close"]
    # who, when, why: on the page, decrypted
    page = client.get(f"/staff/clusters/{cid}?lang=en").text
    assert "Analis" in page and "Jaringan aktif." in page
    for kind in ("confirm_material", "takedown", "refer_police", "refer_child", "close"):
        assert f"decision.{kind}" in actions(uow_factory)


def test_a_decision_without_a_reason_records_nothing(client, uow_factory):
    cid, _ = network(uow_factory)
    make_user(uow_factory, "analis")
    csrf = login(client, "analis")
    before = len(actions(uow_factory))
    r = client.post(f"/staff/clusters/{cid}/decisions/refer_police", data={"csrf": csrf, "reason": "  "})
    assert r.status_code == 422
    assert count(uow_factory, Decision) == 0 and len(actions(uow_factory)) == before


def test_assignment_bulk_actions_and_saved_filters(client, uow_factory):
    cid, (a, b) = network(uow_factory)
    c = submit(uow_factory, accounts=["@orang.lain"])
    run_jobs(uow_factory)
    me = make_user(uow_factory, "analis")
    other = make_user(uow_factory, "budi")
    csrf = login(client, "analis")

    r = client.post(f"/staff/clusters/{cid}/assign", data={"csrf": csrf, "assignee": str(other)}, follow_redirects=False)
    assert r.status_code == 303
    assert count(uow_factory, ReportAssignment, ReportAssignment.assignee_id == other) == 2
    r = client.post("/staff/queue/bulk", data={"csrf": csrf, "action": "assign", "assignee": str(me),
                                               "reports": [c], "back": "/staff"}, follow_redirects=False)
    assert r.status_code == 303 and "bulk_done=1" in r.headers["location"]
    mine = client.get("/staff?assignee=me").text
    assert c[:8] in mine and a[:8] not in mine
    nobody = client.get("/staff?assignee=none").text
    assert c[:8] not in nobody

    r = client.post("/staff/queue/bulk", data={"csrf": csrf, "action": "status", "status": "in_review",
                                               "note": "Mulai ditelaah.", "reports": [a, b, c]}, follow_redirects=False)
    assert "bulk_done=3" in r.headers["location"]
    r = client.post("/staff/queue/bulk", data={"csrf": csrf, "action": "status", "status": "new",
                                               "note": "", "reports": [a]})
    assert r.status_code == 422  # a status change needs a note

    r = client.post("/staff/filters", data={"csrf": csrf, "name": "Milik saya P1",
                                            "query": "assignee=me&priority=P1&bogus=1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff?priority=P1&assignee=me"
    page = client.get("/staff").text
    assert "Milik saya P1" in page and 'href="/staff?priority=P1&amp;assignee=me"' in page
    with uow_factory() as uow:
        fid = uow.session.scalar(select(SavedFilter.id))
    client.post(f"/staff/filters/{fid}/delete", data={"csrf": csrf})
    assert count(uow_factory, SavedFilter) == 0
    assert "report.assign" in actions(uow_factory) and "cluster.assign" in actions(uow_factory)


def test_a_merged_network_redirects_to_the_one_it_joined(client, uow_factory):
    x = submit(uow_factory, accounts=[PHONE])
    y = submit(uow_factory, accounts=["https://t.me/+AbCdEf123456"])
    run_jobs(uow_factory)
    with uow_factory() as uow:
        old = membership.cluster_of(uow, uow.session.scalar(select(Report.id).where(Report.public_id == y)))
    submit(uow_factory, accounts=[PHONE, "https://t.me/+AbCdEf123456"])
    run_jobs(uow_factory)
    make_user(uow_factory, "analis")
    login(client, "analis")
    with uow_factory() as uow:
        new = membership.cluster_of(uow, uow.session.scalar(select(Report.id).where(Report.public_id == x)))
    # x's and y's networks were the same size: the older (x's) is kept, y's points to it
    assert new != old
    r = client.get(f"/staff/clusters/{old}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/staff/clusters/{new}"
    assert client.get("/staff/clusters/999999").status_code == 404


def test_a_decision_commits_once_with_its_entries_and_orders(uow_factory):
    """confirm_material and takedown write bank entries and orders into the decision's own transaction:
    one commit, and a decision that fails leaves no entry or order behind."""
    cid, _ = network(uow_factory)
    with uow_factory() as uow:
        platforms.create_platform(uow=uow, name="TikTok Indonesia", taxonomy_code="tiktok")
    user = make_user(uow_factory, "analis")

    def counting(uow):
        commits = []
        real = uow.commit
        uow.commit = lambda: (commits.append(1), real())[1]
        return commits

    with uow_factory() as uow:
        commits = counting(uow)
        outcome = decisions.confirm_material(uow=uow, where=workspace.scope(uow, cluster_id=cid), actor_id=user,
                                             reason="Dikonfirmasi ilegal oleh analis.")
    assert len(commits) == 1 and outcome.detail["entries"] == 1
    assert count(uow_factory, HashBank) == 1 and count(uow_factory, HashEntry) == 1

    with uow_factory() as uow:
        where = workspace.scope(uow, cluster_id=cid)
        chosen = [ident.id for ident, _, _ in workspace.identifiers(uow, where, None, ("url", "md5"))]
    with uow_factory() as uow:
        commits = counting(uow)
        outcome = decisions.issue_takedowns(uow=uow, where=workspace.scope(uow, cluster_id=cid), actor_id=user,
                                            reason="Video pelaku.", identifier_ids=chosen)
    assert len(commits) == 1 and outcome.detail == {"orders": 1, "without_platform": 1}  # the hash: no platform
    assert count(uow_factory, TakedownOrder) == 1 and count(uow_factory, Decision) == 2

    with uow_factory() as uow:  # the same targets again: nothing new, and the decision is still recorded
        outcome = decisions.issue_takedowns(uow=uow, where=workspace.scope(uow, cluster_id=cid), actor_id=user,
                                            reason="Lagi.", identifier_ids=chosen)
    assert outcome.detail["orders"] == 0 and count(uow_factory, TakedownOrder) == 1

    with uow_factory() as uow:  # an order refused (no such platform): nothing of the decision is kept
        with pytest.raises(Invalid):
            decisions.issue_takedowns(uow=uow, where=workspace.scope(uow, cluster_id=cid), actor_id=user,
                                      reason="Platform salah.", identifier_ids=chosen, platform_id=999_999)
    assert count(uow_factory, TakedownOrder) == 1 and count(uow_factory, Decision) == 3


def test_a_takedown_decision_says_whether_orders_were_issued(client, uow_factory):
    """Issue 12: a decision that issues no order (the platform is not known) must not read as done."""
    cid, _ = network(uow_factory)
    make_user(uow_factory, "analis")
    csrf = login(client, "analis")
    page = client.get(f"/staff/clusters/{cid}").text
    video_id = next(i for i in re.findall(r'id="td-(\d+)"', page)
                    if re.search(rf'for="td-{i}">[^<]*<code>https://tiktok.com', page))

    def decide():
        r = client.post(f"/staff/clusters/{cid}/decisions/takedown",
                        data={"csrf": csrf, "reason": "Video pelaku.", "identifiers": [video_id]},
                        follow_redirects=False)
        assert r.status_code == 303
        return r.headers["location"]

    where = decide()  # no platform registered for tiktok.com: no order
    assert where.endswith("done=takedown_none")
    assert "no registered platform is known" in client.get(where + "&lang=en").text
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(TakedownOrder)) == 0
        platforms.create_platform(uow=uow, name="TikTok Indonesia", taxonomy_code="tiktok")
    assert decide().endswith("done=takedown")
    where = decide()  # the same target again: it already has an open order
    assert where.endswith("done=takedown_existing")
    assert "already has an open order" in client.get(where + "&lang=en").text
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(TakedownOrder)) == 1
