"""Matching and list sync through the platform API, and matching at intake, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from safe4c.db.platforms import TakedownOrder
from safe4c.db.tables import Report, ReportEvent
from safe4c.reports.rules.report import parse_report
from safe4c.hashlist import banks as hashlist, known_material
from safe4c.reports import intake
from safe4c.access import platforms
from safe4c.hashlist.matcher import MatcherFollower, Query, SharedMatcher
from safe4c.kernel.uow import Context, UnitOfWork
from safe4c.worker import Worker

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
LINK = "https://tiktok.com/@pemburu.rahasia/video/1"


def platform(uow_factory, name="TikTok Indonesia", code="tiktok"):
    with uow_factory() as uow:
        return platforms.create_platform(uow=uow, name=name, taxonomy_code=code)


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def bank_with(uow_factory, *entries, name="National CSAM list", confirmed=True) -> tuple[int, list[int]]:
    with uow_factory() as uow:
        b = hashlist.create_bank(uow=uow, name=name, confirmed=confirmed)
    ids = []
    for signal_type, value in entries:
        with uow_factory() as uow:
            ids.append(hashlist.add_entry(uow=uow, bank_id=b, signal_type=signal_type, value=value).entry_id)
    return b, ids


def refresh(client, uow_factory) -> None:
    """Catch the app's matcher up now instead of waiting for its follower thread (200 ms)."""
    with uow_factory() as uow:
        client.app.state.shared_matcher.matcher.refresh(uow)


