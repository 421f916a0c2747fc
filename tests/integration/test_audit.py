"""The audit log is a hash chain: any edit or deletion is detected."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from safe4c.db.tables import AuditEntry
from safe4c.services import audit


def write(uow_factory, n):
    for i in range(n):
        with uow_factory() as uow:
            audit.record(uow, actor_id=None, action="report.view", subject_type="report", subject_id=i,
                         detail={"i": i})
            uow.commit()


def verify(uow_factory):
    with uow_factory() as uow:
        return audit.verify(uow=uow)


def test_chain_verifies(uow_factory):
    write(uow_factory, 5)
    assert verify(uow_factory) == (True, 5, None)


def test_edit_is_detected(uow_factory):
    write(uow_factory, 5)
    with uow_factory() as uow:
        third = uow.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()[2]
        uow.session.execute(update(AuditEntry).where(AuditEntry.id == third).values(action="report.edit"))
        uow.commit()
    assert verify(uow_factory) == (False, 2, third)


def test_deletion_is_detected(uow_factory):
    write(uow_factory, 5)
    with uow_factory() as uow:
        second = uow.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()[1]
        uow.session.execute(delete(AuditEntry).where(AuditEntry.id == second))
        uow.commit()
    intact, checked, broken = verify(uow_factory)
    assert not intact and checked == 1


def test_rolled_back_work_leaves_no_entry(uow_factory):
    with uow_factory() as uow:
        audit.record(uow, actor_id=None, action="x")
    assert verify(uow_factory) == (True, 0, None)
