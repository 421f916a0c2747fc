"""Migration 0020_statistics_lease on a database whose rollups were refreshed before it, on SQLite and
PostgreSQL: the state row keeps its version and gains an empty lease, a refresh then takes and gives up the
lease; a downgrade drops the two columns and keeps the row."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from safe4c.db.migrate import downgrade, upgrade
from safe4c.kernel.uow import UowFactory
from safe4c.statistics import rollups

BEFORE = "0019_one_case_per_report"



def test_the_state_row_gains_an_empty_lease_and_a_refresh_uses_it(old_engine, settings, clock):
    at = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
    with old_engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO stat_state (id, version, refreshed_at) VALUES (1, 7, :at)"), {"at": at})
    upgrade(old_engine, "head")
    with old_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version, lease_token, lease_until FROM stat_state")).one() == (7, None, None)
    factory = UowFactory(old_engine, settings, clock)
    with factory() as uow:
        assert rollups.refresh(uow, wait=False) is True
    with old_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT lease_token, lease_until FROM stat_state")).one() == (None, None)
    downgrade(old_engine, BEFORE)
    with old_engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("stat_state")}
        assert columns == {"id", "version", "refreshed_at"}
        assert conn.execute(sa.text("SELECT version FROM stat_state")).scalar_one() >= 7
