"""Who works a case (cases/assignment.py, docs/cases.md "Assignment"): a supervisor assigns and reassigns, a case
worker takes an unassigned case of their agency, every change audited; the caseload's views. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from case_world import build, open_case
from helpers import make_user
from sqlalchemy import select

from safe4c.cases import assignment, caseload
from safe4c.db.cases import Case
from safe4c.db.tables import AuditEntry
from safe4c.kernel.errors import Conflict, Forbidden, Invalid, NotFound


@pytest.fixture
def world(uow_factory):
    world = build(uow_factory)
    # a second case worker at agency A, so there is someone to reassign to
    world.staff["pekerja_a2"] = make_user(uow_factory, "pekerja_a2", "case_worker", agency="uptd-ppa-32")
    world.roles["pekerja_a2"] = ("case_worker", "uptd-ppa-32")
    return world


def _assign(uow_factory, world, who, case, assignee):
    with uow_factory() as uow:
        return assignment.assign(uow=uow, actor=world.actor(who), case_public_id=case, assignee=assignee)


def _assigned(uow_factory, case):
    with uow_factory() as uow:
        return uow.session.scalar(select(Case.assigned_to).where(Case.public_id == case))


def _audit(uow_factory, case):
    with uow_factory() as uow:
        return [(e.action, e.actor_id, e.detail) for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_id == case, AuditEntry.action.like("case.%assign"))
            .order_by(AuditEntry.id))]


def test_a_case_worker_takes_an_unassigned_case_and_only_for_themselves(uow_factory, world):
    case = open_case(uow_factory, world, assigned=None)
    with pytest.raises(Forbidden):  # not for someone else
        _assign(uow_factory, world, "pekerja_a", case, str(world.staff["pekerja_a2"]))
    assert _assign(uow_factory, world, "pekerja_a", case, "me") == world.staff["pekerja_a"]
    assert _assigned(uow_factory, case) == world.staff["pekerja_a"]
    with pytest.raises(Conflict):  # taken: the other case worker asks the supervisor
        _assign(uow_factory, world, "pekerja_a2", case, "me")
    assert _audit(uow_factory, case) == [("case.assign", world.staff["pekerja_a"],
                                          {"from": None, "to": world.staff["pekerja_a"]})]


def test_a_supervisor_assigns_and_reassigns_within_the_agency_audited(uow_factory, world):
    case = open_case(uow_factory, world, assigned=None)
    _assign(uow_factory, world, "penyelia_a", case, str(world.staff["pekerja_a"]))
    _assign(uow_factory, world, "penyelia_a", case, str(world.staff["pekerja_a2"]))
    _assign(uow_factory, world, "penyelia_a", case, str(world.staff["pekerja_a2"]))  # no change, no entry
    assert _assigned(uow_factory, case) == world.staff["pekerja_a2"]
    boss = world.staff["penyelia_a"]
    assert _audit(uow_factory, case) == [
        ("case.assign", boss, {"from": None, "to": world.staff["pekerja_a"]}),
        ("case.reassign", boss, {"from": world.staff["pekerja_a"], "to": world.staff["pekerja_a2"]})]
    # never to someone of another agency, a role that does not work cases, or nobody; nothing saved
    for assignee in (str(world.staff["pekerja_c"]), str(world.staff["polisi"]), str(world.staff["analis"]),
                     "", "abc", "999999"):
        with pytest.raises(Invalid):
            _assign(uow_factory, world, "penyelia_a", case, assignee)
    assert _assigned(uow_factory, case) == world.staff["pekerja_a2"]


def test_another_agency_cannot_assign_and_a_closed_case_stays_as_it_is(uow_factory, world):
    case = open_case(uow_factory, world, assigned=None)
    for who in ("pekerja_c", "penyelia_b", "pekerja_b"):
        with pytest.raises(NotFound):
            _assign(uow_factory, world, who, case, "me")
    closed = open_case(uow_factory, world, assigned=None, closed_after=timedelta(0))
    with uow_factory() as uow:
        uow.session.scalar(select(Case).where(Case.public_id == closed)).stage = "closed"
        uow.commit()
    with pytest.raises(Conflict):
        _assign(uow_factory, world, "penyelia_a", closed, str(world.staff["pekerja_a"]))
    assert _assigned(uow_factory, case) is None and _audit(uow_factory, case) == []


def test_the_caseload_views_mine_unassigned_and_the_agencys(uow_factory, world):
    mine = open_case(uow_factory, world, assigned="pekerja_a")
    theirs = open_case(uow_factory, world, assigned="pekerja_a2")
    nobody = open_case(uow_factory, world, assigned=None)
    elsewhere = open_case(uow_factory, world, agency="uptd-ppa-33", assigned=None)

    def listed(who, view):
        with uow_factory() as uow:
            return {r.public_id for r in caseload.caseload(uow=uow, actor=world.actor(who), view=view)}

    assert listed("pekerja_a", "mine") == {mine}
    assert listed("pekerja_a", "unassigned") == {nobody}
    assert listed("pekerja_a", "agency") == {mine, theirs, nobody}
    assert listed("penyelia_a", "unassigned") == {nobody}
    assert listed("pekerja_c", "unassigned") == {elsewhere}
    with uow_factory() as uow:
        rows = {r.public_id: r.assigned_to for r in caseload.caseload(uow=uow, actor=world.actor("pekerja_a"))}
        names = dict(uow.session.execute(select(Case.public_id, Case.assigned_to)).all())
    assert rows[nobody] is None and rows[mine] and names[mine] == world.staff["pekerja_a"]
