"""Pure rules of case management (cases/rules/): routing, consent, deadlines, workflow and caseload order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from safe4c.cases.rules import caseload, consent, deadlines, routing, workflow
from safe4c.cases.rules.consent import Consent, ConsentInput, Reader

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
HOURS = {"P1": 24, "P2": 48, "P3": 72, "P4": 120}


def test_routing_looks_in_the_regency_then_the_province_then_at_the_hotline():
    assert routing.preferences(regency_code="32.73", province_code="32") == [
        ("32.73", "uptd_ppa"), ("32", "uptd_ppa"), ("ID", "hotline")]
    assert routing.preferences(regency_code="32.01", province_code=None) == [
        ("32.01", "uptd_ppa"), ("32", "uptd_ppa"), ("ID", "hotline")]  # the province from the regency
    assert routing.preferences(regency_code=None, province_code=None) == [("ID", "hotline")]


def test_the_guardian_is_needed_below_the_configured_age_counting_the_youngest_of_a_band():
    assert consent.guardian_required("16_17", 18) and consent.guardian_required("unknown", 16)
    assert not consent.guardian_required("16_17", 16) and consent.guardian_required("13_15", 16)
    assert consent.guardian_required(None, 0)  # an unknown age always asks a guardian
    given = ConsentInput(child_assent=True, guardian_consent=False, services=True, share_statement=False,
                         police=False, statistics=False)
    assert consent.problems(given, age_band="13_15", guardian_below_age=18, known_targets=set()) == [
        ("guardian_consent", consent.GUARDIAN_NEEDED)]
    by_law = ConsentInput(child_assent=False, guardian_consent=False, services=True, share_statement=False,
                          police=True, statistics=False, legal_basis="tpks_14_3")
    assert consent.problems(by_law, age_band="13_15", guardian_below_age=18, known_targets=set()) == []


def test_consent_refuses_unknown_targets_and_unexplained_withholding():
    given = ConsentInput(child_assent=True, guardian_consent=True, services=True, share_statement=True, police=False,
                         statistics=False, legal_basis="hearsay", share_with=("nowhere",),
                         withheld=(("type:health", "diary"),))
    fields = [f for f, _ in consent.problems(given, age_band="16_17", guardian_below_age=18,
                                             known_targets={"type:health"})]
    assert fields == ["legal_basis", "share_with", "withheld", "withheld_reason"]


LEAD = Reader(1, "uptd-ppa-3273", "uptd_ppa", is_lead=True)
CLINIC = Reader(2, "rs-32", "health")
POLICE = Reader(3, "polda-jabar", "police_unit", police_referral=True)


def test_who_reads_the_statement():
    shared = Consent(share_statement=True, police=False, services=True, legal_basis="consent",
                     share_with=frozenset({"type:health"}))
    assert consent.may_read_statement(None, LEAD)  # the lead agency keeps the record it took
    assert consent.may_read_statement(shared, CLINIC) and not consent.may_read_statement(None, CLINIC)
    assert not consent.may_read_statement(shared, POLICE)
    assert consent.may_read_statement(Consent(False, False, True, "tpks_14_3"), POLICE)
    assert not consent.may_read_statement(Consent(False, False, True, "child_protection_law"), POLICE)
    withheld = Consent(True, True, True, "consent", frozenset({"type:health", "rs-32"}),
                       frozenset({("rs-32", "statement")}))
    assert not consent.may_read_statement(withheld, CLINIC)
    not_sharing = Consent(False, False, True, "consent", frozenset({"type:health"}))
    assert not consent.may_read_statement(not_sharing, CLINIC)
    assert not consent.may_read_statement(shared, Reader(None))


def test_first_contact_deadline_by_priority_and_p1_for_none():
    assert deadlines.first_contact_due(T0, "P1", HOURS) == T0 + timedelta(hours=24)
    assert deadlines.first_contact_due(T0, "P4", HOURS) == T0 + timedelta(hours=120)
    assert deadlines.first_contact_due(T0, None, HOURS) == T0 + timedelta(hours=24)
    assert deadlines.step_due(T0, "assessment", {"assessment": 3}) == T0 + timedelta(days=3)
    assert deadlines.step_due(T0, "service", {"assessment": 3}) is None
    assert deadlines.is_overdue(T0, None, T0 + timedelta(seconds=1))
    assert not deadlines.is_overdue(T0, T0, T0 + timedelta(days=1)) and not deadlines.is_overdue(None, None, T0)


def test_steps_move_the_stage_forward_never_back():
    assert workflow.after_done("registration", "first_contact") == workflow.Move("assessment", None)
    assert workflow.after_done("case_plan", "first_contact") == workflow.Move("case_plan", None)
    assert workflow.after_done("assessment", "assessment") == workflow.Move("case_plan", "case_plan")
    assert workflow.after_done("case_plan", "case_plan") == workflow.Move("services", "follow_up")
    assert workflow.after_done("services", "follow_up") == workflow.Move("follow_up", None)
    assert workflow.after_done("closure_requested", "follow_up") == workflow.Move("closure_requested", None)
    assert [s for s in workflow.STAGES if workflow.can_request_closure(s)] == ["services", "follow_up"]


def test_the_caseload_order():
    def u(name, first=False, overdue=0, priority=None, due=None, opened=T0):
        return name, caseload.Urgency(first, overdue, priority, due, opened)

    items = [u("calm p1", priority="P1", due=T0 + timedelta(days=2)), u("late step p4", overdue=1, priority="P4"),
             u("late contact p3", first=True, overdue=1, priority="P3"), u("untriaged"),
             u("calm p1 sooner", priority="P1", due=T0 + timedelta(days=1)),
             u("calm p1 no due", priority="P1", opened=T0 - timedelta(days=1))]
    ordered = [name for name, urgency in sorted(items, key=lambda i: caseload.urgency_key(i[1]))]
    assert ordered == ["late contact p3", "late step p4", "calm p1 sooner", "calm p1", "calm p1 no due", "untriaged"]


def test_notes_withheld_from_an_agency_it_reads_only_its_own_and_the_lead_reads_all():
    shared = Consent(share_statement=True, police=False, services=True, legal_basis="consent",
                     share_with=frozenset({"type:health"}), withheld=frozenset({("rs-32", "notes")}))
    assert consent.may_read_statement(shared, CLINIC)  # the statement is shared; the notes are not
    assert not consent.may_read_note(shared, CLINIC, note_agency_id=LEAD.agency_id)
    assert consent.may_read_note(shared, CLINIC, note_agency_id=CLINIC.agency_id)
    assert consent.may_read_note(shared, LEAD, note_agency_id=CLINIC.agency_id)
    open_notes = Consent(share_statement=True, police=False, services=True, legal_basis="consent",
                         share_with=frozenset({"type:health"}))
    assert consent.may_read_note(open_notes, CLINIC, note_agency_id=LEAD.agency_id)
    assert not consent.may_read_note(None, CLINIC, note_agency_id=LEAD.agency_id)
    assert not consent.may_read_note(open_notes, Reader(None), note_agency_id=LEAD.agency_id)
