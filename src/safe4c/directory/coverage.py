"""Coverage per regency (the pure rule is rules/coverage.py): the directory's offers and locations, the number
of reports per regency, and the 3T list shipped in data/daerah_tertinggal_2020_2024.csv."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from sqlalchemy import func, select

from safe4c.db.directory import DirectoryLocation, DirectoryService, DirectoryServiceArea
from safe4c.db.tables import Report
from safe4c.directory.rules.coverage import CoverageRow, Offer, coverage, national_offers, read_remote_list
from safe4c.kernel import regions
from safe4c.kernel.uow import UnitOfWork

REMOTE_LIST = "daerah_tertinggal_2020_2024.csv"


@lru_cache(maxsize=1)
def remote_regencies() -> frozenset[str]:
    """The 62 regencies of Perpres 63/2020 (daerah tertinggal 2020-2024), by Kemendagri code."""
    text = resources.files("safe4c.directory").joinpath("data", REMOTE_LIST).read_text(encoding="utf-8")
    return read_remote_list(text.splitlines())


@dataclass(frozen=True)
class Coverage:
    rows: list[CoverageRow]
    national: dict[str, int]  # service type -> organisations serving the whole country

    @property
    def gaps(self) -> int:
        return sum(1 for r in self.rows if r.gap)


def regency_coverage(*, uow: UnitOfWork, province: str | None = None, only: str | None = None,
                     reports: dict[str, int] | None = None) -> Coverage:
    """``only``: "remote" (3T regencies) or "gaps" (reports but no provider there); else every regency.
    ``reports``: reports per regency when the caller has them already (the statistics rollups), else counted."""
    session = uow.session
    areas: dict[int, list[str]] = {}
    for service_id, code in session.execute(select(DirectoryServiceArea.service_id, DirectoryServiceArea.region_code)):
        areas.setdefault(service_id, []).append(code)
    offers = [Offer(org, kind, tuple(areas.get(sid, ()))) for sid, org, kind in session.execute(
        select(DirectoryService.id, DirectoryService.organization_id, DirectoryService.service_type)
        .where(DirectoryService.status == "active"))]
    located = list(session.execute(
        select(DirectoryLocation.organization_id, DirectoryLocation.region_code)
        .where(DirectoryLocation.location_type == "physical", DirectoryLocation.region_code.is_not(None))))
    if reports is None:
        reports = dict(session.execute(select(Report.regency_code, func.count()).where(Report.regency_code.is_not(None))
                                       .group_by(Report.regency_code)).all())
    provinces = [p for p in regions.provinces() if not province or p.code == province]
    regencies = [(r.code, r.name) for p in provinces for r in regions.regencies(p.code)]
    rows = coverage(regencies=regencies, offers=offers, located=[tuple(x) for x in located], reports=reports,
                    remote=remote_regencies())
    if only == "remote":
        rows = [r for r in rows if r.remote]
    elif only == "gaps":
        rows = [r for r in rows if r.gap]
    return Coverage(rows=rows, national=national_offers(offers))
