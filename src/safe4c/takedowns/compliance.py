"""Platform compliance with takedown orders, per platform and calendar month (Western Indonesia Time).

For the orders issued in a month: received, acknowledged, removed; median and 90th percentile time from order
to confirmed removal; share removed within the deadline (of the orders whose deadline has passed or that were
removed); overdue now; the highest escalation step reached; disputes; withdrawals (counted, never dropped).
The same figures for all platforms together and for urgent and standard orders apart. Apart from the month:
every order overdue now, whatever month it was issued in, per platform with its escalation step
(rules/overdue.py). The regulator sees every platform, a platform only its own. The same rows feed the page,
the CSV and the PDF.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select

from safe4c.db.platforms import Platform, TakedownOrder
from safe4c.takedowns.rules import deadlines
from safe4c.takedowns.rules.overdue import OpenOrder, PlatformOverdue, overdue_by_platform
from safe4c.kernel import audit
from safe4c.kernel.months import month_bounds, parse_month
from safe4c.kernel.uow import UnitOfWork


@dataclass(frozen=True)
class PlatformMonth:
    platform_id: int
    platform: str
    month: str  # YYYY-MM
    received: int
    acknowledged: int
    removed: int
    removed_within_deadline: int
    share_within_deadline: float | None  # 0..1, None when no order is due yet
    median_hours: float | None
    p90_hours: float | None
    overdue_now: int
    escalation_level: int  # highest step reached by the month's orders (0 = none)
    disputes: int
    withdrawn: int
    urgent: int  # of ``received``, the urgent ones (4-hour deadline)


@dataclass(frozen=True)
class Period:
    """What the regulator reads for one month, and apart from it, what is overdue now."""
    month: str
    rows: list[PlatformMonth]  # one per platform
    total: PlatformMonth  # every platform together (platform_id 0)
    urgent: PlatformMonth  # every platform's urgent orders
    standard: PlatformMonth  # every platform's standard orders
    overdue: list[PlatformOverdue]  # overdue now, whatever month the orders were issued in

    @property
    def overdue_total(self) -> int:
        return sum(r.overdue for r in self.overdue)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1): always a value that was observed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _platform_names(uow: UnitOfWork, platform_id: int | None) -> dict[int, str]:
    platforms = select(Platform.id, Platform.name).order_by(Platform.name)
    if platform_id is not None:
        platforms = platforms.where(Platform.id == platform_id)
    return {pid: name for pid, name in uow.session.execute(platforms)}


def _issued_in(uow: UnitOfWork, month: str, platform_id: int | None) -> list[TakedownOrder]:
    start, end = month_bounds(month)
    orders = select(TakedownOrder).where(TakedownOrder.issued_at >= start, TakedownOrder.issued_at < end)
    if platform_id is not None:
        orders = orders.where(TakedownOrder.platform_id == platform_id)
    return list(uow.session.scalars(orders))


def _per_platform(names: dict[int, str], month: str, orders: list[TakedownOrder], now: datetime) -> list[PlatformMonth]:
    by_platform: dict[int, list[TakedownOrder]] = {pid: [] for pid in names}
    for o in orders:
        by_platform.setdefault(o.platform_id, []).append(o)
    return [_row(pid, names.get(pid, "?"), month, rows, now) for pid, rows in by_platform.items()]


def monthly(*, uow: UnitOfWork, month: str, platform_id: int | None = None) -> list[PlatformMonth]:
    """One row per platform (every platform for the regulator, even with no orders; one for a platform)."""
    return _per_platform(_platform_names(uow, platform_id), month, _issued_in(uow, month, platform_id), uow.now())


def overdue_now(*, uow: UnitOfWork, platform_id: int | None = None) -> list[PlatformOverdue]:
    """Every order waiting on its platform past its deadline now, per platform, whatever month it was issued in."""
    now = uow.now()
    late = select(TakedownOrder.platform_id, TakedownOrder.status, TakedownOrder.urgent, TakedownOrder.deadline_at,
                  TakedownOrder.escalation_level).where(
        TakedownOrder.status.in_(deadlines.ESCALATING_STATUSES), TakedownOrder.deadline_at < now)
    if platform_id is not None:
        late = late.where(TakedownOrder.platform_id == platform_id)
    orders = [OpenOrder(platform_id=r.platform_id, status=r.status, urgent=bool(r.urgent), deadline_at=r.deadline_at,
                        escalation_level=r.escalation_level or 0) for r in uow.session.execute(late)]
    return overdue_by_platform(orders, now=now, names=_platform_names(uow, platform_id))


def period(*, uow: UnitOfWork, month: str) -> Period:
    """Every platform's figures for ``month``, their totals, urgent and standard apart, and overdue now."""
    now = uow.now()
    orders = _issued_in(uow, month, None)
    return Period(
        month=month, rows=_per_platform(_platform_names(uow, None), month, orders, now),
        total=_row(0, "", month, orders, now),
        urgent=_row(0, "", month, [o for o in orders if o.urgent], now),
        standard=_row(0, "", month, [o for o in orders if not o.urgent], now),
        overdue=overdue_now(uow=uow))


def period_for_staff(*, uow: UnitOfWork, month: str | None, actor_id: int, fmt: str) -> Period:
    """The regulator's view of every platform for ``month`` (default: this month in WIB); the view is audited."""
    m = parse_month(month, now=uow.now())
    found = period(uow=uow, month=m)
    audit.record(uow, actor_id=actor_id, action="compliance.view", subject_type="compliance", subject_id=m,
                 detail={"format": fmt})
    uow.commit()
    return found


def _row(platform_id: int, name: str, month: str, orders: list[TakedownOrder], now: datetime) -> PlatformMonth:
    removed = [o for o in orders if o.removed_at is not None]
    hours = [(o.removed_at - o.issued_at).total_seconds() / 3600 for o in removed]
    within = sum(1 for o in removed if o.removed_at <= o.deadline_at)
    due = [o for o in orders if o.status != "withdrawn" and (o.removed_at is not None or now > o.deadline_at)]
    return PlatformMonth(
        platform_id=platform_id, platform=name, month=month, received=len(orders),
        acknowledged=sum(1 for o in orders if o.acknowledged_at is not None), removed=len(removed),
        removed_within_deadline=within, share_within_deadline=(within / len(due)) if due else None,
        median_hours=percentile(hours, 0.5), p90_hours=percentile(hours, 0.9),
        overdue_now=sum(1 for o in orders if deadlines.is_overdue(o.deadline_at, now, status=o.status)),
        escalation_level=max((o.escalation_level for o in orders), default=0),
        disputes=sum(1 for o in orders if o.disputed_at is not None),
        withdrawn=sum(1 for o in orders if o.status == "withdrawn"), urgent=sum(1 for o in orders if o.urgent),
    )


CSV_COLUMNS = ("month", "platform", "received", "acknowledged", "removed", "removed_within_deadline",
               "share_within_deadline", "median_hours", "p90_hours", "overdue_now", "escalation_level", "disputes",
               "withdrawn", "urgent")


def to_csv(rows: list[PlatformMonth]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        d = asdict(r)
        writer.writerow(["" if d[c] is None else (f"{d[c]:.2f}" if isinstance(d[c], float) else _cell(d[c]))
                         for c in CSV_COLUMNS])
    return buf.getvalue()


def _cell(value) -> str:
    text = str(value)
    # A platform name is data we did not write: never let a spreadsheet run it as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
