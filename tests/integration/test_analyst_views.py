"""What the analyst sees (issue 12), over HTTP on SQLite and PostgreSQL: a network's urgency, a platform's report
as the platform sent it, a report still being processed, and accounts whose platform is not known."""

from __future__ import annotations

from helpers import hidden, make_user, sign_in
from sqlalchemy import select

from safe4c.db.linking import LinkIdentifier
from safe4c.db.tables import AuditEntry, Report
from safe4c.networks import membership
from safe4c.access import platforms
from safe4c.reports import intake
from safe4c.reports.rules.report import parse_report
from safe4c.worker import Worker

PHONE = "0812-3456-7890"


def submit(uow_factory, **fields) -> str:
    data = {"situations": ["grooming"]} | fields
    with uow_factory() as uow:
        return intake.submit_report(uow=uow, report=parse_report(data), channel="web", language="id").report_id


def run_jobs(uow_factory):
    worker = Worker(uow_factory)
    while worker.run_once():
        pass


def cluster_of(uow_factory, public_id: str) -> int:
    with uow_factory() as uow:
        rid = uow.session.scalar(select(Report.id).where(Report.public_id == public_id))
        return membership.cluster_of(uow, rid)


def login(client, username="analis"):
    sign_in(client, username)
    return hidden(client.get("/staff").text)


# --- a network with a P1 member is urgent ----------------------------------------------------------------

def test_a_network_whose_p1_comes_from_a_young_childs_raise_is_urgent(client, uow_factory):
    # sextortion (P2) of an 11-year-old: raised to P1 by the child's age, a P1 of its own
    young = submit(uow_factory, situations=["sextortion"], age_band="10_12", accounts=[PHONE])
    other = submit(uow_factory, situations=["grooming"], accounts=[PHONE])
    run_jobs(uow_factory)
    with uow_factory() as uow:
        rows = {r.public_id: r for r in uow.session.scalars(select(Report))}
        assert rows[young].priority == "P1"
        assert rows[other].priority == "P1"  # raised by the network
        assert rows[other].triage_reasons[0]["code"] == "link.urgent_cluster"
    make_user(uow_factory)
    login(client)
    html = client.get(f"/staff/clusters/{cluster_of(uow_factory, young)}?lang=en").text
    assert "<strong>Yes</strong>" in html and "it holds a P1 report" in html


# --- a platform's report shows what the platform sent ----------------------------------------------------

PLATFORM_REPORT = {
    "external_id": "TT-2026-0042",
    "incident": {"situation": "sextortion", "time": "2026-01-05T06:30:00+07:00", "escalate_to_urgent": True,
                 "escalation_reason": "Pelaku menetapkan batas waktu malam ini.", "annotations": ["minor_to_minor"]},
    "reported_accounts": [{"platform_user_id": "7712001", "screen_name": "@pemburu.rahasia",
                           "display_names": ["Kak Rian"]}],
    "victims": [{"age": 14, "screen_name": "@korban_x"}],
    "content": [{"url": "https://www.tiktok.com/@pemburu.rahasia/video/1", "md5": "0" * 32,
                 "file_name": "video1.mp4", "industry_classification": "B2"}],
}


