"""platform_api: a platform's webhook signing secret can be rotated with a grace period (docs/platform-api.md)

Two nullable columns on ``platforms``: the previous secret (sealed like the current one) and the moment it stops
being used. While that moment is in the future, deliveries carry a signature with each secret. Nothing existing
changes.

Revision ID: 0013_platform_api
Revises: 0012_referral_follow
"""
from alembic import op
import sqlalchemy as sa

import safe4c.db.tables


revision = '0013_platform_api'
down_revision = '0012_referral_follow'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns: a plain ADD COLUMN on both backends (no table rebuild on SQLite).
    op.add_column('platforms', sa.Column('webhook_secret_previous_sealed', sa.LargeBinary(), nullable=True))
    op.add_column('platforms', sa.Column('webhook_secret_previous_until',
                                         safe4c.db.tables.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('platforms', 'webhook_secret_previous_until')
    op.drop_column('platforms', 'webhook_secret_previous_sealed')
