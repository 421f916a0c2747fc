"""Intake as a use case, on the in-memory unit of work: its triage, its one commit, its outbox, its replay."""

from __future__ import annotations

from datetime import timedelta

from fakes import memory_uow_factory
from sqlalchemy import select

from safe4c.db.tables import Job, Report
from safe4c.reports import intake
from safe4c.reports.rules.report import parse_report

STORY = "Dia bilang akan menyebarkan foto saya kalau saya tidak transfer uang besok."


def report(**changes):
    data = {"situations": ["sextortion"], "urgent_signals": ["threat_deadline"], "platforms": ["instagram"],
            "accounts": ["@pemburu.rahasia"], "province_code": "32", "regency_code": "32.76", "age_band": "13_15",
            "reporter_role": "child", "story": STORY, **changes}
    return parse_report(data)


def test_an_urgent_report_is_stored_p1_with_its_deadline_reasons_and_jobs_in_one_commit():
    factory = memory_uow_factory()
    with factory() as uow:
        receipt = intake.submit_report(uow=uow, report=report(), channel="web", language="id")
    with factory() as uow:
        row = uow.session.scalar(select(Report).where(Report.public_id == receipt.report_id))
        assert row.priority == "P1"
        assert "urgent.threat_deadline" in [r["code"] for r in row.triage_reasons]
        minutes = factory.settings.triage_deadline_minutes["P1"]
        assert row.deadline_at - row.received_at == timedelta(minutes=minutes)
        assert sorted(uow.session.scalars(select(Job.kind))) == ["report.link"]


def test_a_calm_report_without_urgent_signals_is_not_p1():
    factory = memory_uow_factory()
    with factory() as uow:
        receipt = intake.submit_report(uow=uow, report=report(urgent_signals=[], situations=["other"], story=""),
                                       channel="web", language="id")
    with factory() as uow:
        row = uow.session.scalar(select(Report).where(Report.public_id == receipt.report_id))
        assert row.priority != "P1"


def test_the_same_idempotency_key_returns_the_first_receipt_and_stores_one_report():
    factory = memory_uow_factory()
    with factory() as uow:
        first = intake.submit_report(uow=uow, report=report(), channel="api", language="id", idempotency_key="k-1")
    with factory() as uow:
        again = intake.submit_report(uow=uow, report=report(), channel="api", language="id", idempotency_key="k-1")
    assert (again.report_id, again.followup_code) == (first.report_id, first.followup_code)
    with factory() as uow:
        assert len(uow.session.scalars(select(Report.id)).all()) == 1
