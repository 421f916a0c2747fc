"""The case core on SQLite and PostgreSQL (docs/cases.md): opening (decision, automatic, walk-in), routing,
consent (withdrawal hides the statement at once, guardian consent below the configured age), the statement told
once, the workflow and its deadlines with an injected clock, the caseload's order and the agency filter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from case_helpers import actor, make_agency, make_agency_user
from helpers import make_user
from sqlalchemy import select

from safe4c.cases import caseload, cases, consent, statements, workflow
from safe4c.cases.rules.consent import ConsentInput
from safe4c.db.cases import Case, CaseStep
from safe4c.db.linking import Referral
from safe4c.db.tables import AuditEntry, Report
from safe4c.kernel.errors import Conflict, Forbidden, Invalid, NotFound
from safe4c.reports import intake
from safe4c.reports.rules.report import parse_report
from safe4c.workspace import decisions
from safe4c.worker import Worker

REASON = "Anak perlu pendampingan segera."
STORY = "Saya dikirimi pesan yang membuat saya takut."


@pytest.fixture
def world(uow_factory):
    a = make_agency(uow_factory, "uptd-ppa-3273", region="32.73", name="UPTD PPA Kota Bandung")
    a_province = make_agency(uow_factory, "uptd-ppa-32", region="32", name="UPTD PPA Jawa Barat")
    b = make_agency(uow_factory, "uptd-ppa-35", region="35", name="UPTD PPA Jawa Timur")
    hotline = make_agency(uow_factory, "sapa-129", agency_type="hotline", region="ID", name="SAPA 129")
    health = make_agency(uow_factory, "rs-32", agency_type="health", region="32", name="RS Contoh")
    people = {
        "worker_a": make_agency_user(uow_factory, "pekerja.a", "case_worker", a),
        "worker_b": make_agency_user(uow_factory, "pekerja.b", "case_worker", b),
        "supervisor_a": make_agency_user(uow_factory, "penyelia.a", "supervisor", a),
        "supervisor_b": make_agency_user(uow_factory, "penyelia.b", "supervisor", b),
        "health": make_agency_user(uow_factory, "dokter", "case_worker", health),
        "admin": make_user(uow_factory, "admin", "admin"),
        "analyst": make_user(uow_factory, "analis", "analyst"),
    }
    return {"agencies": {"a": a, "a_province": a_province, "b": b, "hotline": hotline, "health": health},
            "ids": people, "actors": {k: actor(uow_factory, v) for k, v in people.items()}}


def _walk_in(uow_factory, who, **over) -> str:
    fields = dict(origin="walk_in", priority="P1", age_band="13_15", gender="girl", region_code="32.73",
                  contact_method="phone", contact_value="0812-0000-1111") | over
    with uow_factory() as uow:
        return cases.open_walk_in(uow=uow, actor=who, **fields)


def _submit(uow_factory, **fields) -> str:
    data = {"situations": ["sextortion"], "story": STORY} | fields
    with uow_factory() as uow:
        return intake.submit_report(uow=uow, report=parse_report(data), channel="web", language="id").report_id


def _case(uow_factory, public_id) -> Case:
    with uow_factory() as uow:
        row = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        uow.session.expunge(row)
        return row


def _consent(**over) -> ConsentInput:
    values = dict(child_assent=True, guardian_consent=True, services=True, share_statement=True, police=False,
                  statistics=True, share_with=("type:health",)) | over
    return ConsentInput(**values)


def test_a_report_with_consent_to_services_opens_a_case_at_the_regency_uptd_ppa(uow_factory, world, clock):
    report = _submit(uow_factory, consent_services=True, province_code="32", regency_code="32.73",
                     contact_method="whatsapp", contact_value="0812-3456-7890", age_band="13_15")
    province_only = _submit(uow_factory, consent_services=True, province_code="32", regency_code="32.01")
    nowhere = _submit(uow_factory, consent_services=True)
    without = _submit(uow_factory, consent_services=False, province_code="32")
    worker = Worker(uow_factory)
    while worker.run_once():
        pass
    with uow_factory() as uow:
        by_report = {uow.session.scalar(select(Report.public_id).where(Report.id == c.report_id)): c
                     for c in uow.session.scalars(select(Case))}
        assert set(by_report) == {report, province_only, nowhere}  # no consent, no case
        case = by_report[report]
        assert case.agency_id == world["agencies"]["a"] and case.origin == "auto" and case.opened_by is None
        assert by_report[province_only].agency_id == world["agencies"]["a_province"]
        assert by_report[nowhere].agency_id == world["agencies"]["hotline"]
        # the contact moved with the case, sealed under the case's own context
        assert uow.ctx.sealer.open(case.contact_sealed, context="case.contact") == "0812-3456-7890"
        assert case.first_contact_due_at == case.opened_at + timedelta(hours=
                                                                       uow.settings.case_first_contact_hours[case.priority])
        kinds = {s.kind for s in uow.session.scalars(select(CaseStep).where(CaseStep.case_id == case.id))}
        assert kinds == {"first_contact", "assessment"}
    worker.run_once()  # a second run of the same job opens nothing more
    with uow_factory() as uow:
        assert len(list(uow.session.scalars(select(Case)))) == 3
    assert without


def test_the_analysts_decision_opens_a_case_and_takes_up_the_waiting_referral(uow_factory, world):
    report = _submit(uow_factory, consent_services=False, province_code="35", regency_code="35.78")
    analyst = world["ids"]["analyst"]
    with uow_factory() as uow:
        decisions.decide(uow=uow, kind="refer_child", where=decisions.scope(uow, report_public_id=report),
                         actor_id=analyst, reason=REASON)
    with uow_factory() as uow:
        outcome = decisions.decide(uow=uow, kind="open_case", where=decisions.scope(uow, report_public_id=report),
                                   actor_id=analyst, reason=REASON)
    assert outcome.detail == {"cases": 1, "already_open": 0}
    with uow_factory() as uow:
        case = uow.session.scalar(select(Case))
        assert case.agency_id == world["agencies"]["b"] and case.origin == "report" and case.opened_by == analyst
        assert uow.session.scalar(select(Referral.status).where(Referral.kind == "child_help")) == "handed_over"
        again = decisions.decide(uow=uow, kind="open_case", where=decisions.scope(uow, report_public_id=report),
                                 actor_id=analyst, reason=REASON)
    assert again.detail == {"cases": 0, "already_open": 1}


def test_a_walk_in_is_refused_with_every_problem_and_nothing_saved(uow_factory, world):
    worker = world["actors"]["worker_a"]
    with pytest.raises(Invalid) as refused:
        _walk_in(uow_factory, worker, origin="email", priority="P9", region_code="99.99", contact_value="")
    assert {f.field for f in refused.value.fields} == {"origin", "priority", "region_code", "contact_value"}
    with uow_factory() as uow:
        assert uow.session.scalar(select(Case.id)) is None
    public_id = _walk_in(uow_factory, worker)
    case = _case(uow_factory, public_id)
    assert case.agency_id == world["agencies"]["a"] and case.assigned_to == world["ids"]["worker_a"]


def test_another_agency_never_reaches_a_case_one_by_one_or_in_a_list(uow_factory, world):
    a_case = _walk_in(uow_factory, world["actors"]["worker_a"])
    b_case = _walk_in(uow_factory, world["actors"]["worker_b"], region_code="35")
    actors = world["actors"]
    with uow_factory() as uow:
        listed = {name: {r.public_id for r in caseload.caseload(uow=uow, actor=actors[name])}
                  for name in ("worker_a", "worker_b", "supervisor_a", "supervisor_b", "admin", "health")}
    assert listed["worker_a"] == listed["supervisor_a"] == {a_case}
    assert listed["worker_b"] == listed["supervisor_b"] == {b_case}
    assert listed["admin"] == {a_case, b_case} and listed["health"] == set()
    with uow_factory() as uow:
        with pytest.raises(NotFound):
            caseload.view_case(uow=uow, actor=actors["worker_b"], public_id=a_case)
    with uow_factory() as uow:
        with pytest.raises(NotFound):
            statements.record_statement(uow=uow, actor=actors["supervisor_b"], case_public_id=a_case, body=STORY,
                                        language="id")
    with uow_factory() as uow:  # an administrator sees the case, never the statement
        assert caseload.view_case(uow=uow, actor=actors["admin"], public_id=a_case).row.public_id == a_case
    with uow_factory() as uow:
        with pytest.raises(Forbidden):
            statements.read_statement(uow=uow, actor=actors["admin"], case_public_id=a_case)


def test_the_statement_is_told_once_and_a_second_needs_a_reason(uow_factory, world):
    worker = world["actors"]["worker_a"]
    public_id = _walk_in(uow_factory, worker)
    with uow_factory() as uow:
        assert statements.record_statement(uow=uow, actor=worker, case_public_id=public_id, body=STORY,
                                           language="id") == 1
    with uow_factory() as uow:
        with pytest.raises(Invalid) as refused:
            statements.record_statement(uow=uow, actor=worker, case_public_id=public_id, body="Cerita kedua.",
                                        language="id")
    assert [f.field for f in refused.value.fields] == ["reason"]
    with uow_factory() as uow:
        assert statements.record_statement(uow=uow, actor=worker, case_public_id=public_id, body="Cerita kedua.",
                                           language="id", reason="Polisi meminta keterangan resmi.") == 2
    with uow_factory() as uow:
        statements.add_note(uow=uow, actor=worker, case_public_id=public_id, body="Anak tampak tenang.")
    with uow_factory() as uow:
        reading = statements.read_statement(uow=uow, actor=worker, case_public_id=public_id)
        assert [s.body for s in reading.statements] == [STORY, "Cerita kedua."]
        assert reading.statements[1].reason == "Polisi meminta keterangan resmi."
        assert [n.body for n in reading.notes] == ["Anak tampak tenang."]
        assert statements.count(uow, _case(uow_factory, public_id).id) == 2
        audited = list(uow.session.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == public_id)))
    assert audited.count("case.statement.record") == 2 and "case.statement.read" in audited
    assert all(STORY not in str(e) for e in audited)


def _refer(uow_factory, case_public_id, agency_id, kind="services"):
    """A live referral row, as h10c's referrals.py writes it."""
    import uuid

    from safe4c.db.cases import CaseReferral

    with uow_factory() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == case_public_id))
        uow.session.add(CaseReferral(public_id=str(uuid.uuid4()), case_id=case.id, kind=kind, to_agency_id=agency_id,
                                     to_organization_id=None, service_type="health", shares_statement=True,
                                     status="sent", sent_by=case.opened_by, sent_at=uow.now(), respond_by=None,
                                     responded_at=None, responded_by=None, delivered_at=None, services_delivered=[],
                                     reason_sealed=None, evidence_referral_id=None))
        uow.commit()


