"""case referrals: the sender's withdrawal (when, by whom, why)

Three nullable columns on ``case_referrals`` (db/cases.py, cases/referrals.py ``withdraw``); a withdrawn
referral has status ``withdrawn`` and gives its receiver no access to the case from that moment.

Revision ID: 0017_referral_withdraw
Revises: 0016_statistics_cases
"""
from alembic import op
import sqlalchemy as sa

import safe4c.db.tables


revision = '0017_referral_withdraw'
down_revision = '0016_statistics_cases'
branch_labels = None
depends_on = None

WHEN = safe4c.db.tables.UTCDateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('case_referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by', ID, nullable=True))
        batch_op.add_column(sa.Column('withdraw_reason_sealed', sa.LargeBinary(), nullable=True))
        batch_op.create_foreign_key('fk_case_referrals_withdrawn_by_staff_users', 'staff_users',
                                    ['withdrawn_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('case_referrals', schema=None) as batch_op:
        batch_op.drop_constraint('fk_case_referrals_withdrawn_by_staff_users', type_='foreignkey')
        for name in ('withdraw_reason_sealed', 'withdrawn_by', 'withdrawn_at'):
            batch_op.drop_column(name)
