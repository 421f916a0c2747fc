"""SQL the rollups and the recount share: a timestamp's WIB month ("YYYY-MM") on each database."""

from __future__ import annotations

from sqlalchemy import func

from safe4c.kernel.uow import UnitOfWork


def dialect(uow: UnitOfWork) -> str:
    return uow.session.get_bind().dialect.name


def month_expr(uow: UnitOfWork, column):
    """The WIB calendar month of a UTC timestamp column (WIB is UTC+7 all year)."""
    if dialect(uow) == "postgresql":
        return func.to_char(func.timezone("Asia/Jakarta", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+7 hours")
