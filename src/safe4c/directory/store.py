"""Writing directory records to the tables and reading them back (no commits: the use cases commit)."""

from __future__ import annotations

from sqlalchemy import delete, select

from safe4c.db.directory import (DirectoryContact, DirectoryLocation, DirectoryOrganization, DirectoryPhone,
                                 DirectoryService, DirectoryServiceArea, DirectoryServiceAtLocation)
from safe4c.directory.rules.records import Contact, Location, Organization, Phone, Service
from safe4c.kernel.uow import UnitOfWork

CHILD_TABLES = (DirectoryPhone, DirectoryContact, DirectoryServiceArea, DirectoryServiceAtLocation,
                DirectoryService, DirectoryLocation)  # in the order they are deleted


def remove(uow: UnitOfWork, org_row_id: int) -> None:
    for table in CHILD_TABLES:
        uow.session.execute(delete(table).where(table.organization_id == org_row_id))


def write(uow: UnitOfWork, org: Organization) -> DirectoryOrganization:
    """Insert or replace one organisation (by its HSDS id) with everything under it."""
    session, now = uow.session, uow.now()
    row = session.scalar(select(DirectoryOrganization).where(DirectoryOrganization.hsds_id == org.id))
    if row is None:
        row = DirectoryOrganization(hsds_id=org.id, created_at=now)
        session.add(row)
    else:
        remove(uow, row.id)
    row.name, row.alternate_name, row.description = org.name, org.alternate_name, org.description
    row.org_type, row.region_code, row.is_example = org.org_type, org.region_code, org.is_example
    row.email, row.website, row.updated_at = org.email, org.website, now
    session.flush()
    locations = {}
    for loc in org.locations:
        locations[loc.id] = DirectoryLocation(hsds_id=loc.id, organization_id=row.id, name=loc.name,
                                              location_type=loc.location_type, address=loc.address,
                                              region_code=loc.region_code)
    session.add_all(locations.values())
    _contacts(uow, row.id, None, org.contacts)
    _phones(uow, row.id, None, None, org.phones)
    for s in org.services:
        service = DirectoryService(
            hsds_id=s.id, organization_id=row.id, name=s.name, service_type=s.service_type,
            description=s.description, status=s.status, eligibility_description=s.eligibility_description,
            minimum_age=s.minimum_age, maximum_age=s.maximum_age, email=s.email, url=s.url,
            languages=list(s.languages))
        session.add(service)
        session.flush()
        session.add_all(DirectoryServiceArea(organization_id=row.id, service_id=service.id, region_code=code)
                        for code in s.area_codes)
        session.add_all(DirectoryServiceAtLocation(organization_id=row.id, service_id=service.id,
                                                   location_id=locations[loc].id) for loc in s.location_ids)
        _contacts(uow, row.id, service.id, s.contacts)
        _phones(uow, row.id, service.id, None, s.phones)
    session.flush()
    return row


def _contacts(uow: UnitOfWork, org_id: int, service_id: int | None, contacts: tuple[Contact, ...]) -> None:
    for c in contacts:
        contact = DirectoryContact(hsds_id=c.id, organization_id=org_id, service_id=service_id, name=c.name,
                                   title=c.title, email=c.email, is_example=c.is_example)
        uow.session.add(contact)
        uow.session.flush()
        _phones(uow, org_id, None, contact.id, c.phones)


def _phones(uow: UnitOfWork, org_id: int, service_id: int | None, contact_id: int | None,
            phones: tuple[Phone, ...]) -> None:
    uow.session.add_all(DirectoryPhone(hsds_id=p.id, organization_id=org_id, service_id=service_id,
                                       contact_id=contact_id, number=p.number, type=p.type,
                                       description=p.description, is_example=p.is_example) for p in phones)


def read(uow: UnitOfWork, rows: list[DirectoryOrganization]) -> list[Organization]:
    """The organisations of these rows with everything under them, in the rows' order (a few queries in all)."""
    ids = [r.id for r in rows]
    if not ids:
        return []

    def children(table):
        found: dict[int, list] = {}
        for child in uow.session.scalars(select(table).where(table.organization_id.in_(ids)).order_by(table.id)):
            found.setdefault(child.organization_id, []).append(child)
        return found

    locations, services, areas, at, contacts, phones = (children(t) for t in (
        DirectoryLocation, DirectoryService, DirectoryServiceArea, DirectoryServiceAtLocation, DirectoryContact,
        DirectoryPhone))
    out = []
    for r in rows:
        loc_ids = {loc.id: loc.hsds_id for loc in locations.get(r.id, [])}
        org_phones, org_contacts = phones.get(r.id, []), contacts.get(r.id, [])

        def phones_of(*, service_id=None, contact_id=None):
            return tuple(Phone(id=p.hsds_id, number=p.number, type=p.type, description=p.description,
                               is_example=p.is_example) for p in org_phones
                         if p.service_id == service_id and p.contact_id == contact_id)

        def contacts_of(service_id=None):
            return tuple(Contact(id=c.hsds_id, name=c.name, title=c.title, email=c.email,
                                 phones=phones_of(contact_id=c.id), is_example=c.is_example)
                         for c in org_contacts if c.service_id == service_id)

        out.append(Organization(
            id=r.hsds_id, name=r.name, org_type=r.org_type, region_code=r.region_code, description=r.description,
            alternate_name=r.alternate_name, email=r.email, website=r.website, is_example=r.is_example,
            phones=phones_of(), contacts=contacts_of(),
            locations=tuple(Location(id=loc.hsds_id, name=loc.name, location_type=loc.location_type,
                                     address=loc.address, region_code=loc.region_code)
                            for loc in locations.get(r.id, [])),
            services=tuple(Service(
                id=s.hsds_id, name=s.name, service_type=s.service_type, description=s.description, status=s.status,
                eligibility_description=s.eligibility_description, minimum_age=s.minimum_age,
                maximum_age=s.maximum_age, email=s.email, url=s.url,
                area_codes=tuple(a.region_code for a in areas.get(r.id, []) if a.service_id == s.id),
                location_ids=tuple(loc_ids[a.location_id] for a in at.get(r.id, []) if a.service_id == s.id),
                languages=tuple(s.languages), phones=phones_of(service_id=s.id), contacts=contacts_of(s.id))
                for s in services.get(r.id, []))))
    return out
