"""hash list writes: drop the index on hash_entries.bank_id alone and the change log's foreign key

The unique index on (bank_id, value_key) already finds a bank's entries (its leading column), so the
single-column index only cost every write: keeping it up took 2 of the 8.5 s that PostgreSQL spent storing a
million imported hashes. The change log (hash_changes) is written only beside the entries it names, in the
same transaction, and entries are never deleted (disabled at most), so its foreign key to hash_entries checked
what cannot fail, at 5 to 7 s per million changes on PostgreSQL (docs/hash-list.md, *Import*).

Revision ID: 0018_hash_entries_bank_index
Revises: 0017_referral_withdraw
"""
from alembic import op


revision = '0018_hash_entries_bank_index'
down_revision = '0017_referral_withdraw'
branch_labels = None
depends_on = None


# 0003 left the change log's foreign key unnamed: PostgreSQL named it, SQLite's batch mode needs a name given
UNNAMED_FK = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}


def upgrade() -> None:
    with op.batch_alter_table('hash_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_hash_entries_bank_id')
    with op.batch_alter_table('hash_changes', schema=None, naming_convention=UNNAMED_FK) as batch_op:
        batch_op.drop_constraint('hash_changes_entry_id_fkey', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('hash_changes', schema=None) as batch_op:
        batch_op.create_foreign_key('hash_changes_entry_id_fkey', 'hash_entries', ['entry_id'], ['id'])
    with op.batch_alter_table('hash_entries', schema=None) as batch_op:
        batch_op.create_index('ix_hash_entries_bank_id', ['bank_id'], unique=False)
