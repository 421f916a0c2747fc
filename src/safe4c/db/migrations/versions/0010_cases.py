"""cases: agencies, staff members' agency, cases, consent, statements, notes, workflow steps, referrals

Case management (db/cases.py, docs/cases.md). New tables, and one new nullable column on staff_users
(``agency_id``); nothing existing changes meaning.

Revision ID: 0010_cases
Revises: 0009_directory
"""
from alembic import op
import sqlalchemy as sa

import safe4c.db.tables


revision = '0010_cases'
down_revision = '0009_directory'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
WHEN = safe4c.db.tables.UTCDateTime(timezone=True)


def _id() -> sa.Column:
    return sa.Column('id', ID, autoincrement=True, nullable=False)


def _ref(name: str, table: str, *, nullable: bool = False, ondelete: str | None = None) -> sa.Column:
    return sa.Column(name, ID, sa.ForeignKey(f'{table}.id', ondelete=ondelete), nullable=nullable)


def _staff(name: str, *, nullable: bool = True) -> sa.Column:
    return _ref(name, 'staff_users', nullable=nullable)


def _case() -> sa.Column:
    return _ref('case_id', 'cases', ondelete='CASCADE')


def upgrade() -> None:
    op.create_table(
        'agencies', _id(),
        sa.Column('code', sa.String(32), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('agency_type', sa.String(24), nullable=False),
        sa.Column('region_code', sa.String(5), nullable=False),
        _ref('organization_id', 'directory_organizations', nullable=True, ondelete='SET NULL'),
        sa.Column('is_example', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', WHEN, nullable=False),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('code'))
    op.create_index('ix_agencies_type_region', 'agencies', ['agency_type', 'region_code'])

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency_id', ID, nullable=True))
        batch_op.create_foreign_key('fk_staff_users_agency_id_agencies', 'agencies', ['agency_id'], ['id'])
        batch_op.create_index('ix_staff_users_agency_id', ['agency_id'])

    op.create_table(
        'cases', _id(),
        sa.Column('public_id', sa.String(36), nullable=False),
        _ref('report_id', 'reports', nullable=True, ondelete='SET NULL'),
        _ref('agency_id', 'agencies'),
        sa.Column('origin', sa.String(16), nullable=False),
        sa.Column('region_code', sa.String(5), nullable=True),
        sa.Column('priority', sa.String(2), nullable=True),
        sa.Column('stage', sa.String(24), nullable=False),
        _staff('assigned_to'), _staff('opened_by'),
        sa.Column('opened_at', WHEN, nullable=False),
        sa.Column('first_contact_due_at', WHEN, nullable=True),
        sa.Column('first_contact_at', WHEN, nullable=True),
        _staff('closure_requested_by'),
        sa.Column('closed_at', WHEN, nullable=True),
        _staff('closed_by'),
        sa.Column('child_age_band', sa.String(16), nullable=True),
        sa.Column('child_gender', sa.String(16), nullable=True),
        sa.Column('contact_method', sa.String(16), nullable=False),
        sa.Column('contact_sealed', sa.LargeBinary(), nullable=True),
        sa.Column('updated_at', WHEN, nullable=False),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('public_id'))
    op.create_index('ix_cases_report_id', 'cases', ['report_id'])
    op.create_index('ix_cases_agency_id', 'cases', ['agency_id'])
    op.create_index('ix_cases_assigned_to', 'cases', ['assigned_to'])
    op.create_index('ix_cases_agency_stage', 'cases', ['agency_id', 'stage'])

    op.create_table(
        'case_consents', _id(), _case(),
        *[sa.Column(name, sa.Boolean(), nullable=False)
          for name in ('child_assent', 'guardian_consent', 'services', 'share_statement', 'police', 'statistics')],
        sa.Column('share_with', sa.JSON(), nullable=False),
        sa.Column('withheld', sa.JSON(), nullable=False),
        sa.Column('withheld_reason_sealed', sa.LargeBinary(), nullable=True),
        sa.Column('legal_basis', sa.String(24), nullable=False),
        _staff('recorded_by', nullable=False),
        sa.Column('recorded_at', WHEN, nullable=False),
        sa.Column('withdrawn_at', WHEN, nullable=True),
        _staff('withdrawn_by'),
        sa.Column('withdrawal_reason_sealed', sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_case_consents_case_id', 'case_consents', ['case_id'])

    op.create_table(
        'case_statements', _id(),
        sa.Column('public_id', sa.String(36), nullable=False), _case(),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('body_sealed', sa.LargeBinary(), nullable=False),
        sa.Column('language', sa.String(5), nullable=False),
        _staff('taken_by', nullable=False),
        _ref('taken_by_agency_id', 'agencies'),
        sa.Column('taken_at', WHEN, nullable=False),
        sa.Column('reason_sealed', sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('public_id'))
    op.create_index('ix_case_statements_case_id', 'case_statements', ['case_id'])

    op.create_table(
        'case_notes', _id(), _case(),
        _ref('statement_id', 'case_statements', nullable=True),
        _ref('agency_id', 'agencies'),
        _staff('author_id', nullable=False),
        sa.Column('at', WHEN, nullable=False),
        sa.Column('sensitive', sa.Boolean(), nullable=False),
        sa.Column('body_sealed', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_case_notes_case_id', 'case_notes', ['case_id'])

    op.create_table(
        'case_steps', _id(), _case(),
        sa.Column('kind', sa.String(24), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('due_at', WHEN, nullable=True),
        sa.Column('done_at', WHEN, nullable=True),
        _staff('done_by'),
        sa.Column('created_at', WHEN, nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('note_sealed', sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_case_steps_case_id', 'case_steps', ['case_id'])
    op.create_index('ix_case_steps_open_due', 'case_steps', ['status', 'due_at'])

    op.create_table(
        'case_referrals', _id(),
        sa.Column('public_id', sa.String(36), nullable=False), _case(),
        sa.Column('kind', sa.String(16), nullable=False),
        _ref('to_agency_id', 'agencies', nullable=True),
        _ref('to_organization_id', 'directory_organizations', nullable=True),
        sa.Column('service_type', sa.String(24), nullable=True),
        sa.Column('shares_statement', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        _staff('sent_by', nullable=False),
        sa.Column('sent_at', WHEN, nullable=False),
        sa.Column('respond_by', WHEN, nullable=True),
        sa.Column('responded_at', WHEN, nullable=True),
        _staff('responded_by'),
        sa.Column('delivered_at', WHEN, nullable=True),
        sa.Column('services_delivered', sa.JSON(), nullable=False),
        sa.Column('reason_sealed', sa.LargeBinary(), nullable=True),
        _ref('evidence_referral_id', 'referrals', nullable=True),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('public_id'))
    op.create_index('ix_case_referrals_case_id', 'case_referrals', ['case_id'])
    op.create_index('ix_case_referrals_to_agency_id', 'case_referrals', ['to_agency_id'])
    op.create_index('ix_case_referrals_status_due', 'case_referrals', ['status', 'respond_by'])


def downgrade() -> None:
    for table in ('case_referrals', 'case_steps', 'case_notes', 'case_statements', 'case_consents', 'cases'):
        op.drop_table(table)
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_users_agency_id')
        batch_op.drop_constraint('fk_staff_users_agency_id_agencies', type_='foreignkey')
        batch_op.drop_column('agency_id')
    op.drop_table('agencies')
