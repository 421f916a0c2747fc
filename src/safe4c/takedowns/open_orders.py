"""One open order per platform and target (takedowns/rules/targets.target_key; the partial unique index
``uq_takedown_open_target``): finding the open order for a target, and the error that names it."""

from __future__ import annotations

from sqlalchemy import select

from safe4c.db.platforms import Platform, TakedownOrder
from safe4c.kernel.errors import Conflict
from safe4c.kernel.i18n import N_
from safe4c.kernel.uow import UnitOfWork
from safe4c.takedowns.rules import targets
from safe4c.takedowns.rules.lifecycle import OPEN_STATUSES


class DuplicateOrder(Conflict):
    """An open order for the same platform and target exists: it is not issued twice (``existing``: its id)."""

    message = N_("An open order for this target and platform already exists: order {order}.")

    def __init__(self, existing: str):
        super().__init__(params={"order": existing[:8]})
        self.existing = existing


def open_order_by_key(uow: UnitOfWork, platform_id: int | None, key: str) -> str | None:
    return uow.session.scalar(select(TakedownOrder.public_id).where(
        TakedownOrder.platform_id == platform_id, TakedownOrder.target_key == key,
        TakedownOrder.status.in_(OPEN_STATUSES)).limit(1))


def open_order_for(uow: UnitOfWork, platform_id: int, target_type: str, value: str,
                   hash_type: str | None = None) -> str | None:
    """The public id of the open order for this platform and target, however the target is written (a URL's
    spelling, a Telegram group as its link or its name, a hash in either case: rules/targets.target_key)."""
    code = uow.session.scalar(select(Platform.taxonomy_code).where(Platform.id == platform_id))
    return open_order_by_key(uow, platform_id, targets.target_key(target_type, value or "", hash_type, code))


def open_order_exists(uow: UnitOfWork, platform_id: int, target_type: str, value: str,
                      hash_type: str | None = None) -> bool:
    """Is an order for this platform and target still open? (``open_order_for``)"""
    return open_order_for(uow, platform_id, target_type, value, hash_type) is not None
