"""statistics: cases in the national data centre (docs/statistics.md, *Cases*)

Four rollup tables (cases opened and closed by dimension with their statements, report to first contact by
priority and its distribution in minutes, referrals by service type); ``case_referrals.updated_at`` (filled from
the latest of ``delivered_at``, ``responded_at``, ``sent_at``) and the change cursor's indexes
``ix_cases_updated``, ``ix_cases_contact_due`` and ``ix_case_referrals_updated`` (statistics/case_rollups.py).

Revision ID: 0016_statistics_cases
Revises: 0015_statistics_indexes
"""
from alembic import op
import sqlalchemy as sa

import safe4c.db.tables


revision = '0016_statistics_cases'
down_revision = '0015_statistics_indexes'
branch_labels = None
depends_on = None

WHEN = safe4c.db.tables.UTCDateTime(timezone=True)


def _month() -> sa.Column:
    return sa.Column('month', sa.String(7), nullable=False)


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def upgrade() -> None:
    op.create_table(
        'stat_case_counts', _month(),
        sa.Column('dim', sa.String(16), nullable=False),
        sa.Column('key', sa.String(40), nullable=False),
        _count('opened'), _count('closed'), _count('with_statement'), _count('statements'), _count('more_statements'),
        sa.PrimaryKeyConstraint('month', 'dim', 'key'),
    )
    op.create_table(
        'stat_case_contact', _month(),
        sa.Column('priority', sa.String(8), nullable=False),
        _count('cases'), _count('contacted'), _count('due'), _count('within'),
        sa.PrimaryKeyConstraint('month', 'priority'),
    )
    op.create_table(
        'stat_case_contact_times', _month(),
        sa.Column('priority', sa.String(8), nullable=False),
        sa.Column('minutes', sa.BigInteger(), autoincrement=False, nullable=False),
        _count('cases'),
        sa.PrimaryKeyConstraint('month', 'priority', 'minutes'),
    )
    op.create_table(
        'stat_case_referrals', _month(),
        sa.Column('service_type', sa.String(24), nullable=False),
        _count('made'), _count('accepted'), _count('declined'), _count('completed'),
        sa.PrimaryKeyConstraint('month', 'service_type'),
    )
    with op.batch_alter_table('case_referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', WHEN, nullable=True))
    op.execute("UPDATE case_referrals SET updated_at = coalesce(delivered_at, responded_at, sent_at)")
    with op.batch_alter_table('case_referrals', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=WHEN, nullable=False)
        batch_op.create_index('ix_case_referrals_updated', ['updated_at'])
    op.create_index('ix_cases_updated', 'cases', ['updated_at'])
    op.create_index('ix_cases_contact_due', 'cases', ['first_contact_at', 'first_contact_due_at'])


def downgrade() -> None:
    op.drop_index('ix_cases_contact_due', table_name='cases')
    op.drop_index('ix_cases_updated', table_name='cases')
    with op.batch_alter_table('case_referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_case_referrals_updated')
        batch_op.drop_column('updated_at')
    for table in ('stat_case_referrals', 'stat_case_contact_times', 'stat_case_contact', 'stat_case_counts'):
        op.drop_table(table)
