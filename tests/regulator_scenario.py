"""The regulator's case from issue 12, as data: 21 orders overdue now, 13 of them one platform's at warning 3,
most issued in an earlier month than the one on screen. Used by the integration and the browser tests.

December 2025: Telegram gets 13 urgent orders and acts on none (warning 3); Meta gets 5 standard orders,
removes 2 in time and leaves 3 (warning 2). January 2026: TikTok gets 4 urgent orders, removes 3 in 2 hours,
1 is overdue; X gets 5 standard orders, 1 is withdrawn, 4 are overdue (warning 1). Now: 17 January 2026.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import update

from safe4c.access import platforms
from safe4c.db.platforms import TakedownOrder
from safe4c.takedowns import orders as takedowns

START = datetime(2025, 12, 10, 8, 0, tzinfo=timezone.utc)


def _issue(uow_factory, platform_id: int, category: str, n: int) -> list[str]:
    out = []
    for i in range(n):
        with uow_factory() as uow:
            out.append(takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
                platform_id=platform_id, target_type="url", target_value=f"https://example.com/{platform_id}/{i}",
                category=category)))
    return out


def _withdraw(uow_factory, public_id: str) -> None:
    with uow_factory() as uow:
        takedowns.withdraw(uow=uow, public_id=public_id, actor_id=None, reason="Salah sasaran.", confirmed=True)


def _set_level(uow_factory, public_ids: list[str], level: int) -> None:
    """The escalation step the worker would have reached by now (its own tests cover how it gets there)."""
    with uow_factory() as uow:
        uow.session.execute(update(TakedownOrder).where(TakedownOrder.public_id.in_(public_ids))
                            .values(escalation_level=level))
        uow.commit()


def build(uow_factory, clock) -> dict[str, int]:
    """Moves ``clock`` (a FrozenClock) from 10 December 2025 to 17 January 2026; returns the platforms' ids."""
    clock.advance(seconds=(START - clock.now()).total_seconds())
    ids = {}
    for name in ("Telegram Messenger", "Meta", "TikTok Indonesia", "X Corp"):
        with uow_factory() as uow:
            ids[name] = platforms.create_platform(uow=uow, name=name).id
    telegram = _issue(uow_factory, ids["Telegram Messenger"], "csam", 13)
    meta = _issue(uow_factory, ids["Meta"], "other", 5)
    clock.advance(hours=3)
    for public_id in meta[:2]:
        with uow_factory() as uow:
            takedowns.mark_removed(uow=uow, platform_id=ids["Meta"], public_id=public_id)
    clock.advance(days=36)  # 15 January 2026
    tiktok = _issue(uow_factory, ids["TikTok Indonesia"], "csam", 4)
    x = _issue(uow_factory, ids["X Corp"], "other", 5)
    clock.advance(hours=2)
    for public_id in tiktok[:3]:
        with uow_factory() as uow:
            takedowns.mark_removed(uow=uow, platform_id=ids["TikTok Indonesia"], public_id=public_id)
    _withdraw(uow_factory, x[0])
    clock.advance(days=2)  # 17 January 2026: X's standard orders are a day past their deadline
    _set_level(uow_factory, telegram, 3)
    _set_level(uow_factory, meta[2:], 2)
    _set_level(uow_factory, x[1:], 1)
    return ids
