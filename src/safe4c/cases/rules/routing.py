"""Which agency leads a case opened automatically from a report (docs/cases.md "Opening a case").

The active UPTD PPA of the child's regency, else of the province, else the national hotline (SAPA 129): the
unit nearest the child takes it up, and no report with consent to services is left with nobody. Among equals
the oldest agency (lowest id) wins, so routing is repeatable. ``preferences`` is the order; ``route`` applies it
to a list, and cases/cases.py ``route_report`` asks the database for the same choice in one query.
"""

from __future__ import annotations

from dataclasses import dataclass

from safe4c.directory.rules.types import NATIONAL

UPTD_PPA, HOTLINE = "uptd_ppa", "hotline"


@dataclass(frozen=True)
class Candidate:
    id: int
    agency_type: str
    region_code: str
    active: bool = True


def preferences(*, regency_code: str | None, province_code: str | None) -> list[tuple[str, str]]:
    """The (region, agency type) pairs that may lead the case, nearest the child first."""
    province = province_code or (regency_code.split(".")[0] if regency_code else None)
    return [(region, kind) for region, kind in ((regency_code, UPTD_PPA), (province, UPTD_PPA), (NATIONAL, HOTLINE))
            if region]


def route(agencies: list[Candidate], *, regency_code: str | None, province_code: str | None) -> int | None:
    active = sorted((a for a in agencies if a.active), key=lambda a: a.id)
    for region, kind in preferences(regency_code=regency_code, province_code=province_code):
        found = next((a.id for a in active if a.agency_type == kind and a.region_code == region), None)
        if found is not None:
            return found
    return None
