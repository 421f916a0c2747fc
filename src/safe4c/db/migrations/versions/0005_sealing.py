"""sealing: the accounts a report names and its "other" app are sealed; the key's fingerprint is recorded

``reports.accounts`` (a plaintext JSON list) and ``reports.platform_other`` become ``accounts_sealed`` and
``platform_other_sealed``. Rows already stored are sealed here, in the migration's transaction, then the
plaintext columns are dropped: no plaintext remains after the upgrade. Sealing needs the master key, which
``safe4c db upgrade`` passes in (``safe4c.db.migrate.upgrade(secret=...)``); it is asked for only when a row
has something to seal, and without it the migration stops before changing anything.

Revision ID: 0005_sealing
Revises: 0004
"""
import json

import sqlalchemy as sa
from alembic import context, op

import safe4c.db.tables

revision = '0005_sealing'
down_revision = '0004'
branch_labels = None
depends_on = None

# The contexts safe4c.services.report_fields seals with (written out: a migration does not follow later code).
ACCOUNTS = "report.accounts"
PLATFORM_OTHER = "report.platform_other"
BATCH = 2000

reports = sa.table(
    "reports", sa.column("id", sa.BigInteger), sa.column("accounts", sa.JSON),
    sa.column("platform_other", sa.String), sa.column("accounts_sealed", sa.LargeBinary),
    sa.column("platform_other_sealed", sa.LargeBinary),
)


def _sealer(why: str):
    from safe4c.crypto import Sealer

    secret = context.config.attributes.get("secret")
    if secret is None:
        raise RuntimeError(f"{why}: this needs the secret key. Run `safe4c db upgrade` (it reads SAFE4C_SECRET_KEY "
                           "or DATA_DIR/secret.key); nothing was changed.")
    return Sealer(secret(op.get_bind()))


def _batches(conn, *columns):
    """Rows of ``reports`` in id order, a batch at a time (a big table is never read whole)."""
    last = 0
    while True:
        rows = conn.execute(sa.select(reports.c.id, *columns).where(reports.c.id > last)
                            .order_by(reports.c.id).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def upgrade() -> None:
    op.create_table(
        'key_fingerprints',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('created_at', safe4c.db.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    op.add_column('reports', sa.Column('accounts_sealed', sa.LargeBinary(), nullable=True))
    op.add_column('reports', sa.Column('platform_other_sealed', sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    sealer, sealed = None, 0
    # The plaintext is cleared in the same UPDATE: no row version written from here on holds it.
    seal_row = reports.update().where(reports.c.id == sa.bindparam("row_id")).values(
        accounts_sealed=sa.bindparam("a"), platform_other_sealed=sa.bindparam("o"), accounts=[],
        platform_other=None)
    for rows in _batches(conn, reports.c.accounts, reports.c.platform_other):
        todo = [row for row in rows if row.accounts or row.platform_other]
        if not todo:
            continue
        sealer = sealer or _sealer("Stored reports name accounts in plaintext and must be sealed")
        conn.execute(seal_row, [{
            "row_id": row.id,
            "a": sealer.seal(json.dumps(list(row.accounts), ensure_ascii=False), context=ACCOUNTS)
            if row.accounts else None,
            "o": sealer.seal(row.platform_other, context=PLATFORM_OTHER) if row.platform_other else None,
        } for row in todo])  # one executemany per batch
        sealed += len(todo)
    context.config.attributes["sealed_rows"] = sealed
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): no copy of the table, so no cascade on its children.
    op.drop_column('reports', 'accounts')
    op.drop_column('reports', 'platform_other')


def downgrade() -> None:
    op.add_column('reports', sa.Column('accounts', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('reports', sa.Column('platform_other', sa.String(length=100), nullable=True))
    conn = op.get_bind()
    sealer = None
    open_row = reports.update().where(reports.c.id == sa.bindparam("row_id")).values(
        accounts=sa.bindparam("a"), platform_other=sa.bindparam("o"))
    for rows in _batches(conn, reports.c.accounts_sealed, reports.c.platform_other_sealed):
        todo = [row for row in rows if row.accounts_sealed is not None or row.platform_other_sealed is not None]
        if not todo:
            continue
        sealer = sealer or _sealer("Stored reports have sealed accounts to open for the older schema")
        conn.execute(open_row, [{
            "row_id": row.id,
            "a": json.loads(sealer.open(bytes(row.accounts_sealed), context=ACCOUNTS))
            if row.accounts_sealed is not None else [],
            "o": sealer.open(bytes(row.platform_other_sealed), context=PLATFORM_OTHER)
            if row.platform_other_sealed is not None else None,
        } for row in todo])
    op.drop_column('reports', 'platform_other_sealed')
    op.drop_column('reports', 'accounts_sealed')
    op.drop_table('key_fingerprints')
