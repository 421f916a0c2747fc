"""Agencies and agency staff for case tests: rows as the tables define them (the agency use cases are h10a's
cases/agencies.py; these stay small and readable)."""

from __future__ import annotations

from helpers import make_user

from safe4c.access.rules.policy import Actor
from safe4c.db.cases import Agency
from safe4c.db.tables import StaffUser


def make_agency(uow_factory, code: str, agency_type: str = "uptd_ppa", region: str = "32.73",
                name: str | None = None) -> int:
    with uow_factory() as uow:
        row = Agency(code=code, name=name or f"Agency {code}", agency_type=agency_type, region_code=region,
                     organization_id=None, is_example=True, active=True, created_at=uow.now())
        uow.session.add(row)
        uow.session.flush()
        uow.commit()
        return row.id


def make_agency_user(uow_factory, username: str, role: str, agency_id: int | None) -> int:
    """A staff member of the agency (created with it: case roles need one, access/rules/staff.py)."""
    with uow_factory() as uow:
        code = uow.session.get(Agency, agency_id).code if agency_id else None
    return make_user(uow_factory, username, role, agency=code)


def actor(uow_factory, user_id: int) -> Actor:
    """The actor the web layer would make of this staff member (web/authorization.actor_of)."""
    with uow_factory() as uow:
        user = uow.session.get(StaffUser, user_id)
        return Actor.staff(user.id, user.role, user.agency_id)
