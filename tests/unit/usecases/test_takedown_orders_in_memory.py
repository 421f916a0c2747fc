"""The takedown order use cases on the in-memory unit of work: deadlines, the lifecycle, escalation."""

from __future__ import annotations

import itertools

from datetime import timedelta

import pytest
from fakes import memory_uow_factory
from sqlalchemy import select

from safe4c.access import platforms
from safe4c.db.platforms import TakedownOrder
from safe4c.kernel.errors import Conflict
from safe4c.takedowns import orders

_ORDERS = itertools.count(1)  # one open order per platform and target: each order its own target

URL = "https://video.example.com/v/12345"


@pytest.fixture
def factory():
    return memory_uow_factory()


def platform(factory) -> int:
    with factory() as uow:
        return platforms.create_platform(uow=uow, name="TikTok Indonesia", taxonomy_code="tiktok",
                                         webhook_url=None).id


def issue(factory, platform_id, **changes) -> str:
    with factory() as uow:
        return orders.issue_order(uow=uow, actor_id=None, order=orders.OrderInput(
            platform_id=platform_id, target_type="url", target_value=f"{URL}?n={next(_ORDERS)}", **{"category": "csam", **changes}))


def row(factory, public_id) -> TakedownOrder:
    with factory() as uow:
        found = uow.session.scalar(select(TakedownOrder).where(TakedownOrder.public_id == public_id))
        uow.session.expunge_all()
        return found


def test_abuse_material_gets_four_hours_and_other_orders_twenty_four(factory):
    pid = platform(factory)
    urgent = row(factory, issue(factory, pid))
    assert urgent.urgent and urgent.deadline_at - urgent.issued_at == timedelta(hours=4)
    standard = row(factory, issue(factory, pid, category="other"))
    assert not standard.urgent and standard.deadline_at - standard.issued_at == timedelta(hours=24)


def test_acknowledged_then_removed_and_a_removed_order_cannot_be_withdrawn(factory):
    pid = platform(factory)
    public_id = issue(factory, pid)
    with factory() as uow:
        orders.acknowledge(uow=uow, platform_id=pid, public_id=public_id)
    assert row(factory, public_id).acknowledged_at is not None
    factory.clock.advance(hours=1)
    with factory() as uow:
        orders.mark_removed(uow=uow, platform_id=pid, public_id=public_id)
    done = row(factory, public_id)
    assert done.status == "removed" and done.removed_at == factory.clock.now()
    with factory() as uow, pytest.raises(Conflict):
        orders.withdraw(uow=uow, public_id=public_id, actor_id=1, reason="Salah kirim.", confirmed=True)


def test_an_overdue_order_climbs_one_step_and_a_removed_one_does_not(factory):
    pid = platform(factory)
    late, removed = issue(factory, pid), issue(factory, pid, category="other")
    with factory() as uow:
        orders.mark_removed(uow=uow, platform_id=pid, public_id=removed)
    factory.clock.advance(hours=30)
    for public_id in (late, removed):
        with factory() as uow:
            orders.escalate(uow=uow, order_id=row(factory, public_id).id, level=1)
    assert row(factory, late).escalation_level == 1
    assert row(factory, removed).escalation_level == 0
