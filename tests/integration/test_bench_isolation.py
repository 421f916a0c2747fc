"""A benchmark never writes into the database it is given: a PostgreSQL URL names a server to make a fresh schema in
(dropped afterwards); on SQLite a temporary file is used. Checked on both: the given database is unchanged."""

from __future__ import annotations

from sqlalchemy import func, inspect, select, text

from safe4c.bench.link import run
from safe4c.db.models import Base
from safe4c.db.tables import Job, Report


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def schemas(engine) -> set[str]:
    if engine.dialect.name != "postgresql":
        return set()
    with engine.connect() as conn:
        # only this benchmark's schemas: other tests of this run (other benchmarks too) make and drop schemas of
        # their own meanwhile
        return set(conn.scalars(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_link\\_%'")))


def test_bench_link_leaves_the_given_database_as_it_was(engine, capsys):
    before, before_schemas = counts(engine), schemas(engine)
    assert run(reports=200, db_reports=30, database_url=engine.url.render_as_string(hide_password=False)) == 0
    assert "30 reports linked" in capsys.readouterr().out
    assert counts(engine) == before
    assert before[Report.__tablename__] == 0 and before[Job.__tablename__] == 0
    assert schemas(engine) == before_schemas  # its own schema was dropped
    assert set(inspect(engine).get_table_names()) >= {"reports", "jobs"}
