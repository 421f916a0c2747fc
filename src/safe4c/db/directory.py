"""Tables of the service directory, in the shape of Open Referral HSDS 3.0 (docs/directory.md).

``hsds_id`` is the object's HSDS id (a UUID), kept across imports and exports; ``id`` is ours. An organisation
is replaced as a whole by an import (directory/service.py deletes its rows and writes them again), so children
carry ``organization_id`` for that delete. Nothing here is personal data about a child.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safe4c.db.tables import Base, Id


class DirectoryOrganization(Base):
    __tablename__ = "directory_organizations"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    hsds_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    alternate_name: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    org_type: Mapped[str] = mapped_column(String(24))  # directory.rules.types.ORGANIZATION_TYPES
    region_code: Mapped[str] = mapped_column(String(5))  # Kemendagri province ("32") or regency ("32.73")
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_directory_organizations_type_region", "org_type", "region_code"),)


class DirectoryLocation(Base):
    __tablename__ = "directory_locations"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    hsds_id: Mapped[str] = mapped_column(String(36), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("directory_organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    location_type: Mapped[str] = mapped_column(String(16))  # physical, postal, virtual
    address: Mapped[str] = mapped_column(String(500), default="")
    region_code: Mapped[str | None] = mapped_column(String(5), index=True)


class DirectoryService(Base):
    __tablename__ = "directory_services"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    hsds_id: Mapped[str] = mapped_column(String(36), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("directory_organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    service_type: Mapped[str] = mapped_column(String(24))  # directory.rules.types.SERVICE_TYPES
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20))  # HSDS: active, inactive, defunct, temporarily closed
    eligibility_description: Mapped[str] = mapped_column(Text, default="")
    minimum_age: Mapped[int | None] = mapped_column(SmallInteger)
    maximum_age: Mapped[int | None] = mapped_column(SmallInteger)
    email: Mapped[str] = mapped_column(String(254), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    languages: Mapped[list]  # ISO 639 codes (HSDS language objects, flattened)


class DirectoryServiceAtLocation(Base):
    __tablename__ = "directory_service_at_location"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("directory_organizations.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("directory_services.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("directory_locations.id"))


class DirectoryServiceArea(Base):
    __tablename__ = "directory_service_areas"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("directory_organizations.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("directory_services.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(5))  # a province or regency code, or "ID" (all Indonesia)


class DirectoryContact(Base):
    __tablename__ = "directory_contacts"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    hsds_id: Mapped[str] = mapped_column(String(36))
    organization_id: Mapped[int] = mapped_column(ForeignKey("directory_organizations.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("directory_services.id"))
    name: Mapped[str] = mapped_column(String(500), default="")
    title: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)


class DirectoryPhone(Base):
    __tablename__ = "directory_phones"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    hsds_id: Mapped[str] = mapped_column(String(36))
    organization_id: Mapped[int] = mapped_column(ForeignKey("directory_organizations.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("directory_services.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("directory_contacts.id"))
    number: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(16))  # RFC 6350: voice, text, ...
    description: Mapped[str] = mapped_column(String(500), default="")
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
