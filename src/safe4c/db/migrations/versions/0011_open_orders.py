"""open orders: one open takedown order per platform and target, a sealed note on an order's events

- ``takedown_orders.target_key``: the normalised target (``takedowns/rules/targets.target_key``, SHA-256 hex),
  computed here for every existing order, and ``uq_takedown_open_target``, unique over (platform_id,
  target_key) of open orders (issued, acknowledged, disputed). Old data may hold the same target twice for one
  platform (the form issued a URL twice; the network page ordered a Telegram group as an account beside its
  link): the oldest open order stays open; each later one is withdrawn, with a ``withdrawn`` event saying it
  duplicated the kept order (``detail``: ``{"duplicate_of": <public id>, "by": "0011_open_orders"}``). Nothing
  is deleted; the history of every order stays as it was.
- ``takedown_events.note_sealed``: staff's reason for a change (a withdrawal), sealed.

The key rule is imported, not copied: the key must be the one the code computes. Should the rule ever change,
a new migration recomputes the keys.

Revision ID: 0011_open_orders
Revises: 0010_cases
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from safe4c.takedowns.rules.targets import target_key

revision = '0011_open_orders'
down_revision = '0010_cases'
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('issued', 'acknowledged', 'disputed')")
OPEN_STATUSES = ('issued', 'acknowledged', 'disputed')


def upgrade() -> None:
    op.add_column('takedown_events', sa.Column('note_sealed', sa.LargeBinary(), nullable=True))
    # NOT NULL from the start, with an empty default that the backfill below replaces: on SQLite, changing a
    # column afterwards would recreate takedown_orders, and dropping it cascades to every order's events.
    op.add_column('takedown_orders', sa.Column('target_key', sa.String(64), nullable=False, server_default=''))
    bind = op.get_bind()
    orders = sa.table('takedown_orders', sa.column('id', sa.Integer), sa.column('public_id', sa.String),
                      sa.column('platform_id', sa.Integer), sa.column('target_type', sa.String),
                      sa.column('target_value', sa.String), sa.column('hash_type', sa.String),
                      sa.column('status', sa.String), sa.column('issued_at', sa.DateTime(timezone=True)),
                      sa.column('target_key', sa.String), sa.column('closed_at', sa.DateTime(timezone=True)),
                      sa.column('updated_at', sa.DateTime(timezone=True)))
    platforms = sa.table('platforms', sa.column('id', sa.Integer), sa.column('taxonomy_code', sa.String))
    events = sa.table('takedown_events', sa.column('order_id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
                      sa.column('kind', sa.String), sa.column('detail', sa.JSON))
    codes = dict(bind.execute(sa.select(platforms.c.id, platforms.c.taxonomy_code)).all())
    rows = bind.execute(sa.select(orders.c.id, orders.c.public_id, orders.c.platform_id, orders.c.target_type,
                                  orders.c.target_value, orders.c.hash_type, orders.c.status)
                        .order_by(orders.c.issued_at, orders.c.id)).all()
    kept: dict[tuple[int, str], str] = {}
    now = datetime.now(timezone.utc)
    for row in rows:
        key = target_key(row.target_type, row.target_value, row.hash_type, codes.get(row.platform_id))
        values = {'target_key': key}
        if row.status in OPEN_STATUSES:
            first = kept.setdefault((row.platform_id, key), row.public_id)
            if first != row.public_id:  # a later open duplicate: withdrawn, its history kept
                values.update(status='withdrawn', closed_at=now, updated_at=now)
                bind.execute(events.insert().values(order_id=row.id, at=now, kind='withdrawn',
                                                    detail={'duplicate_of': first, 'by': revision}))
        bind.execute(orders.update().where(orders.c.id == row.id).values(**values))
    if bind.dialect.name == 'postgresql':  # SQLite keeps the unused default (see above)
        op.alter_column('takedown_orders', 'target_key', server_default=None)
    op.create_index('uq_takedown_open_target', 'takedown_orders', ['platform_id', 'target_key'], unique=True,
                    sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_index('uq_takedown_open_target', table_name='takedown_orders')
    op.drop_column('takedown_orders', 'target_key')  # SQLite >= 3.35 drops a column in place
    op.drop_column('takedown_events', 'note_sealed')
