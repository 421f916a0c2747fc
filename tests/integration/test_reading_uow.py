"""Read-only units of work (health checks, the matcher's follower) never hold up writers."""

from __future__ import annotations

from sqlalchemy import func, select

from safe4c.db.tables import Report
from safe4c.reports.rules.report import parse_report
from safe4c.reports import intake


def test_an_open_read_does_not_block_a_report(uow_factory):
    with uow_factory().reading() as reader:
        assert reader.session.scalar(select(func.count()).select_from(Report)) == 0
        # the read transaction is still open while a report is stored and committed
        with uow_factory() as writer:
            intake.submit_report(uow=writer, report=parse_report({"situations": ["other"]}), channel="api",
                                 language="id")
    with uow_factory().reading() as reader:
        assert reader.session.scalar(select(func.count()).select_from(Report)) == 1


def test_status_lookups_do_not_wait_for_a_writer(client, uow_factory, engine):
    """Checking a code only reads: it must not queue behind SQLite's write lock (nor take it)."""
    code = client.post("/api/v1/public/reports", json={"situations": ["other"]}).json()["followup_code"]
    with uow_factory() as writer:
        writer.session.execute(select(func.count()).select_from(Report))  # holds the write lock on SQLite
        api = client.post("/api/v1/public/reports/status", json={"code": code})
        page = client.post("/status", data={"code": code})
    assert api.status_code == 200, api.text
    assert page.status_code == 200


def test_the_read_only_session_factory_is_built_once(uow_factory):
    first, second = uow_factory().reading(), uow_factory().reading()
    assert first._factory is second._factory
    with first as uow:
        assert uow.session.get_bind().get_execution_options()["readonly"] is True
