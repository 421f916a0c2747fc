"""durable: job priorities and wake-ups, replayable public receipts, external_id as a platform's idempotency key

- ``jobs.priority`` (lower runs first, services/jobs.py) and ``ix_jobs_ready`` over (priority, run_after, id) of
  open jobs only; open jobs already queued get their kind's priority.
- On PostgreSQL, a trigger NOTIFYs ``safe4c_jobs`` with the job's priority when a ready job is inserted: workers
  in other processes wake at once, or give back a batch it outranks (db/listen.py). PostgreSQL folds identical
  notifications of one transaction into one.
- ``reports.followup_sealed``: the follow-up code sealed for replays of the same submission (services/replay.py),
  with a partial index to clear it when replays expire.
- ``uq_platform_reports_external``: (platform, external_id) is unique among reports sent without an
  Idempotency-Key. Copies stored twice before this revision keep their rows: all but the first get the
  idempotency key ``safe4c-0008-duplicate:<report id>``, which takes them out of the new index.

Revision ID: 0008_durable
Revises: 0007_throttle
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_durable'
down_revision = '0007_throttle'
branch_labels = None
depends_on = None

OPEN = sa.text("done_at IS NULL AND failed_at IS NULL")
KEYLESS = sa.text("idempotency_key IS NULL AND external_id IS NOT NULL")
SEALED = sa.text("followup_sealed IS NOT NULL")

# services/jobs.py PRIORITIES as of this revision (a migration does not follow later code).
KIND_PRIORITIES = {"takedown.escalate": 0, "webhook.deliver": 10, "report.triage": 10, "report.match": 50,
                   "report.link": 90}

NOTIFY_FUNCTION = """
CREATE FUNCTION safe4c_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('safe4c_jobs', NEW.priority::text);
    RETURN NULL;
END $$
"""
# Only jobs ready at once: a delayed job (a retry, an escalation due in hours) is found by polling when due.
NOTIFY_TRIGGER = """
CREATE TRIGGER safe4c_jobs_notify AFTER INSERT ON jobs
FOR EACH ROW WHEN (NEW.run_after <= NEW.created_at) EXECUTE FUNCTION safe4c_jobs_notify()
"""


def upgrade() -> None:
    op.add_column('jobs', sa.Column('priority', sa.SmallInteger(), server_default='50', nullable=False))
    jobs = sa.table('jobs', sa.column('kind', sa.String), sa.column('priority', sa.SmallInteger),
                    sa.column('done_at'), sa.column('failed_at'))
    for kind, priority in KIND_PRIORITIES.items():
        op.execute(jobs.update().where(jobs.c.kind == kind, jobs.c.done_at.is_(None), jobs.c.failed_at.is_(None))
                   .values(priority=priority))
    op.drop_index('ix_jobs_ready', table_name='jobs')
    op.create_index('ix_jobs_ready', 'jobs', ['priority', 'run_after', 'id'], sqlite_where=OPEN,
                    postgresql_where=OPEN)

    op.add_column('reports', sa.Column('followup_sealed', sa.LargeBinary(), nullable=True))
    op.create_index('ix_reports_replay', 'reports', ['received_at'], sqlite_where=SEALED, postgresql_where=SEALED)

    op.execute(sa.text(
        "UPDATE platform_reports SET idempotency_key = 'safe4c-0008-duplicate:' || CAST(report_id AS VARCHAR(20)) "
        "WHERE idempotency_key IS NULL AND external_id IS NOT NULL AND EXISTS ("
        " SELECT 1 FROM platform_reports AS first WHERE first.platform_id = platform_reports.platform_id"
        " AND first.external_id = platform_reports.external_id AND first.idempotency_key IS NULL"
        " AND first.report_id < platform_reports.report_id)"))
    op.create_index('uq_platform_reports_external', 'platform_reports', ['platform_id', 'external_id'], unique=True,
                    sqlite_where=KEYLESS, postgresql_where=KEYLESS)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(NOTIFY_FUNCTION)
        op.execute(NOTIFY_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER safe4c_jobs_notify ON jobs")
        op.execute("DROP FUNCTION safe4c_jobs_notify()")
    op.drop_index('uq_platform_reports_external', table_name='platform_reports')
    op.drop_index('ix_reports_replay', table_name='reports')
    op.drop_column('reports', 'followup_sealed')
    op.drop_index('ix_jobs_ready', table_name='jobs')
    op.create_index('ix_jobs_ready', 'jobs', ['done_at', 'failed_at', 'run_after'])
    op.drop_column('jobs', 'priority')
