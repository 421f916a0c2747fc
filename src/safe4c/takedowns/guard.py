"""The one rule against duplicate takedown orders, for the callers that issue orders on their own
(the match job, an analyst's takedown decision): no new order while an open one (issued, acknowledged,
disputed) exists for the same platform and target, whatever report it came from. ``takedowns.issue_order``
itself does not check: a person may issue a second order on purpose."""

from __future__ import annotations

from sqlalchemy import select

from safe4c.db.platforms import TakedownOrder
from safe4c.takedowns.orders import OPEN_STATUSES
from safe4c.kernel.uow import UnitOfWork


def open_order_exists(uow: UnitOfWork, platform_id: int, target_type: str, value: str) -> bool:
    """Is an order for this platform and target still open? Values compare as takedowns stores them
    (trimmed; hashes in lower case)."""
    value = (value or "").strip()
    if target_type == "hash":
        value = value.lower()
    return uow.session.scalar(select(TakedownOrder.id).where(
        TakedownOrder.platform_id == platform_id, TakedownOrder.target_type == target_type,
        TakedownOrder.target_value == value, TakedownOrder.status.in_(OPEN_STATUSES)).limit(1)) is not None
