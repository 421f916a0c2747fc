"""Which agency leads a case opened automatically from a report (docs/cases.md "Opening a case").

The active UPTD PPA of the child's regency, else of the province, else the national hotline (SAPA 129): the
unit nearest the child takes it up, and no report with consent to services is left with nobody. Among equals
the oldest agency (lowest id) wins, so routing is repeatable. ``preferences`` is the order; cases/cases.py
``route_report`` asks the database for the first of them that has an active agency, in one query.
"""

from __future__ import annotations

from safe4c.directory.rules.types import NATIONAL

UPTD_PPA, HOTLINE = "uptd_ppa", "hotline"


def preferences(*, regency_code: str | None, province_code: str | None) -> list[tuple[str, str]]:
    """The (region, agency type) pairs that may lead the case, nearest the child first."""
    province = province_code or (regency_code.split(".")[0] if regency_code else None)
    return [(region, kind) for region, kind in ((regency_code, UPTD_PPA), (province, UPTD_PPA), (NATIONAL, HOTLINE))
            if region]
