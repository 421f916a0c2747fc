"""one case per report: a partial unique index on ``cases.report_id``

An analyst's "open a case" and the worker's ``case.open`` job could both open a case for the same report at the
same moment (each looked, found none, and wrote one). ``uq_cases_report`` (unique over ``report_id`` where it is
not NULL; walk-ins and SAPA 129 calls have none) makes the second write fail, and cases/cases.py
``place_case_for_report`` then returns the case the other transaction opened. It replaces the plain index
``ix_cases_report_id``: the partial index serves every lookup by report (``report_id = ?`` implies NOT NULL on
SQLite and PostgreSQL).

A database that already holds two cases for one report keeps both: the oldest stays the report's case, each
later one is detached from the report (``report_id`` NULL; nothing else changes, no statement, note or step
is lost) and its public id is written to the migration's log, so the lead agency can be asked to review it.

Revision ID: 0019_one_case_per_report
Revises: 0018_hash_entries_bank_index
"""
import logging

from alembic import op
import sqlalchemy as sa

revision = '0019_one_case_per_report'
down_revision = '0018_hash_entries_bank_index'
branch_labels = None
depends_on = None

HAS_REPORT = sa.text('report_id IS NOT NULL')
log = logging.getLogger('alembic.runtime.migration')


def upgrade() -> None:
    bind = op.get_bind()
    cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('public_id', sa.String),
                     sa.column('report_id', sa.Integer))
    kept: dict[int, str] = {}
    for case_id, public_id, report_id in bind.execute(
            sa.select(cases.c.id, cases.c.public_id, cases.c.report_id).where(cases.c.report_id.is_not(None))
            .order_by(cases.c.id)).all():
        first = kept.setdefault(report_id, public_id)
        if first != public_id:
            bind.execute(cases.update().where(cases.c.id == case_id).values(report_id=None))
            log.warning('case %s was a second case for the report of case %s: detached from the report; '
                        'ask its agency to review it', public_id, first)
    op.drop_index('ix_cases_report_id', table_name='cases')
    op.create_index('uq_cases_report', 'cases', ['report_id'], unique=True, sqlite_where=HAS_REPORT,
                    postgresql_where=HAS_REPORT)


def downgrade() -> None:
    op.drop_index('uq_cases_report', table_name='cases')
    op.create_index('ix_cases_report_id', 'cases', ['report_id'])