def test_withdrawing_consent_hides_the_statement_from_a_referred_agency_at_once(uow_factory, world):
    worker, health = world["actors"]["worker_a"], world["actors"]["health"]
    public_id = _walk_in(uow_factory, worker)
    with uow_factory() as uow:
        statements.record_statement(uow=uow, actor=worker, case_public_id=public_id, body=STORY, language="id")
    _refer(uow_factory, public_id, world["agencies"]["health"])
    with uow_factory() as uow:  # referred, but no consent yet: the case, not the statement
        assert caseload.view_case(uow=uow, actor=health, public_id=public_id).statement_readable is False
    with uow_factory() as uow:
        with pytest.raises(Forbidden):
            statements.read_statement(uow=uow, actor=health, case_public_id=public_id)
    with uow_factory() as uow:
        consent.record_consent(uow=uow, actor=worker, case_public_id=public_id, given=_consent())
    with uow_factory() as uow:
        assert statements.read_statement(uow=uow, actor=health, case_public_id=public_id).statements[0].body == STORY
    with uow_factory() as uow:
        assert consent.withdraw_consent(uow=uow, actor=worker, case_public_id=public_id, reason="Anak berubah pikiran.") == 1
    with uow_factory() as uow:
        with pytest.raises(Forbidden):
            statements.read_statement(uow=uow, actor=health, case_public_id=public_id)
    with uow_factory() as uow:  # the lead agency keeps the record it took
        assert statements.read_statement(uow=uow, actor=worker, case_public_id=public_id).statements
    with uow_factory() as uow:  # a referred agency may add notes, never change the consent
        with pytest.raises(Forbidden):
            consent.record_consent(uow=uow, actor=health, case_public_id=public_id, given=_consent())


