"""Migration 0019_one_case_per_report on a database holding two cases for one report (opened before the index
existed), on SQLite and PostgreSQL: the oldest stays the report's case, the later one is detached from the
report with everything it holds, and the unique index then refuses a second case; a downgrade puts the plain
index back."""

from __future__ import annotations


import pytest
import sqlalchemy as sa
from case_world import build, open_case, submit

from safe4c.db.cases import Case, CaseStatement
from safe4c.db.migrate import downgrade, upgrade
from safe4c.kernel.uow import UowFactory

BEFORE = "0018_hash_entries_bank_index"



def test_a_second_case_for_a_report_is_detached_and_then_refused(old_engine, settings, clock):
    factory = UowFactory(old_engine, settings, clock)
    world = build(factory)
    report_id, _, _ = submit(factory)
    other_report, _, _ = submit(factory)
    first = open_case(factory, world, report_id=report_id)
    second = open_case(factory, world, report_id=report_id)  # the race the index now prevents
    alone = open_case(factory, world, report_id=other_report)
    walk_in = open_case(factory, world)
    upgrade(old_engine, "head")
    with factory() as uow:
        by_id = {c.public_id: c.report_id for c in uow.session.scalars(sa.select(Case))}
        assert by_id == {first: report_id, second: None, alone: other_report, walk_in: None}
        kept = uow.session.scalar(sa.select(Case.id).where(Case.public_id == second))
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(CaseStatement)
                                  .where(CaseStatement.case_id == kept)) == 1  # nothing of it is lost
    with pytest.raises(sa.exc.IntegrityError), factory() as uow:
        uow.session.execute(sa.update(Case).where(Case.public_id == second).values(report_id=report_id))
    with factory() as uow:  # walk-ins stay unlimited
        uow.session.execute(sa.update(Case).where(Case.public_id == alone).values(report_id=None))
        uow.commit()
    names = {ix["name"] for ix in sa.inspect(old_engine).get_indexes("cases")}
    assert "uq_cases_report" in names and "ix_cases_report_id" not in names
    downgrade(old_engine, BEFORE)
    names = {ix["name"] for ix in sa.inspect(old_engine).get_indexes("cases")}
    assert "ix_cases_report_id" in names and "uq_cases_report" not in names