def test_both_routes_need_a_platform_key(client):
    assert client.post("/api/v1/match", json={"items": []}).status_code == 401
    assert client.get("/api/v1/signals").status_code == 401
    r = client.post("/api/v1/match", json={"items": []}, headers=auth("s4c_not-a-real-key"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_a_batch_gets_per_item_matches_and_errors(client, uow_factory):
    key = platform(uow_factory).api_key
    _, (md5_id, pdq_id) = bank_with(uow_factory, ("md5", MD5), ("pdq", PDQ))
    refresh(client, uow_factory)
    near = f"{int(PDQ, 16) ^ 0b1011:064x}"  # 3 bits flipped
    items = [{"type": "md5", "value": MD5.upper()}, {"type": "pdq", "value": near, "quality": 100},
             {"type": "pdq", "value": near, "quality": 49}, {"type": "sha256", "value": "0" * 64},
             {"type": "md5", "value": "z" * 32}, {"type": "md5", "value": "0" * 31}, {"type": "tlsh", "value": "T1"},
             "not an object", {"type": "pdq", "value": PDQ, "quality": 500}]
    r = client.post("/api/v1/match", json={"items": items}, headers=auth(key) | {"Accept-Language": "en"})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["match", "match", "ignored", "no_match", "error", "error", "error",
                                              "error", "error"]
    assert results[0]["matches"] == [{"entry_id": md5_id, "bank": "National CSAM list", "classification": "csam",
                                      "distance": 0}]
    assert results[1]["matches"][0]["entry_id"] == pdq_id and results[1]["matches"][0]["distance"] == 3
    assert [x["error"]["code"] for x in results[4:]] == ["bad_hex", "wrong_length", "unknown_type", "not_an_object",
                                                         "bad_quality"]
    assert results[5]["error"]["message"] == "A md5 value has 32 hexadecimal characters."
    assert [x["index"] for x in results] == list(range(len(items)))
    assert int(r.json()["list_version"]) >= 2


def test_a_nul_in_one_item_is_that_items_error_not_the_batchs(client, uow_factory):
    # Matching stores nothing, so text a database cannot hold is only a wrong value: the other items still match.
    key = platform(uow_factory).api_key
    bank_with(uow_factory, ("md5", MD5))
    refresh(client, uow_factory)
    items = [{"type": "md5", "value": MD5}, {"type": "md5", "value": MD5[:10] + "\x00" + MD5[11:]},
             {"type": "url\x00", "value": "x"}, {"n\x00": [{"deeper": "\x00"}]}]
    r = client.post("/api/v1/match", json={"items": items}, headers=auth(key) | {"Accept-Language": "en"})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["match", "error", "error", "error"]
    assert [x["error"]["code"] for x in results[1:]] == ["bad_hex", "unknown_type", "unknown_type"]


def test_errors_are_in_the_requested_language(client, uow_factory):
    key = platform(uow_factory).api_key
    r = client.post("/api/v1/match", json={"items": [{"type": "md5", "value": "z"}]},
                    headers=auth(key) | {"Accept-Language": "id"})
    assert r.json()["results"][0]["error"]["message"] == "Nilai harus heksadesimal (0-9, a-f)."


def test_the_batch_limit_and_a_bad_body_are_422(client, uow_factory, settings):
    key = platform(uow_factory).api_key
    too_many = [{"type": "md5", "value": MD5}] * (settings.match_batch_limit + 1)
    r = client.post("/api/v1/match", json={"items": too_many}, headers=auth(key))
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "items"
    ok = client.post("/api/v1/match", json={"items": too_many[:-1]}, headers=auth(key))
    assert ok.status_code == 200 and len(ok.json()["results"]) == settings.match_batch_limit
    assert client.post("/api/v1/match", json=[{"type": "md5"}], headers=auth(key)).status_code == 422
    assert client.post("/api/v1/match", content=b"{not json", headers=auth(key)).status_code == 422


def test_a_hash_confirmed_after_start_up_matches_through_the_api_after_a_follower_poll(client, uow_factory):
    key = platform(uow_factory).api_key
    b, _ = bank_with(uow_factory)
    body = {"items": [{"type": "pdq", "value": PDQ}]}
    assert client.post("/api/v1/match", json=body, headers=auth(key)).json()["results"][0]["status"] == "no_match"
    with uow_factory() as uow:
        hashlist.add_entry(uow=uow, bank_id=b, signal_type="pdq", value=PDQ)
    MatcherFollower(client.app.state.shared_matcher.matcher, uow_factory).poll_once()  # what the app's follower does
    r = client.post("/api/v1/match", json=body, headers=auth(key)).json()
    assert r["results"][0]["status"] == "match"
    assert r["list_version"] == str(client.app.state.shared_matcher.matcher.cursor)


def test_without_a_start_up_matcher_the_first_request_loads_keeps_and_follows_one(client, uow_factory):
    key = platform(uow_factory).api_key
    _, (md5_id,) = bank_with(uow_factory, ("md5", MD5))
    client.app.state.shared_matcher.stop()  # as when loading failed at start-up
    client.app.state.shared_matcher.matcher = None
    body = {"items": [{"type": "md5", "value": MD5}]}
    r = client.post("/api/v1/match", json=body, headers=auth(key))
    assert r.json()["results"][0]["matches"][0]["entry_id"] == md5_id
    loaded = client.app.state.shared_matcher.matcher
    follower = client.app.state.shared_matcher.follower
    try:
        assert loaded is not None and follower.matcher is loaded and follower._thread.is_alive()
        client.post("/api/v1/match", json=body, headers=auth(key))
        assert client.app.state.shared_matcher.matcher is loaded  # kept, not loaded again
    finally:
        follower.stop()


def test_a_stale_list_is_served_when_the_database_is_away(client, uow_factory, monkeypatch):
    key = platform(uow_factory).api_key
    bank_with(uow_factory, ("md5", MD5))
    refresh(client, uow_factory)
    matcher = client.app.state.shared_matcher.matcher
    attempts = []

    def database_away(uow):
        attempts.append(uow)
        raise ConnectionError("database away")

    monkeypatch.setattr(matcher, "refresh", database_away)
    matcher.refreshed_at = 0.0  # the follower has fallen far behind
    r = client.post("/api/v1/match", json={"items": [{"type": "md5", "value": MD5}]}, headers=auth(key))
    assert attempts  # the request tried to catch up
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "match"
    assert r.json()["list_version"] == str(matcher.cursor)


def test_signals_pages_mirror_the_list(client, uow_factory):
    key = platform(uow_factory).api_key
    _, ids = bank_with(uow_factory, *[("md5", f"{i:032x}") for i in range(3)])
    with uow_factory() as uow:
        hashlist.set_entry_enabled(uow=uow, entry_id=ids[0], enabled=False, actor_id=None)
    mirror: dict[int, str] = {}
    cursor, pages = None, 0
    while True:
        r = client.get("/api/v1/signals", params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                       headers=auth(key))
        assert r.status_code == 200, r.text
        page = r.json()
        mirror.update({s["id"]: s["value"] for s in page["additions"]})
        for s in page["removals"]:
            mirror.pop(s["id"], None)
        cursor, pages = page["next_cursor"], pages + 1
        if not page["has_more"]:
            break
    assert pages == 2 and mirror == {ids[1]: f"{1:032x}", ids[2]: f"{2:032x}"}
    r = client.get("/api/v1/signals", params={"cursor": cursor}, headers=auth(key))
    assert r.json() == {"additions": [], "removals": [], "next_cursor": cursor, "has_more": False}
    bad = client.get("/api/v1/signals", params={"cursor": "abc"}, headers=auth(key))
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "cursor"


PLATFORM_REPORT = {
    "incident": {"situation": "abuse_material", "time": "2026-01-05T06:30:00+07:00"},
    "content": [{"url": "https://www.tiktok.com/@pemburu.rahasia/video/1", "md5": "0" * 32, "pdq": "f" * 64}],
}

# --- matching at intake ---------------------------------------------------------------------------------

def submit_public(uow_factory, accounts, situations=("grooming",)) -> str:
    report = parse_report({"situations": list(situations), "accounts": accounts})
    with uow_factory() as uow:
        return intake.submit_report(uow=uow, report=report, channel="web", language="id").report_id


def stored(uow_factory, public_id):
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report).where(Report.public_id == public_id))
        events = list(uow.session.scalars(select(ReportEvent.kind).where(ReportEvent.report_id == row.id)))
        orders = [(o.platform_id, o.target_type, o.target_value, o.urgent, o.category) for o in
                  uow.session.scalars(select(TakedownOrder).where(TakedownOrder.report_id == row.id))]
        view = SimpleNamespace(id=row.id, priority=row.priority, triage_reasons=row.triage_reasons,
                               received_at=row.received_at, deadline_at=row.deadline_at)
        return view, events, orders


