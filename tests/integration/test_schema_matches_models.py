"""The migrated schema is exactly what the models declare (alembic's autogenerate comparison).

Migrations are append-only: a change to a model needs a new migration. This test fails when a model and the
migrations disagree (a column, index, type, nullability or table added on one side only), on SQLite and on
PostgreSQL, so an edit to a landed migration or a model without its migration cannot pass unnoticed.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from safe4c.db.models import Base


def schema_differences(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_migrated_schema_equals_the_models(engine):
    assert schema_differences(engine) == []


def test_the_comparison_sees_a_missing_index(engine):
    # The comparison itself must be able to fail: drop an index the models declare and it is reported.
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_reports_province"))
    try:
        differences = schema_differences(engine)
        assert [d[0] for d in differences] == ["add_index"]
        assert differences[0][1].name == "ix_reports_province"
    finally:
        with engine.begin() as conn:
            conn.execute(text("CREATE INDEX ix_reports_province ON reports (province_code)"))