def test_withholding_the_statement_from_an_agency_type(uow_factory, world):
    worker, health = world["actors"]["worker_a"], world["actors"]["health"]
    public_id = _walk_in(uow_factory, worker)
    with uow_factory() as uow:
        statements.record_statement(uow=uow, actor=worker, case_public_id=public_id, body=STORY, language="id")
    _refer(uow_factory, public_id, world["agencies"]["health"])
    with uow_factory() as uow:
        with pytest.raises(Invalid) as refused:
            consent.record_consent(uow=uow, actor=worker, case_public_id=public_id,
                                   given=_consent(withheld=(("rs-32", "statement"),)))
    assert [f.field for f in refused.value.fields] == ["withheld_reason"]
    with uow_factory() as uow:
        consent.record_consent(uow=uow, actor=worker, case_public_id=public_id,
                               given=_consent(withheld=(("rs-32", "statement"),), withheld_reason="Permintaan anak."))
    with uow_factory() as uow:
        with pytest.raises(Forbidden):
            statements.read_statement(uow=uow, actor=health, case_public_id=public_id)


def test_a_guardians_consent_is_needed_below_the_configured_age(uow_factory, world, settings):
    worker = world["actors"]["worker_a"]
    younger = _walk_in(uow_factory, worker, age_band="13_15")
    older = _walk_in(uow_factory, worker, age_band="16_17")
    for public_id in (younger, older):
        with uow_factory() as uow:
            with pytest.raises(Invalid) as refused:
                consent.record_consent(uow=uow, actor=worker, case_public_id=public_id,
                                       given=_consent(guardian_consent=False))
        assert [f.field for f in refused.value.fields] == ["guardian_consent"]
    settings.case_guardian_consent_below_age = 16  # the same rule, configured lower
    with uow_factory() as uow:
        consent.record_consent(uow=uow, actor=worker, case_public_id=older, given=_consent(guardian_consent=False))
    with uow_factory() as uow:
        with pytest.raises(Invalid):
            consent.record_consent(uow=uow, actor=worker, case_public_id=younger, given=_consent(guardian_consent=False))
    with uow_factory() as uow:  # a legal basis instead of consent: TPKS Art. 14(3)
        consent.record_consent(uow=uow, actor=worker, case_public_id=younger,
                               given=_consent(child_assent=False, guardian_consent=False, legal_basis="tpks_14_3"))


