"""statistics: the change cursor's indexes (docs/statistics.md); the case rollups are still to come

``ix_reports_updated`` and ``ix_takedown_updated`` let the worker's refresh see in a few index reads that nothing
changed (statistics/rollups.py). New indexes only; nothing existing changes.

Revision ID: 0015_statistics_indexes
Revises: 0014_statistics
"""
from alembic import op


revision = '0015_statistics_indexes'
down_revision = '0014_statistics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_reports_updated', 'reports', ['updated_at'])
    op.create_index('ix_takedown_updated', 'takedown_orders', ['updated_at'])


def downgrade() -> None:
    op.drop_index('ix_takedown_updated', table_name='takedown_orders')
    op.drop_index('ix_reports_updated', table_name='reports')
