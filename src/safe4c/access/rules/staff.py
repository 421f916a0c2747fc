"""Which staff work for an agency: the rule `safe4c user create ... --agency CODE` follows (access/accounts.py).

Case workers, supervisors and police liaisons work for an agency (web/authorization.actor_of gives the policy
their agency and region, so they see their agency's cases); a police liaison works for a police unit. Other roles
may be given an agency (a national officer at the ministry) but need none. Agency types are
cases/rules/agencies.py AGENCY_TYPES.
"""

from __future__ import annotations

AGENCY_ROLES: tuple[str, ...] = ("case_worker", "supervisor", "police_liaison")
ROLE_AGENCY_TYPES: dict[str, tuple[str, ...]] = {"police_liaison": ("police_unit",)}


def needs_agency(role: str) -> bool:
    return role in AGENCY_ROLES


def fits_agency(role: str, agency_type: str) -> bool:
    """May a staff member of ``role`` work for an agency of this type?"""
    allowed_types = ROLE_AGENCY_TYPES.get(role)
    return allowed_types is None or agency_type in allowed_types
