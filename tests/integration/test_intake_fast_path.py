"""The intake hot path on the event loop (kernel/async_uow.py): on PostgreSQL a public report is stored by the
asynchronous unit of work, with the same rows the synchronous path writes; a replay falls back to the
synchronous path; SQLite never uses it."""

from __future__ import annotations

import asyncio
import gc

import pytest
from sqlalchemy import select

from safe4c.bench.loadgen import run_on_own_loop
from safe4c.db.tables import Job, Report
from safe4c.kernel import jobs
from safe4c.reports import intake

URL = "/api/v1/public/reports"
KEY = "9b2f8c4e-1a7d-4e3b-8c6f-0d5e2a9b7c31"
GOOD = {"situations": ["sextortion"], "platforms": ["instagram"], "accounts": ["@orang.asing",
                                                                            "https://instagram.com/orang.asing"],
        "story": "Dia mengancam menyebarkan foto saya kalau saya tidak mengirim uang.", "age_band": "13_15",
        "urgent_signals": ["threat_deadline"], "consent_services": True, "contact_method": "none"}


@pytest.fixture
def no_sync_intake(monkeypatch):
    """Fails any report that reaches the synchronous path; returns the calls it saw."""
    calls = []

    def refuse(**kwargs):
        calls.append(kwargs)
        raise AssertionError("the synchronous intake path was used")

    monkeypatch.setattr(intake, "submit_report", refuse)
    return calls


def test_postgresql_stores_a_public_report_on_the_event_loop(client, app, uow_factory, engine, monkeypatch):
    if engine.dialect.name != "postgresql":
        assert app.state.async_uow_factory is None  # SQLite: every report takes the synchronous path
        assert client.post(URL, json=GOOD).status_code == 201
        return
    assert app.state.async_uow_factory is not None
    woken = []
    jobs.add_local_waiter(woken.append)
    sync_calls = []
    monkeypatch.setattr(intake, "submit_report", lambda **kw: sync_calls.append(kw))
    try:
        answer = client.post(URL, json=GOOD)
    finally:
        jobs.remove_local_waiter(woken.append)
    assert answer.status_code == 201, answer.text
    assert not sync_calls
    assert woken == [jobs.URGENT]  # a P1 report's jobs, told to this process's workers after the commit
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report).where(Report.public_id == answer.json()["id"]))
        # the same row the synchronous path writes: sealed, triaged, typed as the ORM reads it
        assert row.priority == "P1" and row.deadline_at is not None and row.triage_reasons
        assert row.situations == ["sextortion"] and row.received_at.tzinfo is not None
        assert uow.ctx.sealer.open(row.story_sealed, context="report.story") == GOOD["story"]
        assert b"orang.asing" not in row.accounts_sealed
        row_id = row.id
        stored = {job.kind: (job.payload, job.priority) for job in uow.session.scalars(select(Job))}
    assert stored == {kind: ({"report_id": row_id}, jobs.URGENT)
                      for kind in (jobs.MATCH_REPORT, jobs.LINK_REPORT, jobs.OPEN_CASE)}


def test_a_replay_is_answered_by_the_synchronous_path(client, engine, uow_factory):
    first = client.post(URL, json=GOOD, headers={"Idempotency-Key": KEY})
    again = client.post(URL, json=GOOD, headers={"Idempotency-Key": KEY})
    other = client.post(URL, json=dict(GOOD, story="Cerita yang lain."), headers={"Idempotency-Key": KEY})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 422)
    assert again.json()["followup_code"] == first.json()["followup_code"]
    with uow_factory() as uow:
        assert len(list(uow.session.scalars(select(Report.id)))) == 1
        assert len(list(uow.session.scalars(select(Job.id)))) == 3  # the first report's jobs only


def test_a_refused_report_leaves_nothing(app, settings, engine, uow_factory, no_sync_intake):
    if engine.dialect.name != "postgresql":
        pytest.skip("the asynchronous path is PostgreSQL's")
    from fastapi.testclient import TestClient

    settings.public_rate_limit_per_minute = 1
    with TestClient(app) as c:
        assert c.post(URL, json=GOOD).status_code == 201
        refused = c.post(URL, json=GOOD)
    assert refused.status_code == 429
    assert not no_sync_intake
    with uow_factory() as uow:
        assert len(list(uow.session.scalars(select(Report.id)))) == 1
        assert len(list(uow.session.scalars(select(Job.id)))) == 3


