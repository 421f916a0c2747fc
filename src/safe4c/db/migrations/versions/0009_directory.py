"""directory: the service directory in the shape of Open Referral HSDS 3.0 (docs/directory.md)

Organisations, their locations, services, service areas, services at locations, contacts and phones
(db/directory.py). New tables only; nothing existing changes.

Revision ID: 0009_directory
Revises: 0008_durable
"""
from alembic import op
import sqlalchemy as sa

import safe4c.db.tables


revision = '0009_directory'
down_revision = '0008_durable'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _id() -> sa.Column:
    return sa.Column('id', ID, autoincrement=True, nullable=False)


def _org() -> sa.Column:
    return sa.Column('organization_id', ID, sa.ForeignKey('directory_organizations.id'), nullable=False)


def upgrade() -> None:
    op.create_table(
        'directory_organizations', _id(),
        sa.Column('hsds_id', sa.String(36), nullable=False),
        sa.Column('name', sa.String(500), nullable=False),
        sa.Column('alternate_name', sa.String(500), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('org_type', sa.String(24), nullable=False),
        sa.Column('region_code', sa.String(5), nullable=False),
        sa.Column('is_example', sa.Boolean(), nullable=False),
        sa.Column('email', sa.String(254), nullable=False),
        sa.Column('website', sa.String(500), nullable=False),
        sa.Column('created_at', safe4c.db.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', safe4c.db.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('hsds_id'))
    op.create_index('ix_directory_organizations_type_region', 'directory_organizations', ['org_type', 'region_code'])

    op.create_table(
        'directory_locations', _id(),
        sa.Column('hsds_id', sa.String(36), nullable=False), _org(),
        sa.Column('name', sa.String(500), nullable=False),
        sa.Column('location_type', sa.String(16), nullable=False),
        sa.Column('address', sa.String(500), nullable=False),
        sa.Column('region_code', sa.String(5), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_directory_locations_hsds_id', 'directory_locations', ['hsds_id'])
    op.create_index('ix_directory_locations_organization_id', 'directory_locations', ['organization_id'])
    op.create_index('ix_directory_locations_region_code', 'directory_locations', ['region_code'])

    op.create_table(
        'directory_services', _id(),
        sa.Column('hsds_id', sa.String(36), nullable=False), _org(),
        sa.Column('name', sa.String(500), nullable=False),
        sa.Column('service_type', sa.String(24), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('eligibility_description', sa.Text(), nullable=False),
        sa.Column('minimum_age', sa.SmallInteger(), nullable=True),
        sa.Column('maximum_age', sa.SmallInteger(), nullable=True),
        sa.Column('email', sa.String(254), nullable=False),
        sa.Column('url', sa.String(500), nullable=False),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_directory_services_hsds_id', 'directory_services', ['hsds_id'])
    op.create_index('ix_directory_services_organization_id', 'directory_services', ['organization_id'])

    op.create_table(
        'directory_service_at_location', _id(), _org(),
        sa.Column('service_id', ID, sa.ForeignKey('directory_services.id'), nullable=False),
        sa.Column('location_id', ID, sa.ForeignKey('directory_locations.id'), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_directory_service_at_location_organization_id', 'directory_service_at_location',
                    ['organization_id'])
    op.create_index('ix_directory_service_at_location_service_id', 'directory_service_at_location', ['service_id'])

    op.create_table(
        'directory_service_areas', _id(), _org(),
        sa.Column('service_id', ID, sa.ForeignKey('directory_services.id'), nullable=False),
        sa.Column('region_code', sa.String(5), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_directory_service_areas_organization_id', 'directory_service_areas', ['organization_id'])
    op.create_index('ix_directory_service_areas_service_id', 'directory_service_areas', ['service_id'])

    op.create_table(
        'directory_contacts', _id(),
        sa.Column('hsds_id', sa.String(36), nullable=False), _org(),
        sa.Column('service_id', ID, sa.ForeignKey('directory_services.id'), nullable=True),
        sa.Column('name', sa.String(500), nullable=False),
        sa.Column('title', sa.String(500), nullable=False),
        sa.Column('email', sa.String(254), nullable=False),
        sa.Column('is_example', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_directory_contacts_organization_id', 'directory_contacts', ['organization_id'])

    op.create_table(
        'directory_phones', _id(),
        sa.Column('hsds_id', sa.String(36), nullable=False), _org(),
        sa.Column('service_id', ID, sa.ForeignKey('directory_services.id'), nullable=True),
        sa.Column('contact_id', ID, sa.ForeignKey('directory_contacts.id'), nullable=True),
        sa.Column('number', sa.String(40), nullable=False),
        sa.Column('type', sa.String(16), nullable=False),
        sa.Column('description', sa.String(500), nullable=False),
        sa.Column('is_example', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_directory_phones_organization_id', 'directory_phones', ['organization_id'])


def downgrade() -> None:
    for table in ('directory_phones', 'directory_contacts', 'directory_service_areas',
                  'directory_service_at_location', 'directory_services', 'directory_locations',
                  'directory_organizations'):
        op.drop_table(table)