def test_a_public_report_with_a_listed_link_is_raised_to_p1_with_an_urgent_takedown(client, uow_factory):
    tiktok = platform(uow_factory)
    bank_with(uow_factory, ("url", LINK))
    public_id = submit_public(uow_factory, ["@pemburu.rahasia", "https://www.tiktok.com/@pemburu.rahasia/video/1?"
                                            "is_from_webapp=1"])
    row, _, _ = stored(uow_factory, public_id)
    assert row.priority == "P3"  # intake itself does not wait for matching
    assert Worker(uow_factory).run_once() >= 1
    Worker(uow_factory).run_once()  # escalation or webhook jobs the order queued, if any are due
    row, events, orders = stored(uow_factory, public_id)
    assert row.priority == "P1" and row.triage_reasons[0]["code"] == "match.known_material"
    assert "situation.grooming" in [r["code"] for r in row.triage_reasons]
    assert row.deadline_at == row.received_at + timedelta(minutes=60)  # P1's first-action deadline
    assert events == ["matched"]
    assert orders == [(tiktok.id, "url", LINK, True, "csam")]
    with uow_factory() as uow:  # the job is idempotent
        again = known_material.match_report(uow=uow, report_id=row.id, matcher=SharedMatcher())
    assert again["raised"] is False and again["takedowns"] == 0
    assert len(stored(uow_factory, public_id)[2]) == 1


