"""One open order per platform and target (takedowns/rules/targets.target_key; the partial unique index
``uq_takedown_open_target``): finding the open order for a target key, and the error that names it. Whether a
target is free is decided by ``orders.place_order`` alone: a caller places the order and catches
``DuplicateOrder`` (asking first would be racy, and would have to derive the key the same way)."""

from __future__ import annotations

from sqlalchemy import select

from safe4c.db.platforms import TakedownOrder
from safe4c.kernel.errors import Conflict
from safe4c.kernel.i18n import N_
from safe4c.kernel.uow import UnitOfWork
from safe4c.takedowns.rules.lifecycle import OPEN_STATUSES


class DuplicateOrder(Conflict):
    """An open order for the same platform and target exists: it is not issued twice (``existing``: its public id,
    shown by its first 8 characters as everywhere in the staff pages)."""

    message = N_("An open order for this target and platform already exists: order {order}.")

    def __init__(self, existing: str):
        if not existing:
            raise ValueError("DuplicateOrder names the order that holds the target")
        super().__init__(params={"order": existing[:8]})
        self.existing = existing


def open_order_by_key(uow: UnitOfWork, platform_id: int | None, key: str) -> str | None:
    """The public id of the open order for this platform and target key (``targets.target_key``), if any."""
    return uow.session.scalar(select(TakedownOrder.public_id).where(
        TakedownOrder.platform_id == platform_id, TakedownOrder.target_key == key,
        TakedownOrder.status.in_(OPEN_STATUSES)).limit(1))


def holder_of(uow: UnitOfWork, platform_id: int | None, key: str) -> str:
    """After the unique index refused an order: the open order holding the target or, if it was closed in the
    moment since, the newest order for the target (the one that held it). Orders are never deleted."""
    return open_order_by_key(uow, platform_id, key) or uow.session.scalar(
        select(TakedownOrder.public_id).where(TakedownOrder.platform_id == platform_id,
                                              TakedownOrder.target_key == key)
        .order_by(TakedownOrder.issued_at.desc(), TakedownOrder.id.desc()).limit(1))
