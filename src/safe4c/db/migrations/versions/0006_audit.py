"""audit: a keyed chain with a head row, and an append-only audit_log

- ``audit_log.seq``: an entry's place in the keyed chain (NULL for the SHA-256 entries written before this).
- ``audit_head``: one row naming the chain's last entry. It is created here, unsealed (``mac`` NULL, no
  key is at hand in a migration), with ``anchor`` = the hash of the last existing entry and
  ``legacy_count`` = how many there are; the application seals it with the first keyed entry, whose
  ``prev_hash`` is that anchor, so the old entries are covered by the keyed chain from then on.
- Triggers (PostgreSQL and SQLite): audit_log refuses UPDATE, DELETE and TRUNCATE; audit_head refuses INSERT,
  DELETE and TRUNCATE, and an UPDATE unless it moves the head exactly one entry forward onto an entry that
  exists. Only a database owner who drops or disables them (or a PostgreSQL superuser in replica mode) gets
  past them; what still shows then is the keyed chain's business (services/audit.py).

Never alter audit_log or audit_head with ``batch_alter_table`` on SQLite: it rebuilds the table and the
triggers are lost with the old one.

Revision ID: 0006_audit
Revises: 0005_sealing
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_audit'
down_revision = '0005_sealing'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
REFUSED = "safe4c: the audit log is append-only"

PG_FUNCTIONS = [
    f"""CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSED} (% on %)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$""",
    f"""CREATE FUNCTION audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 OR NEW.anchor <> OLD.anchor
           OR NEW.legacy_count <> OLD.legacy_count
           OR NOT EXISTS (SELECT 1 FROM audit_log
                          WHERE id = NEW.last_id AND seq = NEW.seq AND hash = NEW.last_mac) THEN
            RAISE EXCEPTION '{REFUSED} (the head only moves one entry forward)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$""",
]
PG_TRIGGERS = [
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()",
    "CREATE TRIGGER audit_head_kept BEFORE INSERT OR DELETE ON audit_head "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse()",
    "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()",
    "CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head "
    "FOR EACH ROW EXECUTE FUNCTION audit_head_forward()",
]
# SQLite has no TRUNCATE: a DELETE without WHERE runs the DELETE trigger like any other.
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    f"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    f"CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON audit_head BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    f"CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    f"""CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
    WHEN NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 OR NEW.anchor <> OLD.anchor
         OR NEW.legacy_count <> OLD.legacy_count
         OR NOT EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.last_id AND seq = NEW.seq AND hash = NEW.last_mac)
    BEGIN SELECT RAISE(ABORT, '{REFUSED} (the head only moves one entry forward)'); END""",
]


def upgrade() -> None:
    op.add_column('audit_log', sa.Column('seq', sa.BigInteger(), nullable=True))
    op.create_index('uq_audit_log_seq', 'audit_log', ['seq'], unique=True)
    head = op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('last_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('last_mac', sa.String(length=64), nullable=False),
    sa.Column('anchor', sa.String(length=64), nullable=False),
    sa.Column('legacy_count', sa.BigInteger(), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=True),
    sa.CheckConstraint('id = 1', name='ck_audit_head_one_row'),
    sa.PrimaryKeyConstraint('id')
    )
    conn = op.get_bind()
    legacy_count = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
    anchor = conn.execute(sa.text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar() or GENESIS
    op.bulk_insert(head, [{"id": 1, "seq": 0, "last_id": None, "last_mac": anchor, "anchor": anchor,
                           "legacy_count": legacy_count, "mac": None}])
    if conn.dialect.name == "postgresql":
        for statement in PG_FUNCTIONS + PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE audit_head")  # its triggers go with it
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION audit_head_forward()")
        op.execute("DROP FUNCTION audit_refuse()")
    else:
        for name in ("audit_log_no_update", "audit_log_no_delete"):
            op.execute(f"DROP TRIGGER {name}")
        op.drop_table('audit_head')  # its triggers go with it
    op.drop_index('uq_audit_log_seq', table_name='audit_log')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('seq')
