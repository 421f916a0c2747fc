"""Read-only units of work (health checks, the matcher's follower) never hold up writers."""

from __future__ import annotations

from sqlalchemy import func, select

from safe4c.db.tables import Report
from safe4c.domain.report import parse_report
from safe4c.services import intake


def test_an_open_read_does_not_block_a_report(uow_factory):
    with uow_factory().reading() as reader:
        assert reader.session.scalar(select(func.count()).select_from(Report)) == 0
        # the read transaction is still open while a report is stored and committed
        with uow_factory() as writer:
            intake.submit_report(uow=writer, report=parse_report({"situations": ["other"]}), channel="api",
                                 language="id")
    with uow_factory().reading() as reader:
        assert reader.session.scalar(select(func.count()).select_from(Report)) == 1
