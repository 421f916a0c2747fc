"""A report has one case (docs/cases.md "Opening a case"; uq_cases_report, migration 0019), on SQLite and
PostgreSQL: the analyst's "open a case" and the automatic ``case.open`` job, in either order or at the same
moment, leave one case; the database refuses a second one outright; walk-ins (no report) are not limited; and
routing picks the agency nearest the child with one query."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from case_helpers import make_agency, make_agency_user
from helpers import make_user
from sqlalchemy import event, func, select

from safe4c.cases import cases, caseload, child_status
from safe4c.db.cases import Case
from safe4c.db.tables import AuditEntry, Report
from safe4c.reports import intake
from safe4c.reports.rules.report import parse_report
from safe4c.workspace import decisions
from safe4c.worker import Worker

REASON = "Anak perlu pendampingan segera."


@pytest.fixture
def world(uow_factory):
    bandung = make_agency(uow_factory, "uptd-ppa-3273", region="32.73", name="UPTD PPA Kota Bandung")
    province = make_agency(uow_factory, "uptd-ppa-32", region="32", name="UPTD PPA Jawa Barat")
    hotline = make_agency(uow_factory, "sapa-129", agency_type="hotline", region="ID", name="SAPA 129")
    make_agency(uow_factory, "rs-3273", agency_type="health", region="32.73", name="RS Contoh")
    worker = make_agency_user(uow_factory, "pekerja", "case_worker", bandung)
    return {"bandung": bandung, "province": province, "hotline": hotline, "worker": worker,
            "analyst": make_user(uow_factory, "analis", "analyst")}


def _submit(uow_factory, **fields) -> tuple[int, str]:
    data = {"situations": ["sextortion"], "story": "Saya diancam.", "consent_services": True, "province_code": "32",
            "regency_code": "32.73", "contact_method": "whatsapp", "contact_value": "0812-3456-7890"} | fields
    with uow_factory() as uow:
        public_id = intake.submit_report(uow=uow, report=parse_report(data), channel="web", language="id").report_id
    with uow_factory() as uow:
        return uow.session.scalar(select(Report.id).where(Report.public_id == public_id)), public_id


def _open_by_decision(uow_factory, world, public_id):
    with uow_factory() as uow:
        return decisions.decide(uow=uow, kind="open_case", where=decisions.scope(uow, report_public_id=public_id),
                                actor_id=world["analyst"], reason=REASON)


def _run_jobs(uow_factory):
    worker = Worker(uow_factory)
    while worker.run_once():
        pass


def _cases_of(uow_factory, report_id) -> list[Case]:
    with uow_factory() as uow:
        rows = list(uow.session.scalars(select(Case).where(Case.report_id == report_id)))
        uow.session.expunge_all()
        return rows


def _opened_audits(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "case.open"))


def test_the_decision_then_the_job_leave_one_case(uow_factory, world):
    report_id, public_id = _submit(uow_factory)
    assert _open_by_decision(uow_factory, world, public_id).detail == {"cases": 1, "already_open": 0}
    _run_jobs(uow_factory)  # the case.open job intake wrote finds the analyst's case
    found = _cases_of(uow_factory, report_id)
    assert len(found) == 1 and found[0].origin == "report" and _opened_audits(uow_factory) == 1


def test_the_job_then_the_decision_leave_one_case(uow_factory, world):
    report_id, public_id = _submit(uow_factory)
    _run_jobs(uow_factory)
    assert _open_by_decision(uow_factory, world, public_id).detail == {"cases": 0, "already_open": 1}
    with uow_factory() as uow:  # the job again (a retry): still nothing more
        cases.open_for_report_job(uow=uow, report_id=report_id)
    found = _cases_of(uow_factory, report_id)
    assert len(found) == 1 and found[0].origin == "auto" and _opened_audits(uow_factory) == 1


@pytest.mark.parametrize("first", ["decision", "job"])
def test_two_opens_at_the_same_moment_leave_one_case(uow_factory, world, monkeypatch, first):
    """The second open looked before the first committed (it found no case), then writes: the unique index
    refuses its case and it takes up the first one, in the same transaction, without failing."""
    report_id, public_id = _submit(uow_factory)
    if first == "decision":
        _open_by_decision(uow_factory, world, public_id)
    else:
        _run_jobs(uow_factory)
    with uow_factory() as uow:
        existing = cases.case_for_report(uow, report_id).public_id
    looked = []
    real = cases.case_for_report

    def stale_once(uow, rid):  # the first look of the second open sees the world before the first committed
        looked.append(rid)
        return None if len(looked) == 1 else real(uow, rid)

    monkeypatch.setattr(cases, "case_for_report", stale_once)
    if first == "decision":
        with uow_factory() as uow:
            cases.open_for_report_job(uow=uow, report_id=report_id)
    else:  # the analyst's decision, told the case was already open (not that it opened one)
        assert _open_by_decision(uow_factory, world, public_id).detail == {"cases": 0, "already_open": 1}
    assert len(looked) == 2, "the refused write went back for the existing case"
    found = _cases_of(uow_factory, report_id)
    assert [c.public_id for c in found] == [existing] and _opened_audits(uow_factory) == 1


def test_the_database_refuses_a_second_case_for_a_report_but_not_for_walk_ins(uow_factory, world):
    report_id, _ = _submit(uow_factory)
    _run_jobs(uow_factory)
    first = _cases_of(uow_factory, report_id)[0]
    columns = dict(agency_id=first.agency_id, origin="report", stage="registration", opened_at=first.opened_at,
                   contact_method="none", updated_at=first.opened_at)
    with uow_factory() as uow:
        for n in (1, 2):  # walk-ins: as many as there are children
            uow.session.add(Case(public_id=f"00000000-0000-0000-0000-00000000000{n}", report_id=None, **columns))
        uow.session.flush()
        uow.commit()
    with pytest.raises(sa.exc.IntegrityError), uow_factory() as uow:
        uow.session.add(Case(public_id="00000000-0000-0000-0000-000000000003", report_id=report_id, **columns))
        uow.session.flush()


def test_every_reader_of_a_reports_case_finds_the_one_case(uow_factory, world):
    report_id, _ = _submit(uow_factory)
    _run_jobs(uow_factory)
    with uow_factory() as uow:
        case = cases.case_for_report(uow, report_id)
        assert caseload.summary_for_report(uow, report_id) == {"stage": case.stage, "agency": "UPTD PPA Kota Bandung"}
        assert child_status.care_for_report(uow=uow, report_id=report_id) == child_status.Care("caring", "whatsapp")
        assert cases.case_for_report(uow, report_id + 1000) is None
        assert caseload.summary_for_report(uow, report_id + 1000) is None


def test_routing_asks_for_the_one_agency_it_needs(uow_factory, world, engine):
    rows = {name: _submit(uow_factory, **fields)[0] for name, fields in (
        ("regency", {}), ("province", {"regency_code": "32.01"}), ("nowhere", {"province_code": None,
                                                                            "regency_code": None}))}
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if "agencies" in statement:
            statements.append(statement)

    with uow_factory() as uow:
        reports = {name: uow.session.get(Report, rid) for name, rid in rows.items()}
        event.listen(engine, "before_cursor_execute", count)
        try:
            routed = {name: cases.route_report(uow, report) for name, report in reports.items()}
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert routed == {"regency": world["bandung"], "province": world["province"], "nowhere": world["hotline"]}
    # one query per report that reads one agency (filtered by type and region, at most one row), not the list
    assert len(statements) == 3
    assert all("WHERE" in q and "LIMIT" in q.upper() and "region_code" in q.split("WHERE")[1] for q in statements)


def test_routing_prefers_the_regency_then_the_province_then_the_hotline(uow_factory):
    """The choice route_report makes in SQL (cases/rules/routing.py ``preferences`` gives the order)."""
    from types import SimpleNamespace

    from safe4c.db.cases import Agency

    made = [make_agency(uow_factory, f"r{n}", kind, region) for n, (kind, region) in enumerate(
        [("hotline", "ID"), ("uptd_ppa", "32"), ("uptd_ppa", "32.73"), ("uptd_ppa", "32.01"), ("health", "32.01")])]
    hotline, province, bandung, closed, _health = made
    with uow_factory() as uow:
        uow.session.get(Agency, closed).active = False
        uow.commit()

    def route(regency_code, province_code):
        with uow_factory() as uow:
            return cases.route_report(uow, SimpleNamespace(regency_code=regency_code, province_code=province_code))

    assert route("32.73", "32") == bandung
    assert route("32.01", "32") == province  # inactive and non-UPTD skipped
    assert route("32.01", None) == province  # province from the regency
    assert route(None, "35") == hotline
    assert route(None, None) == hotline
    with uow_factory() as uow:
        uow.session.get(Agency, hotline).active = False
        uow.commit()
    assert route(None, "35") is None
