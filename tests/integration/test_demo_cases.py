"""`safe4c demo`'s case management on SQLite and PostgreSQL: staff of two agencies in two regions and cases in
every state, made through the use cases (demo/cases.py), once."""

from __future__ import annotations

from helpers import PASSWORD, make_user
from sqlalchemy import func, select

from safe4c.cases import agency_seed
from safe4c.db.cases import Agency, Case, CaseConsent, CaseReferral, CaseStatement
from safe4c.db.tables import StaffUser
from safe4c.demo import cases as demo_cases
from safe4c.directory import seed as directory_seed
from safe4c.kernel import audit


def test_the_demo_has_staff_and_a_case_in_every_state(uow_factory):
    with uow_factory() as uow:
        directory_seed.seed(uow=uow)
    with uow_factory() as uow:
        agency_seed.seed(uow=uow)
    admin = make_user(uow_factory, "demo", "admin")
    made = demo_cases.load_demo_cases(uow_factory=uow_factory, password=PASSWORD, admin_id=admin)
    assert len(made.cases) == len(demo_cases.PLAN)
    assert demo_cases.load_demo_cases(uow_factory=uow_factory, password=PASSWORD, admin_id=admin) is None  # once
    with uow_factory() as uow:
        stage = dict(uow.session.execute(select(Case.public_id, Case.stage)).all())
        by_state = {state: stage[public_id] for state, public_id in made.cases.items()}
        assert by_state["registered"] == "registration" and by_state["assessed"] == "case_plan"
        assert by_state["closed"] == "closed" and by_state["follow-up"] == "follow_up"
        assert by_state["closure requested (and referred to police)"] == "closure_requested"
        assert set(stage.values()) == {"registration", "assessment", "case_plan", "services", "follow_up",
                                       "closure_requested", "closed"}
        assert set(uow.session.scalars(select(CaseReferral.status))) == {"sent", "accepted", "declined",
                                                                          "delivered"}
        assert uow.session.scalar(select(func.count()).select_from(CaseReferral)
                                  .where(CaseReferral.kind == "police")) == 1
        withdrawn_case = uow.session.scalar(select(Case.id).where(Case.public_id == made.cases["consent withdrawn"]))
        assert uow.session.scalar(select(CaseConsent.withdrawn_at).where(CaseConsent.case_id == withdrawn_case))
        seconds = uow.session.execute(select(CaseStatement.case_id, CaseStatement.reason_sealed)
                                      .where(CaseStatement.number == 2)).all()
        assert len(seconds) == 1 and seconds[0].reason_sealed is not None
        staff = {u.username: (u.role, u.agency_id) for u in uow.session.scalars(select(StaffUser))}
        regions = dict(uow.session.execute(select(Agency.id, Agency.region_code)).all())
        workers = {regions[a] for role, a in staff.values() if role == "case_worker" and a in regions}
        assert {"32.73", "53.71"} <= workers and staff["agus.polda"][0] == "police_liaison"
        assert audit.verify(uow=uow).intact
    lines = demo_cases.demo_figures(uow_factory=uow_factory, public_ids=list(made.cases.values()))
    assert lines[1].startswith("  statements per case: 1.08 (13 statements in 12 cases with one; 1 case")
    assert "report to first contact: median" in lines[2] and "over 11 cases from a report" in lines[2]
