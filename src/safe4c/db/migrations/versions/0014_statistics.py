"""statistics: rollups for the dashboards and the open statistics (docs/statistics.md)

Counts of reports per month and dimension, response times per month and priority, takedown compliance per
month and platform, each month's fingerprint of the raw rows, and the rollups' version (db/statistics.py).
New tables only; nothing existing changes.

Revision ID: 0014_statistics
Revises: 0009_directory
"""
from alembic import op
import sqlalchemy as sa

import safe4c.db.tables


revision = '0014_statistics'
down_revision = '0009_directory'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _month() -> sa.Column:
    return sa.Column('month', sa.String(7), nullable=False)


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def upgrade() -> None:
    op.create_table(
        'stat_report_counts', _month(),
        sa.Column('dim', sa.String(16), nullable=False),
        sa.Column('key', sa.String(40), nullable=False),
        _count('reports'),
        sa.PrimaryKeyConstraint('month', 'dim', 'key'),
    )
    op.create_table(
        'stat_response', _month(),
        sa.Column('priority', sa.String(8), nullable=False),
        _count('reports'), _count('acted'), _count('within_deadline'), _count('action_seconds'),
        sa.PrimaryKeyConstraint('month', 'priority'),
    )
    op.create_table(
        'stat_takedowns', _month(),
        sa.Column('platform_id', ID, autoincrement=False, nullable=False),
        _count('orders'), _count('removed'), _count('removed_in_time'), _count('missed'), _count('removal_seconds'),
        _count('level1'), _count('level2'), _count('level3'),
        sa.PrimaryKeyConstraint('month', 'platform_id'),
    )
    op.create_table(
        'stat_partitions',
        sa.Column('source', sa.String(16), nullable=False), _month(),
        sa.Column('fingerprint', sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint('source', 'month'),
    )
    op.create_table(
        'stat_state',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('refreshed_at', safe4c.db.tables.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    for table in ('stat_state', 'stat_partitions', 'stat_takedowns', 'stat_response', 'stat_report_counts'):
        op.drop_table(table)
