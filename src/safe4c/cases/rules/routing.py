"""Which agency leads a case opened automatically from a report (docs/cases.md "Opening a case").

The active UPTD PPA of the child's regency, else of the province, else the national hotline (SAPA 129): the
unit nearest the child takes it up, and no report with consent to services is left with nobody. Among equals
the oldest agency (lowest id) wins, so routing is repeatable.
"""

from __future__ import annotations

from dataclasses import dataclass

UPTD_PPA, HOTLINE, NATIONAL = "uptd_ppa", "hotline", "ID"


@dataclass(frozen=True)
class Candidate:
    id: int
    agency_type: str
    region_code: str
    active: bool = True


def route(agencies: list[Candidate], *, regency_code: str | None, province_code: str | None) -> int | None:
    active = sorted((a for a in agencies if a.active), key=lambda a: a.id)
    province = province_code or (regency_code.split(".")[0] if regency_code else None)
    for region, kind in ((regency_code, UPTD_PPA), (province, UPTD_PPA), (NATIONAL, HOTLINE)):
        if region:
            found = next((a.id for a in active if a.agency_type == kind and a.region_code == region), None)
            if found is not None:
                return found
    return None