def test_a_platform_report_with_a_known_key_is_stored_on_the_event_loop(client, engine, uow_factory,
                                                                        monkeypatch):
    from test_platform_reports import REPORT, auth, make_platform

    from safe4c.db.platforms import PlatformReport
    from safe4c.reports import platform_intake

    p = make_platform(uow_factory)
    first = client.post("/api/v1/reports", json=REPORT, headers=auth(p.api_key, **{"Idempotency-Key": "k-1"}))
    assert first.status_code == 201, first.text  # this process now knows the key
    sync_calls = []
    real = platform_intake.submit_platform_report
    monkeypatch.setattr(platform_intake, "submit_platform_report",
                        lambda **kw: sync_calls.append(kw) or real(**kw))
    second = client.post("/api/v1/reports", json=dict(REPORT, external_id="ext-2"),
                         headers=auth(p.api_key, **{"Idempotency-Key": "k-2"}))
    replayed = client.post("/api/v1/reports", json=dict(REPORT, external_id="ext-2"),
                           headers=auth(p.api_key, **{"Idempotency-Key": "k-2"}))
    assert (second.status_code, replayed.status_code) == (201, 200)
    assert replayed.json() == second.json()
    # On PostgreSQL only the replay took the synchronous path; on SQLite both did.
    assert len(sync_calls) == (1 if engine.dialect.name == "postgresql" else 2)
    with uow_factory() as uow:
        detail = uow.session.scalar(select(PlatformReport).join(Report, Report.id == PlatformReport.report_id)
                                    .where(Report.public_id == second.json()["id"]))
        assert (detail.platform_id, detail.idempotency_key, detail.external_id) == (p.id, "k-2", "ext-2")
        assert "ext-2" in uow.ctx.sealer.open(detail.detail_sealed, context="platform_report.detail")
        kinds = sorted(uow.session.scalars(select(Job.kind).where(
            Job.payload["report_id"].as_integer() == detail.report_id)))
    assert kinds == sorted([jobs.MATCH_REPORT, jobs.LINK_REPORT])


def test_both_paths_prepare_a_platform_report_alike(client, uow_factory):
    """The event loop's path and the synchronous one prepare a platform's report with the one
    ``platform_intake.prepare``: a key with spaces around it is the same key, a key too long is refused alike."""
    from test_platform_reports import REPORT, auth, make_platform

    from safe4c.db.platforms import PlatformReport

    p = make_platform(uow_factory)
    assert client.post("/api/v1/reports", json=REPORT, headers=auth(p.api_key, **{"Idempotency-Key": "k-1"})
                       ).status_code == 201  # this process now knows the key (PostgreSQL: the event loop's path)
    body = dict(REPORT, external_id="ext-3")
    spaced = client.post("/api/v1/reports", json=body, headers=auth(p.api_key, **{"Idempotency-Key": "  k-3  "}))
    again = client.post("/api/v1/reports", json=body, headers=auth(p.api_key, **{"Idempotency-Key": "k-3"}))
    assert (spaced.status_code, again.status_code) == (201, 200) and again.json() == spaced.json()
    too_long = client.post("/api/v1/reports", json=dict(REPORT, external_id="ext-4"),
                           headers=auth(p.api_key, **{"Idempotency-Key": "k" * 201, "Accept-Language": "en"}))
    assert too_long.status_code == 422
    assert too_long.json()["error"]["fields"][0]["field"] == "Idempotency-Key"
    with uow_factory() as uow:
        stored = {(d.idempotency_key, d.external_id) for d in uow.session.scalars(select(PlatformReport))}
    assert stored == {("k-1", REPORT["external_id"]), ("k-3", "ext-3")}


def test_intake_connections_go_back_to_the_pool_and_a_broken_one_is_not_given_out_again(engine, settings,
                                                                                       uow_factory):
    """The pool is bounded by SAFE4C_INTAKE_CONNECTIONS; a connection comes back after each use, and one that
    broke while it was out is replaced, not handed to the next report."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the asynchronous path is PostgreSQL's")
    from safe4c.kernel.async_uow import AsyncUowFactory

    async def scenario():
        factory = AsyncUowFactory.for_engine(engine, uow_factory.ctx, size=3)
        await factory.open()
        try:
            pool = factory._pools[asyncio.get_running_loop()]
            assert pool.max_size == 3
            async with factory() as uow:
                first = uow.conn
                await uow.conn.close()  # as a connection the server dropped
            async with factory() as uow:
                assert uow.conn is not first and not uow.conn.closed
                assert await (await uow.conn.execute("select 1")).fetchone() == (1,)
            async with factory() as a, factory() as b, factory() as c:  # the bound, all out at once
                assert len({id(a.conn), id(b.conn), id(c.conn)}) == 3
                assert pool.get_stats()["pool_size"] == 3
            assert pool.get_stats()["pool_available"] == 3  # all back
        finally:
            await factory.close()

    run_on_own_loop(scenario())  # the test process may run Playwright's loop in this thread


def test_the_served_app_sizes_its_intake_pool_from_the_setting(engine, settings, clock):
    from safe4c.web.app import create_app

    app = create_app(settings.model_copy(update={"intake_connections": 5}), clock=clock, engine=engine)
    factory = app.state.async_uow_factory
    assert (factory.size if factory is not None else None) == (5 if engine.dialect.name == "postgresql" else None)


def test_an_app_that_has_started_keeps_its_start_up_objects_out_of_full_collections(app, monkeypatch):
    """web/app.py ``settle_heap``: soon after start-up the process's long-lived objects are frozen, so a full
    collection no longer scans them; not during start-up, which it would slow down."""
    import time

    from fastapi.testclient import TestClient

    from safe4c.web import app as web_app

    monkeypatch.setattr(web_app, "_heap_settled", False)
    monkeypatch.setattr(web_app, "SETTLE_HEAP_AFTER_SECONDS", 1.0)
    gc.unfreeze()  # as a process that never settled (another test's app may have)
    with TestClient(app) as client:
        assert gc.get_freeze_count() == 0  # started, and nothing frozen yet
        assert client.get("/healthz").status_code in (200, 503)
        deadline = time.monotonic() + 10
        while gc.get_freeze_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert gc.get_freeze_count() > 100_000
