"""statistics: the refresh's lease as two columns of ``stat_state`` (who holds it, until when)

Only one statistics refresh runs at a time (statistics/rollups.py): the one holding the lease, renewed with each
month it writes. ``lease_token`` names the refresh, ``lease_until`` is when the lease lapses if that refresh
died. Both are NULL when no refresh is under way.

Revision ID: 0020_statistics_lease
Revises: 0019_one_case_per_report
"""
from alembic import op
import sqlalchemy as sa

import safe4c.db.tables

revision = '0020_statistics_lease'
down_revision = '0019_one_case_per_report'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stat_state') as batch:
        batch.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('lease_until', safe4c.db.tables.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stat_state') as batch:
        batch.drop_column('lease_until')
        batch.drop_column('lease_token')