def platform_report(client, uow_factory) -> str:
    with uow_factory() as uow:
        p = platforms.create_platform(uow=uow, name="TikTok Indonesia", taxonomy_code="tiktok")
    r = client.post("/api/v1/reports", json=PLATFORM_REPORT, headers={"Authorization": f"Bearer {p.api_key}"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_the_report_page_shows_what_the_platform_sent(client, uow_factory):
    public_id = platform_report(client, uow_factory)
    run_jobs(uow_factory)
    make_user(uow_factory)
    login(client)
    html = client.get(f"/staff/reports/{public_id}?lang=en").text
    assert "What the platform sent" in html and "TikTok Indonesia" in html
    assert "TT-2026-0042" in html  # its own reference
    assert "Pelaku menetapkan batas waktu malam ini." in html  # why it escalated
    assert "Between minors" in html
    assert "https://www.tiktok.com/@pemburu.rahasia/video/1" in html and "video1.mp4" in html and "0" * 32 in html
    assert "B2: pubescent child, lascivious exhibition" in html
    assert "14 years old" in html and "@korban_x" in html and "Kak Rian" in html
    assert "The platform TikTok Indonesia, on its users&#39; behalf" in html  # "Who reported" is not "Not given"
    assert "(unknown)" not in html  # the account's weak twin is not offered as one of the report's own identifiers
    html_id = client.get(f"/staff/reports/{public_id}?lang=id").text
    assert "Yang dikirim platform" in html_id and "Rujukan platform sendiri" in html_id


# --- without a worker, the report says it is still being processed --------------------------------------

def test_a_report_not_processed_yet_says_so_and_whether_a_worker_runs(client, uow_factory, clock):
    public_id = submit(uow_factory, accounts=["@budi.s", PHONE], platforms=["instagram"])
    make_user(uow_factory)
    login(client)
    html = client.get(f"/staff/reports/{public_id}?lang=en").text
    assert "This report is still being processed." in html
    assert "No background worker is running (last seen: never)" in html
    run_jobs(uow_factory)  # a worker beats and runs the jobs
    html = client.get(f"/staff/reports/{public_id}?lang=en").text
    assert "still being processed" not in html
    assert "<code>budi.s</code>" in html and "id=\"td-" in html  # the takedown form now offers the account


# --- accounts of unknown platform still link, weakly and explained -------------------------------------

def platform_account_report(client, uow_factory, name, code, handle) -> str:
    with uow_factory() as uow:
        p = platforms.create_platform(uow=uow, name=name, taxonomy_code=code)
    body = {"incident": {"situation": "grooming", "time": "2026-01-05T06:30:00+07:00"},
            "reported_accounts": [{"screen_name": handle}]}
    r = client.post("/api/v1/reports", json=body, headers={"Authorization": f"Bearer {p.api_key}"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_child_who_ticks_two_platforms_links_to_the_platforms_report_and_the_analyst_can_say_which(
        client, uow_factory):
    instagram = platform_account_report(client, uow_factory, "Instagram", "instagram", "@budi.s")
    tiktok = platform_account_report(client, uow_factory, "TikTok", "tiktok", "@budi.s")
    run_jobs(uow_factory)
    assert cluster_of(uow_factory, instagram) != cluster_of(uow_factory, tiktok)  # not through the weak twin
    child = submit(uow_factory, accounts=["@budi.s"], platforms=["instagram", "whatsapp"])
    run_jobs(uow_factory)
    cid = cluster_of(uow_factory, child)
    assert cid == cluster_of(uow_factory, instagram)  # the first report that holds the account
    make_user(uow_factory)
    csrf = login(client)
    html = client.get(f"/staff/clusters/{cid}?lang=en").text
    assert "Same handle @budi.s, platform not known: a weaker link, check it" in html
    assert "Account (platform not known)" in html and "Which platform is this account on?" in html
    html_id = client.get(f"/staff/clusters/{cid}?lang=id").text
    assert "platform tidak diketahui" in html_id
    with uow_factory() as uow:
        unknown = uow.session.scalar(select(LinkIdentifier.id).where(LinkIdentifier.kind == "handle",
                                                                    LinkIdentifier.platform == "unknown"))
    refused = client.post(f"/staff/identifiers/{unknown}/platform?lang=en",
                          data={"csrf": csrf, "platform": "", "reason": "x", "cluster": str(cid)})
    assert refused.status_code == 422 and "Choose the platform the account is on." in refused.text
    r = client.post(f"/staff/identifiers/{unknown}/platform", follow_redirects=False,
                    data={"csrf": csrf, "platform": "instagram", "reason": "Tangkapan layar profil dari anak.",
                          "cluster": str(cid)})
    assert r.status_code == 303
    cid = cluster_of(uow_factory, child)
    assert cid == cluster_of(uow_factory, instagram) != cluster_of(uow_factory, tiktok)
    html = client.get(f"/staff/clusters/{cid}?lang=en").text
    assert "Instagram account @budi.s" in html and "platform not known: a weaker link" not in html
    with uow_factory() as uow:
        assert "identifier.platform" in uow.session.scalars(select(AuditEntry.action)).all()


def test_link_reasons_say_the_platform(client, uow_factory):
    a = submit(uow_factory, accounts=["https://t.me/grup_rahasia_x"])
    b = submit(uow_factory, story="Dia suruh gabung https://t.me/grup_rahasia_x sekarang.")
    run_jobs(uow_factory)
    make_user(uow_factory)
    login(client)
    html = client.get(f"/staff/clusters/{cluster_of(uow_factory, a)}?lang=en").text
    assert cluster_of(uow_factory, a) == cluster_of(uow_factory, b)
    assert "Telegram link t.me/grup_rahasia_x" in html and "Telegram account" not in html