def test_the_workflow_with_its_deadlines_on_an_injected_clock(uow_factory, world, clock):
    worker, supervisor = world["actors"]["worker_a"], world["actors"]["supervisor_a"]
    opened = clock.now()
    public_id = _walk_in(uow_factory, worker, priority="P1")
    assert _case(uow_factory, public_id).first_contact_due_at == opened + timedelta(hours=24)

    def steps():
        case_id = _case(uow_factory, public_id).id
        with uow_factory() as uow:
            found = {s.kind: s for s in uow.session.scalars(select(CaseStep).where(
                CaseStep.case_id == case_id).order_by(CaseStep.id))}
            uow.session.expunge_all()
            return found

    clock.advance(hours=25)
    with uow_factory() as uow:
        row = caseload.caseload(uow=uow, actor=worker)[0]
    assert row.first_contact_overdue and [s.kind for s in row.overdue] == ["first_contact"]
    with uow_factory() as uow:
        assert workflow.complete_step(uow=uow, actor=worker, case_public_id=public_id,
                                      step_id=steps()["first_contact"].id) == "assessment"
    assert _case(uow_factory, public_id).first_contact_at == opened + timedelta(hours=25)
    with uow_factory() as uow:
        with pytest.raises(Invalid):  # an assessment says whether the child is safe now
            workflow.complete_step(uow=uow, actor=worker, case_public_id=public_id, step_id=steps()["assessment"].id,
                                   risks=["offender_has_access"])
    with uow_factory() as uow:
        assert workflow.complete_step(uow=uow, actor=worker, case_public_id=public_id,
                                      step_id=steps()["assessment"].id, risks=["offender_has_access"],
                                      needs=["psychosocial"], safety="at_risk", note="Perlu konseling.") == "case_plan"
    plan = steps()["case_plan"]
    assert plan.due_at == clock.now() + timedelta(days=7)
    with uow_factory() as uow:
        with pytest.raises(Conflict):  # not before the plan
            workflow.request_closure(uow=uow, actor=worker, case_public_id=public_id, note="Selesai.")
    with uow_factory() as uow:
        assert workflow.complete_step(uow=uow, actor=worker, case_public_id=public_id, step_id=plan.id,
                                      needs=["psychosocial"]) == "services"
    follow_up = steps()["follow_up"]
    assert follow_up.status == "open" and follow_up.due_at == clock.now() + timedelta(days=30)
    clock.advance(days=31)
    with uow_factory() as uow:
        assert [s.kind for s in caseload.caseload(uow=uow, actor=worker)[0].overdue] == ["follow_up"]
        workflow.complete_step(uow=uow, actor=worker, case_public_id=public_id, step_id=follow_up.id)
    with uow_factory() as uow:
        workflow.request_closure(uow=uow, actor=worker, case_public_id=public_id, note="Layanan selesai.")
    with uow_factory() as uow:
        with pytest.raises(Forbidden):  # a case worker does not approve
            workflow.decide_closure(uow=uow, actor=worker, case_public_id=public_id, approve=True)
    with uow_factory() as uow:
        with pytest.raises(NotFound):  # another agency's supervisor does not even see it
            workflow.decide_closure(uow=uow, actor=world["actors"]["supervisor_b"], case_public_id=public_id,
                                    approve=True)
    with uow_factory() as uow:
        with pytest.raises(Invalid):  # returning needs a reason
            workflow.decide_closure(uow=uow, actor=supervisor, case_public_id=public_id, approve=False)
    with uow_factory() as uow:
        assert workflow.decide_closure(uow=uow, actor=supervisor, case_public_id=public_id, approve=True) == "closed"
    case = _case(uow_factory, public_id)
    assert case.closed_by == world["ids"]["supervisor_a"] and case.closed_at == clock.now()
    with uow_factory() as uow:
        review = uow.session.scalar(select(CaseStep).where(CaseStep.case_id == case.id, CaseStep.kind == "closure"))
        assert (review.status, review.done_by, review.detail) == ("done", world["ids"]["supervisor_a"], {"approved": True})
        assert not list(uow.session.scalars(select(CaseStep).where(CaseStep.case_id == case.id,
                                                                  CaseStep.status == "open")))
    with uow_factory() as uow:
        assert caseload.caseload(uow=uow, actor=worker) == []
        assert [r.public_id for r in caseload.caseload(uow=uow, actor=worker, closed=True)] == [public_id]


