"""SQL the rollups and the recount share: a timestamp's WIB month ("YYYY-MM") on each database, and a table's
change cursor."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from safe4c.kernel.uow import UnitOfWork


def dialect(uow: UnitOfWork) -> str:
    return uow.session.get_bind().dialect.name


def month_expr(uow: UnitOfWork, column):
    """The WIB calendar month of a UTC timestamp column (WIB is UTC+7 all year): ``kernel.months.month_of`` in
    SQL."""
    if dialect(uow) == "postgresql":
        return func.to_char(func.timezone("Asia/Jakarta", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+7 hours")


LATE_COMMIT = timedelta(minutes=10)  # longer than any transaction that writes reports, orders or cases


def table_cursor(uow: UnitOfWork, table) -> str:
    """Where a table stands (read from its ``updated_at`` index and primary key): the highest id, the latest
    ``updated_at``, and how many rows have an ``updated_at`` within LATE_COMMIT of it (so a transaction that set
    its ``updated_at`` a little earlier but committed later still moves the cursor)."""
    latest, highest = uow.session.execute(select(func.max(table.updated_at), func.max(table.id))).one()
    recent = uow.session.scalar(select(func.count()).where(table.updated_at >= latest - LATE_COMMIT)) if latest else 0
    return f"{highest}|{latest}|{recent}"
