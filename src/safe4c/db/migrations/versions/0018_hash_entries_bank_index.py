"""hash entries: drop the index on bank_id alone

The unique index on (bank_id, value_key) already finds a bank's entries (its leading column), so the
single-column index only cost every write: keeping it up took 2 of the 8.5 s that PostgreSQL spent storing a
million imported hashes (docs/hash-list.md, *Import*).

Revision ID: 0018_hash_entries_bank_index
Revises: 0017_referral_withdraw
"""
from alembic import op


revision = '0018_hash_entries_bank_index'
down_revision = '0017_referral_withdraw'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hash_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_hash_entries_bank_id')


def downgrade() -> None:
    with op.batch_alter_table('hash_entries', schema=None) as batch_op:
        batch_op.create_index('ix_hash_entries_bank_id', ['bank_id'], unique=False)
