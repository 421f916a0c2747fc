"""hash list writes: hash_entries without foreign keys (bank, added_by, report)

PostgreSQL checks a foreign key row by row, in a trigger, even when the value is NULL: storing a million
imported hashes spent 4.4 s checking that each named its bank (the same bank, a million times) and 1.3 s on the
two keys an import leaves NULL (who added it, from which report), against 6.1 s for the rows and their three
indexes (docs/hash-list.md, *Import*). What the keys guarded cannot fail: entries are written only by
hashlist/banks.py and hashlist/csv_io.py, under the hash list's lock, after reading the bank they go into
(``bank_row``) and naming the staff user and report of the request at hand; banks, staff users and reports are
never deleted (a bank is disabled, a user deactivated, a report closed). The change log gave up its key to
hash_entries for the same reason (0018).

Revision ID: 0021_hash_entries_no_fks
Revises: 0020_statistics_lease
"""
from alembic import op


revision = '0021_hash_entries_no_fks'
down_revision = '0020_statistics_lease'
branch_labels = None
depends_on = None


# 0003 left these foreign keys unnamed: PostgreSQL named them, SQLite's batch mode needs the names given
UNNAMED_FK = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}
KEYS = (("bank_id", "hash_banks"), ("added_by", "staff_users"), ("report_id", "reports"))


def upgrade() -> None:
    with op.batch_alter_table('hash_entries', schema=None, naming_convention=UNNAMED_FK) as batch_op:
        for column, _table in KEYS:
            batch_op.drop_constraint(f'hash_entries_{column}_fkey', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('hash_entries', schema=None) as batch_op:
        for column, table in KEYS:
            batch_op.create_foreign_key(f'hash_entries_{column}_fkey', table, [column], ['id'])
