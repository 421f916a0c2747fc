"""`safe4c demo --reports N` (demo/bulk.py): 2,000 synthetic reports written in bulk are data intake and the
analysts could have produced: every row where its foreign keys point, priorities as triage gives them, statuses
reached by allowed steps in time order, orders whose status, timestamps and escalation level agree with their
events, sealed fields that open. On SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict

from sqlalchemy import func, select

from safe4c.db.platforms import Platform, TakedownEvent, TakedownOrder
from safe4c.db.tables import Job, Report, ReportEvent, StaffUser
from safe4c.demo import synthetic
from safe4c.demo.bulk import generate
from safe4c.demo.reports import STORIES
from safe4c.kernel import regions
from safe4c.reports import fields as report_fields
from safe4c.reports.escalation import facts_of
from safe4c.reports.rules import escalation
from safe4c.reports.rules.taxonomy import can_move
from safe4c.takedowns.rules import deadlines

N = 2000


def test_2000_bulk_reports_are_consistent(uow_factory, clock):
    g = generate(uow_factory=uow_factory, reports=N, seed=11, chunk=700, progress=False)  # 3 chunks
    assert g.reports == N and g.events > N and g.orders > 100 and g.order_events > g.orders
    now = clock.now()
    with uow_factory() as uow:
        s = uow.session
        reports = s.scalars(select(Report).order_by(Report.id)).all()
        events = s.scalars(select(ReportEvent).order_by(ReportEvent.report_id, ReportEvent.at)).all()
        orders = s.scalars(select(TakedownOrder)).all()
        order_events = s.scalars(select(TakedownEvent).order_by(TakedownEvent.order_id, TakedownEvent.at)).all()
        platforms = dict(s.execute(select(Platform.id, Platform.taxonomy_code)).all())
        jobs = s.scalars(select(Job).where(Job.kind == "takedown.escalate")).all()
        staff = set(s.scalars(select(StaffUser.id)))
        sealer = uow.ctx.sealer
        deadline_minutes = uow.settings.triage_deadline_minutes
        intervals = uow.settings.takedown_escalation_hours
        s.expunge_all()  # the rows stay readable after the unit of work ends

    # counts and where the foreign keys point
    assert len(reports) == N and len({r.public_id for r in reports}) == N
    assert (len(events), len(orders), len(order_events)) == (g.events, g.orders, g.order_events)
    ids = {r.id for r in reports}
    assert {e.report_id for e in events} <= ids and {o.report_id for o in orders} <= ids
    assert {o.platform_id for o in orders} <= set(platforms) and {o.id for o in orders} == {e.order_id for e in order_events}
    assert {e.actor_id for e in events} <= staff

    # priorities are what triage gives the report's facts; statuses follow the allowed steps, in time order
    by_report = defaultdict(list)
    for e in events:
        by_report[e.report_id].append(e)
    stories = {s for texts in STORIES.values() for s in texts}
    for r in reports:
        expected = escalation.triaged(facts_of(r), received_at=r.received_at, now=r.received_at,
                                      deadline_minutes=deadline_minutes)
        assert (r.priority, r.deadline_at, r.triaged_at) == (expected.priority, expected.deadline_at, r.received_at)
        assert r.triage_reasons == list(expected.reasons)
        status, at = "new", r.received_at
        for e in by_report[r.id]:
            assert e.kind == "status" and e.from_status == status and can_move(status, e.to_status)
            assert at <= e.at < now and sealer.open(e.note_sealed, context="report.note")
            status, at = e.to_status, e.at
        assert (r.status, r.updated_at) == (status, at)
        assert r.province_code in synthetic.PROVINCE_POPULATION
        assert regions.regency_in_province(r.regency_code, r.province_code)
        assert r.received_at < now and (now - r.received_at).days <= 24 * 31
        story = sealer.open(r.story_sealed, context="report.story")
        assert any(story == t.format(platform=p.replace("_", " ").title()) for t in stories for p in r.platforms)
        assert (r.contact_sealed is None) == (r.contact_method == "none")
        if r.accounts_sealed is not None:
            assert report_fields.accounts(sealer, r)
    assert set(Counter(r.status for r in reports)) >= {"in_review", "actioned", "closed"}
    assert {r.priority for r in reports} == {"P1", "P2", "P3", "P4"}
    assert len({r.province_code for r in reports}) >= 30

    # orders: status and timestamps agree with their events; escalation as far as was due
    by_order = defaultdict(list)
    for e in order_events:
        by_order[e.order_id].append(e)
    reports_by_id = {r.id: r for r in reports}
    open_below_top = set()
    for o in orders:
        kinds = [e.kind for e in by_order[o.id]]
        assert kinds[0] == "issued" and by_order[o.id][0].at == o.issued_at
        assert reports_by_id[o.report_id].status in ("actioned", "closed")
        assert platforms[o.platform_id] in reports_by_id[o.report_id].platforms
        assert o.urgent == (o.category == "csam")
        assert o.escalation_level == kinds.count("escalated") and o.escalation_level <= deadlines.MAX_LEVEL
        # a step's due time written as the worker writes it (takedowns/orders.py): RFC 3339 with "Z"
        assert all(e.detail["due_at"].endswith("Z") for e in by_order[o.id] if e.kind == "escalated")
        if o.status == "removed":
            assert o.removed_at and o.closed_at == o.removed_at and kinds[-1] == "removed"
            removed = by_order[o.id][-1]
            assert removed.detail["within_deadline"] == (o.removed_at <= o.deadline_at)
        elif o.status == "withdrawn":
            assert o.closed_at and kinds[-1] == "withdrawn" and o.removed_at is None
        else:
            assert o.status in ("issued", "acknowledged", "disputed") and o.closed_at is None
            nxt = deadlines.next_step(o.deadline_at, o.escalation_level, intervals=intervals)
            if nxt is not None and o.status != "disputed":  # a dispute pauses the ladder
                assert nxt[1] >= now  # the steps due by now were taken
                open_below_top.add((o.id, nxt[0].level))
        for e in by_order[o.id]:
            assert o.issued_at <= e.at <= now
    assert Counter(o.status for o in orders)["removed"] > len(orders) / 2  # most platforms comply
    assert any(o.escalation_level for o in orders if o.status == "removed")  # some late
    assert {(j.payload["order_id"], j.payload["level"]) for j in jobs} == open_below_top

    # the same seed again adds new reports beside the first (ids and follow-up hashes are random)
    generate(uow_factory=uow_factory, reports=50, seed=11, progress=False)
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Report)) == N + 50


def test_the_demo_command_generates_and_reports_its_time(tmp_path):
    import os

    env = dict(os.environ, SAFE4C_DATA_DIR=str(tmp_path), SAFE4C_DATABASE_URL="", SAFE4C_SECRET_KEY="cli-test")
    run = lambda *a: subprocess.run([sys.executable, "-m", "safe4c.cli", *a], env=env, capture_output=True,  # noqa: E731
                                    text=True, timeout=120)
    assert run("db", "upgrade").returncode == 0
    out = run("demo", "--reports", "300", "--seed", "5")
    assert out.returncode == 0, out.stderr
    assert "300 reports over 24 months generated in" in out.stdout and "reports 300/300" in out.stderr
    assert "already loaded" in run("demo", "--reports", "300", "--if-empty").stdout
    assert run("demo", "--reports", "0").returncode == 2
