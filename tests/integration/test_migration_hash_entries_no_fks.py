"""Migration 0021_hash_entries_no_fks on a database with hash entries, on SQLite and PostgreSQL: the entries and
their indexes stay, the three foreign keys go (an import then stores its rows without a check per row); a
downgrade puts the keys back, the entries kept."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from safe4c.db.migrate import downgrade, upgrade

BEFORE = "0020_statistics_lease"
AT = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)


def keys(conn) -> set[tuple[str, str]]:
    return {(fk["constrained_columns"][0], fk["referred_table"]) for fk in sa.inspect(conn).get_foreign_keys("hash_entries")}


def test_the_entries_stay_and_their_foreign_keys_go_and_come_back(old_engine):
    with old_engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO hash_banks (id, name, confirmed, enabled, created_at, updated_at) "
                             "VALUES (1, 'National CSAM list', true, true, :at, :at)"), {"at": AT})
        conn.execute(sa.text("INSERT INTO hash_entries (id, bank_id, signal_type, value, value_key, source, "
                             "classification, tags, enabled, added_at, updated_at) VALUES (1, 1, 'md5', :v, :k, "
                             "'partner', 'csam', '[]', true, :at, :at)"), {"v": "a" * 32, "k": "b" * 64, "at": AT})
        assert keys(conn) == {("bank_id", "hash_banks"), ("added_by", "staff_users"), ("report_id", "reports")}
    upgrade(old_engine, "head")
    with old_engine.connect() as conn:
        assert keys(conn) == set()
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("hash_entries")}
        assert "ix_hash_entries_value_key" in indexes
        unique = {tuple(u["column_names"]) for u in sa.inspect(conn).get_unique_constraints("hash_entries")}
        assert ("bank_id", "value_key") in unique
        assert conn.execute(sa.text("SELECT bank_id, value FROM hash_entries")).one() == (1, "a" * 32)
    downgrade(old_engine, BEFORE)
    with old_engine.connect() as conn:
        assert keys(conn) == {("bank_id", "hash_banks"), ("added_by", "staff_users"), ("report_id", "reports")}
        assert conn.execute(sa.text("SELECT count(*) FROM hash_entries")).scalar_one() == 1
