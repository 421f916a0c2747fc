"""What the staff dashboards show, read from the rollups only (never a scan of raw reports)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from safe4c.db.platforms import Platform
from safe4c.db.statistics import StatReportCount, StatResponse, StatTakedown
from safe4c.directory import coverage as directory_coverage
from safe4c.kernel.uow import UnitOfWork
from safe4c.statistics import population
from safe4c.statistics.rules import iceberg
from safe4c.kernel.months import month_of, months_between

WINDOW = 12  # months shown in trends


@dataclass(frozen=True)
class Breakdown:
    dim: str
    months: list[str]
    rows: list[tuple[str, int, list[int]]]  # key, total over the months, per month


def months_window(uow: UnitOfWork, count: int = WINDOW) -> list[str]:
    """The last ``count`` months up to this one (WIB)."""
    last = month_of(uow.now())
    year, mon = int(last[:4]), int(last[5:7]) - (count - 1)
    while mon < 1:
        year, mon = year - 1, mon + 12
    return months_between(f"{year:04d}-{mon:02d}", last)


def breakdown(uow: UnitOfWork, dim: str, months: list[str]) -> Breakdown:
    per: dict[str, dict[str, int]] = defaultdict(dict)
    for month, key, n in uow.session.execute(
            select(StatReportCount.month, StatReportCount.key, StatReportCount.reports)
            .where(StatReportCount.dim == dim, StatReportCount.month.in_(months))):
        per[key][month] = n
    rows = [(key, sum(by.values()), [by.get(m, 0) for m in months]) for key, by in per.items()]
    rows.sort(key=lambda r: (-r[1], r[0]))
    return Breakdown(dim, months, rows)


def all_time(uow: UnitOfWork, dim: str) -> dict[str, int]:
    return dict(uow.session.execute(select(StatReportCount.key, func.sum(StatReportCount.reports))
                                    .where(StatReportCount.dim == dim).group_by(StatReportCount.key)).all())


@dataclass(frozen=True)
class ResponseRow:
    priority: str
    reports: int
    acted: int
    within_deadline: int
    mean_hours: float | None

    @property
    def share_within(self) -> float | None:
        return self.within_deadline / self.acted if self.acted else None


def response(uow: UnitOfWork, months: list[str]) -> list[ResponseRow]:
    rows = uow.session.execute(
        select(StatResponse.priority, func.sum(StatResponse.reports), func.sum(StatResponse.acted),
               func.sum(StatResponse.within_deadline), func.sum(StatResponse.action_seconds))
        .where(StatResponse.month.in_(months)).group_by(StatResponse.priority).order_by(StatResponse.priority))
    return [ResponseRow(p, int(r), int(a), int(w), (int(s) / int(a) / 3600) if a else None) for p, r, a, w, s in rows]


@dataclass(frozen=True)
class PlatformCompliance:
    platform: str
    orders: int
    removed: int
    removed_in_time: int
    missed: int
    mean_hours: float | None
    levels: tuple[int, int, int]


def takedowns(uow: UnitOfWork, months: list[str]) -> list[PlatformCompliance]:
    t = StatTakedown
    rows = uow.session.execute(
        select(Platform.name, func.sum(t.orders), func.sum(t.removed), func.sum(t.removed_in_time), func.sum(t.missed),
               func.sum(t.removal_seconds), func.sum(t.level1), func.sum(t.level2), func.sum(t.level3))
        .join(Platform, Platform.id == t.platform_id).where(t.month.in_(months)).group_by(Platform.name)
        .order_by(Platform.name))
    return [PlatformCompliance(name, int(o), int(r), int(i), int(m), (int(s) / int(r) / 3600) if r else None,
                               (int(l1), int(l2), int(l3))) for name, o, r, i, m, s, l1, l2, l3 in rows]


def coverage(uow: UnitOfWork):
    """The directory's coverage per regency, with the reports per regency from the rollups."""
    return directory_coverage.regency_coverage(uow=uow, reports=all_time(uow, "regency"))


def iceberg_rows(reported: dict[str, int | None], prevalence: float) -> tuple[list[iceberg.IcebergRow],
                                                                                iceberg.IcebergRow]:
    """Per province (ranked) and for Indonesia; ``reported``: province code -> reports (None: suppressed).

    The population figures are from the 2020 census, before Papua's 2022 split: Papua's row counts the reports of
    Papua Selatan, Papua Tengah and Papua Pegunungan too, Papua Barat's those of Papua Barat Daya, so that each
    ratio compares one area; the new provinces' rows show no figure of their own.
    """
    data = population.inputs()
    split = population.parts()
    rows = []
    for code, inputs in data.items():
        if code == population.NATIONAL:
            continue
        here = reported.get(code, 0)
        if code in split:
            found = [here, *(reported.get(part, 0) for part in split[code])]
            # one suppressed part hides the sum, else the sum minus the visible parts would show it
            here = None if any(n is None for n in found) else sum(found)
        rows.append(iceberg.row(code, inputs.name, children=inputs.children_12_17,
                                internet_share=inputs.internet_share, prevalence=prevalence, reported=here))
    nat = data[population.NATIONAL]
    national = iceberg.row(nat.code, nat.name, children=nat.children_12_17, internet_share=nat.internet_share,
                           prevalence=prevalence, reported=reported.get("all"))
    return iceberg.ranked(rows), national