def test_reports_without_links_or_hashes_write_no_match_job(uow_factory):
    from safe4c.db.tables import Job

    submit_public(uow_factory, ["@someone", "+62 812 3456 7890"])
    with uow_factory() as uow:
        assert "report.match" not in list(uow.session.scalars(select(Job.kind)))


def test_a_platform_report_with_a_listed_hash_gets_an_order_to_that_platform(client, uow_factory):
    p = platform(uow_factory)
    bank_with(uow_factory, ("md5", "0" * 32))
    r = client.post("/api/v1/reports", json=PLATFORM_REPORT, headers=auth(p.api_key))
    assert r.status_code == 201, r.text
    Worker(uow_factory).run_once()
    row, events, orders = stored(uow_factory, r.json()["id"])
    assert row.priority == "P1" and row.triage_reasons[0]["code"] == "match.known_material"
    assert events == ["matched"]
    assert orders == [(p.id, "url", "https://tiktok.com/@pemburu.rahasia/video/1", True, "csam")]


def test_unconfirmed_banks_and_the_takedown_setting(engine, settings, clock, uow_factory):
    platform(uow_factory)
    bank_with(uow_factory, ("url", LINK), name="Under review", confirmed=False)
    unconfirmed = submit_public(uow_factory, [LINK])
    Worker(uow_factory).run_once()
    row, events, orders = stored(uow_factory, unconfirmed)
    assert row.priority == "P3" and events == [] and orders == []

    bank_with(uow_factory, ("url", LINK), name="National CSAM list")
    from safe4c.db.session import make_session_factory

    quiet = Context.build(settings.model_copy(update={"match_takedown_at_intake": False}), clock)
    factory = make_session_factory(engine)
    public_id = submit_public(uow_factory, [LINK])
    with uow_factory() as uow:
        report_id = uow.session.scalar(select(Report.id).where(Report.public_id == public_id))
    with UnitOfWork(factory, quiet) as uow:
        figures = known_material.match_report(uow=uow, report_id=report_id, matcher=SharedMatcher())
    assert figures["raised"] and figures["takedowns"] == 0
    row, events, orders = stored(uow_factory, public_id)
    assert row.priority == "P1" and orders == []


def test_a_match_is_one_transaction_with_its_raise_and_orders(client, uow_factory, monkeypatch):
    """match_report commits once: the raise and every order it places are stored together (place_order, not
    issue_order, which commits on its own)."""
    tiktok = platform(uow_factory)
    bank_with(uow_factory, ("url", LINK), ("md5", "0" * 32))
    public_id = submit_public(uow_factory, [LINK, "0" * 32])
    commits = []
    real_commit = UnitOfWork.commit
    monkeypatch.setattr(UnitOfWork, "commit", lambda self: (commits.append(1), real_commit(self))[1])
    with uow_factory() as uow:
        report_id = uow.session.scalar(select(Report.id).where(Report.public_id == public_id))
        figures = known_material.match_report(uow=uow, report_id=report_id, matcher=SharedMatcher())
    assert figures["raised"] and figures["takedowns"] == 1 and len(commits) == 1
    row, events, orders = stored(uow_factory, public_id)
    assert row.priority == "P1" and events == ["matched"] and orders == [(tiktok.id, "url", LINK, True, "csam")]


def test_each_app_owns_its_matcher_and_gives_it_to_its_worker(engine, settings, clock, uow_factory):
    from safe4c.web.app import create_app

    one, other = (create_app(settings, clock=clock, engine=engine) for _ in range(2))
    assert isinstance(one.state.shared_matcher, SharedMatcher)
    assert one.state.shared_matcher is not other.state.shared_matcher  # no process-wide matcher
    bank_with(uow_factory, ("md5", MD5))
    with uow_factory() as uow:
        matcher = one.state.shared_matcher.refreshed(uow)
    assert one.state.shared_matcher.matcher is matcher and other.state.shared_matcher.matcher is None
    assert [r.status for r in matcher.match([Query("md5", MD5)])] == ["match"]
