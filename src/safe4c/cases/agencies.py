"""Agencies whose staff work cases (docs/cases.md, "Agencies"): create, list, find by code, and the link to the
agency's entry in the service directory.

``create_agency`` commits once, with an audit entry; bad input raises ``Invalid`` with one error per field (in
the reader's language at the edge) and saves nothing. ``put_agency`` writes one agency into the caller's
transaction (the seed, agency_seed.py, writes all of its entries in one).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from safe4c.cases.rules.agencies import AgencyInput, check, directory_region_fits, names_match, region_label
from safe4c.db.cases import Agency
from safe4c.db.directory import DirectoryOrganization
from safe4c.db.tables import StaffUser
from safe4c.kernel import audit
from safe4c.kernel.errors import FieldError, Invalid, NotFound
from safe4c.kernel.i18n import N_
from safe4c.kernel.uow import UnitOfWork

TAKEN = N_("An agency with this code already exists.")
UNKNOWN = N_("There is no agency with this code. See the list: safe4c agency list")


@dataclass(frozen=True)
class AgencyView:
    id: int
    code: str
    name: str
    agency_type: str
    region_code: str
    region_name: str  # a msgid for "National", else the region's name
    organization_id: int | None  # its entry in the service directory
    is_example: bool
    active: bool
    staff: int = 0  # staff accounts that work for it


def _view(row: Agency, staff: int = 0) -> AgencyView:
    return AgencyView(id=row.id, code=row.code, name=row.name, agency_type=row.agency_type,
                      region_code=row.region_code, region_name=region_label(row.region_code),
                      organization_id=row.organization_id, is_example=row.is_example, active=row.active,
                      staff=staff)


def matching_organization(uow: UnitOfWork, agency: AgencyInput) -> int | None:
    """The directory organisation that is this agency: same type, same name (or alternate name), a region that
    fits. None when there is none, or more than one and we cannot tell which."""
    rows = uow.session.execute(select(DirectoryOrganization.id, DirectoryOrganization.name,
                                      DirectoryOrganization.alternate_name, DirectoryOrganization.region_code)
                               .where(DirectoryOrganization.org_type == agency.agency_type)).all()
    found = [r.id for r in rows
             if (names_match(r.name, agency.name) or (r.alternate_name and names_match(r.alternate_name, agency.name)))
             and directory_region_fits(agency.region_code, r.region_code)]
    return found[0] if len(found) == 1 else None


def put_agency(uow: UnitOfWork, agency: AgencyInput, *, replace: bool = False) -> tuple[Agency, bool]:
    """Write a checked agency into the caller's transaction, linked to its directory entry when one matches;
    with ``replace``, an agency of that code takes the new values. Returns the row and whether it is new."""
    row = uow.session.scalar(select(Agency).where(Agency.code == agency.code))
    if row is not None and not replace:
        raise Invalid([FieldError("code", TAKEN)])
    added = row is None
    if added:
        row = Agency(code=agency.code, created_at=uow.now(), active=True)
        uow.session.add(row)
    row.name, row.agency_type, row.region_code = agency.name, agency.agency_type, agency.region_code
    row.is_example = agency.is_example
    row.organization_id = matching_organization(uow, agency)
    uow.session.flush()
    return row, added


def create_agency(*, uow: UnitOfWork, agency: AgencyInput, actor_id: int | None = None) -> AgencyView:
    """Add an agency (an administrator, or `safe4c agency create`); nothing is saved when a field is wrong."""
    cleaned, errors = check(agency)
    if errors:
        raise Invalid(errors)
    try:
        row, _ = put_agency(uow, cleaned)
    except IntegrityError:  # two administrators took the same code at the same moment
        uow.rollback()
        raise Invalid([FieldError("code", TAKEN)]) from None
    audit.record(uow, actor_id=actor_id, action="agency.create", subject_type="agency", subject_id=row.id,
                 detail={"code": row.code, "type": row.agency_type, "region": row.region_code,
                         "example": row.is_example, "organization": row.organization_id})
    uow.commit()
    return _view(row)


def _staff_counts(uow: UnitOfWork) -> dict[int, int]:
    return dict(uow.session.execute(select(StaffUser.agency_id, func.count()).where(StaffUser.agency_id.is_not(None))
                                    .group_by(StaffUser.agency_id)).all())


def list_agencies(*, uow: UnitOfWork, agency_type: str | None = None,
                  province: str | None = None) -> list[AgencyView]:
    """Every agency (national first, then by region and name), with how many staff work for each."""
    query = select(Agency).order_by(Agency.region_code != "ID", Agency.region_code, Agency.name)
    if agency_type:
        query = query.where(Agency.agency_type == agency_type)
    if province:
        query = query.where((Agency.region_code == province) | Agency.region_code.like(province + ".%"))
    counts = _staff_counts(uow)
    return [_view(row, counts.get(row.id, 0)) for row in uow.session.scalars(query)]


def by_ids(*, uow: UnitOfWork, ids: set[int]) -> dict[int, AgencyView]:
    """The agencies of these ids (e.g. the users page shows each member's agency)."""
    if not ids:
        return {}
    return {row.id: _view(row) for row in uow.session.scalars(select(Agency).where(Agency.id.in_(sorted(ids))))}


def get_by_code(*, uow: UnitOfWork, code: str) -> AgencyView:
    row = uow.session.scalar(select(Agency).where(Agency.code == (code or "").strip().lower()))
    if row is None:
        raise NotFound(UNKNOWN)
    return _view(row, _staff_counts(uow).get(row.id, 0))
