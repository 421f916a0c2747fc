"""Use cases of the service directory: import and export HSDS JSON, list and show organisations.

Each use case that changes the directory commits once, with an audit entry; an import with any problem saves
nothing (every problem is reported at once, with its place in the file).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from safe4c.db.directory import DirectoryOrganization, DirectoryService
from safe4c.directory import store
from safe4c.directory.rules import hsds, hsds_out
from safe4c.directory.rules.records import Organization
from safe4c.kernel import audit, regions
from safe4c.kernel.errors import Invalid, NotFound
from safe4c.kernel.uow import UnitOfWork


@dataclass(frozen=True)
class ImportResult:
    added: int
    replaced: int


@dataclass(frozen=True)
class OrganizationSummary:
    id: int
    name: str
    org_type: str
    region_code: str
    region_name: str
    is_example: bool
    service_types: tuple[str, ...]


def save(*, uow: UnitOfWork, organizations: list[Organization], actor_id: int | None, action: str) -> ImportResult:
    """Insert or replace organisations (by HSDS id) and commit, with one audit entry."""
    existing = set(uow.session.scalars(select(DirectoryOrganization.hsds_id).where(
        DirectoryOrganization.hsds_id.in_([o.id for o in organizations]))))
    for org in organizations:
        store.write(uow, org)
    result = ImportResult(added=len(organizations) - len(existing), replaced=len(existing))
    audit.record(uow, actor_id=actor_id, action=action, subject_type="directory",
                 detail={"added": result.added, "replaced": result.replaced})
    uow.commit()
    return result


def import_hsds(*, uow: UnitOfWork, document: object, actor_id: int | None = None) -> ImportResult:
    organizations, errors = hsds.parse(document)
    if errors:
        raise Invalid(errors, message="The directory file was not imported: nothing was saved. Fix these and "
                                      "import it again.")
    return save(uow=uow, organizations=organizations, actor_id=actor_id, action="directory.import")


def export_hsds(*, uow: UnitOfWork) -> dict:
    rows = list(uow.session.scalars(select(DirectoryOrganization).order_by(DirectoryOrganization.name,
                                                                           DirectoryOrganization.id)))
    return hsds_out.page(store.read(uow, rows))


def list_organizations(*, uow: UnitOfWork, org_type: str | None = None,
                       province: str | None = None) -> list[OrganizationSummary]:
    query = select(DirectoryOrganization).order_by(DirectoryOrganization.name, DirectoryOrganization.id)
    if org_type:
        query = query.where(DirectoryOrganization.org_type == org_type)
    if province:
        query = query.where(or_(DirectoryOrganization.region_code == province,
                                DirectoryOrganization.region_code.like(province + ".%")))
    rows = list(uow.session.scalars(query))
    types: dict[int, set[str]] = {}
    if rows:
        for org_id, service_type in uow.session.execute(
                select(DirectoryService.organization_id, DirectoryService.service_type)
                .where(DirectoryService.organization_id.in_([r.id for r in rows]))):
            types.setdefault(org_id, set()).add(service_type)
    return [OrganizationSummary(id=r.id, name=r.name, org_type=r.org_type, region_code=r.region_code,
                                region_name=regions.name_of(r.region_code) or "", is_example=r.is_example,
                                service_types=tuple(sorted(types.get(r.id, ())))) for r in rows]


def get_organization(*, uow: UnitOfWork, org_id: int) -> Organization:
    row = uow.session.get(DirectoryOrganization, org_id)
    if row is None:
        raise NotFound("We could not find this organization in the directory.")
    return store.read(uow, [row])[0]


def count(*, uow: UnitOfWork) -> int:
    return uow.session.scalar(select(func.count()).select_from(DirectoryOrganization))
