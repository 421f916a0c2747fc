"""case referrals: reminder and overdue marks, a decline's reason, the handed-over package's SHA-256

Four nullable columns on ``case_referrals`` (db/cases.py, cases/referrals.py); nothing existing changes meaning.

Revision ID: 0010c_referral_follow
Revises: 0010_cases
"""
from alembic import op
import sqlalchemy as sa

import safe4c.db.tables


revision = '0010c_referral_follow'
down_revision = '0010_cases'
branch_labels = None
depends_on = None

WHEN = safe4c.db.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('case_referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('overdue_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('decline_reason_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('package_sha256', sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_referrals', schema=None) as batch_op:
        for name in ('package_sha256', 'decline_reason_sealed', 'overdue_at', 'reminded_at'):
            batch_op.drop_column(name)