def test_the_caseload_puts_the_most_urgent_first(uow_factory, world, clock):
    worker = world["actors"]["worker_a"]
    calm = _walk_in(uow_factory, worker, priority="P4")
    clock.advance(hours=1)
    p2 = _walk_in(uow_factory, worker, priority="P2")
    p1 = _walk_in(uow_factory, worker, priority="P1")
    with uow_factory() as uow:
        assert [r.public_id for r in caseload.caseload(uow=uow, actor=worker)] == [p1, p2, calm]
    clock.advance(hours=48, minutes=30)  # P1's and P2's first contacts are overdue; P4's (120 h) not yet
    with uow_factory() as uow:
        rows = caseload.caseload(uow=uow, actor=worker)
    assert [r.public_id for r in rows] == [p1, p2, calm]
    assert [r.first_contact_overdue for r in rows] == [True, True, False]
    with uow_factory() as uow:
        step = uow.session.scalar(select(CaseStep.id).where(CaseStep.case_id == _case(uow_factory, p1).id,
                                                            CaseStep.kind == "first_contact"))
        workflow.complete_step(uow=uow, actor=worker, case_public_id=p1, step_id=step)
    with uow_factory() as uow:  # contacted: P1 drops behind P2, whose first contact is still overdue
        assert [r.public_id for r in caseload.caseload(uow=uow, actor=worker)][:2] == [p2, p1]


def test_the_analyst_sees_that_a_case_exists_and_its_stage_never_its_statement(client, uow_factory, world):
    from helpers import sign_in

    report = _submit(uow_factory, consent_services=True, province_code="32", regency_code="32.73")
    Worker(uow_factory).run_once()
    worker = world["actors"]["worker_a"]
    with uow_factory() as uow:
        case_id = uow.session.scalar(select(Case.public_id))
        statements.record_statement(uow=uow, actor=worker, case_public_id=case_id, body="Kisah yang dirahasiakan.",
                                    language="id")
    with uow_factory() as uow:
        statements.add_note(uow=uow, actor=worker, case_public_id=case_id, body="Catatan sensitif pekerja.")
    sign_in(client, "analis")
    page = client.get(f"/staff/reports/{report}?lang=en").text
    assert "Led by UPTD PPA Kota Bandung; stage: Registration" in page
    assert "Kisah yang dirahasiakan." not in page and "Catatan sensitif pekerja." not in page
    assert client.get(f"/staff/cases/{case_id}", follow_redirects=False).status_code == 403
    assert client.post(f"/staff/cases/{case_id}/statement/read", follow_redirects=False).status_code == 403
