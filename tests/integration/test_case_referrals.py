"""Referrals of a case (cases/referrals.py, referral_views.py): only what consent allows, withdrawal at once,
answers with reasons, deadlines and reminders through the worker, the police referral with its package and
chain of custody. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from case_world import STORY, build, open_case, submit, withdraw_consent
from sqlalchemy import select

from safe4c.cases import referral_views as views
from safe4c.cases import referrals, statements
from safe4c.cases.referrals import ReferralInput
from safe4c.db.cases import CaseReferral
from safe4c.db.linking import Referral
from safe4c.db.tables import AuditEntry, Job
from safe4c.kernel.errors import Conflict, Forbidden, Invalid, NotFound
from safe4c.worker import Worker
from safe4c.workspace import decisions

REASON = "Anak membutuhkan pendampingan psikologis setelah ancaman."


def _send(uow_factory, world, case_id, *, to="psy-31", kind="services", service="psychosocial_support",
          who="pekerja_a") -> str:
    with uow_factory() as uow:
        return referrals.send(uow=uow, actor=world.actor(who), case_public_id=case_id,
                              data=ReferralInput(kind=kind, to_agency_id=world.agencies[to], service_type=service,
                                                 reason=REASON))


def _detail(uow_factory, world, referral_id, who="pekerja_b"):
    with uow_factory() as uow:
        return views.detail(uow=uow, actor=world.actor(who), referral_id=referral_id)


def _audits(uow_factory, action):
    with uow_factory() as uow:
        return list(uow.session.execute(select(AuditEntry.subject_type, AuditEntry.subject_id, AuditEntry.actor_id)
                                        .where(AuditEntry.action == action)).all())


@pytest.fixture
def world(uow_factory):
    return build(uow_factory)


def test_a_referral_without_consent_to_share_carries_no_statement(uow_factory, world):
    case = open_case(uow_factory, world, consent={"share_statement": False, "share_with": ["type:psychosocial"]})
    referral = _send(uow_factory, world, case)
    seen = _detail(uow_factory, world, referral)
    assert not seen.summary.shares_statement and seen.statements == [] and seen.statement_withheld
    assert _audits(uow_factory, "case.statement.read") == []
    # the refused read is audited as on the case's page: the case, by the receiver
    assert _audits(uow_factory, "case.statement.refused") == [("case", case, world.staff["pekerja_b"])]
    # consent to share, but naming another agency: still nothing
    other = open_case(uow_factory, world, consent={"share_statement": True, "share_with": ["type:health"]})
    assert _detail(uow_factory, world, _send(uow_factory, world, other)).statements == []
    # consent to share that names the receiver, with the statement withheld from it: nothing
    withheld = open_case(uow_factory, world, consent={"share_statement": True, "share_with": ["psy-31"],
                                                      "withheld": [{"from": "psy-31", "what": "statement"}]})
    assert _detail(uow_factory, world, _send(uow_factory, world, withheld)).statements == []


def test_withdrawal_after_sending_hides_the_statement_from_the_receiver_at_once(uow_factory, world):
    case = open_case(uow_factory, world, consent={"share_statement": True, "share_with": ["type:psychosocial"]})
    referral = _send(uow_factory, world, case)
    seen = _detail(uow_factory, world, referral)
    assert seen.summary.shares_statement and [s.body for s in seen.statements] == [STORY]
    reads = _audits(uow_factory, "case.statement.read")
    assert len(reads) == 1 and reads[0][2] == world.staff["pekerja_b"]
    withdraw_consent(uow_factory, world, case)
    after = _detail(uow_factory, world, referral)
    assert after.statements == [] and after.statement_withheld
    assert len(_audits(uow_factory, "case.statement.refused")) == 1
    assert len(_audits(uow_factory, "case.statement.read")) == 1


def test_no_referral_without_consent_to_services_and_nothing_is_saved(uow_factory, world):
    for consent in ({"services": False}, {}):
        case = open_case(uow_factory, world, consent=consent)
        with pytest.raises(Invalid) as refused:
            _send(uow_factory, world, case)
        assert refused.value.fields[0].field == "kind"
    withdrawn = open_case(uow_factory, world)
    withdraw_consent(uow_factory, world, withdrawn)
    with pytest.raises(Invalid):
        _send(uow_factory, world, withdrawn)
    with uow_factory() as uow:
        assert uow.session.scalar(select(CaseReferral.id)) is None
        assert uow.session.scalar(select(Job.id).where(Job.kind == referrals.CHECK_JOB)) is None


def test_decline_needs_a_reason_then_the_sender_reads_it(uow_factory, world):
    referral = _send(uow_factory, world, open_case(uow_factory, world))
    for blank in ("", "   "):
        with uow_factory() as uow, pytest.raises(Invalid) as refused:
            referrals.decline(uow=uow, actor=world.actor("pekerja_b"), referral_id=referral, reason=blank)
        assert refused.value.fields[0].field == "reason"
    assert _detail(uow_factory, world, referral).summary.status == "sent"
    with uow_factory() as uow:
        referrals.decline(uow=uow, actor=world.actor("pekerja_b"), referral_id=referral,
                          reason="Kuota konseling bulan ini penuh; coba layanan lain.")
    seen = _detail(uow_factory, world, referral, who="pekerja_a")
    assert seen.summary.status == "declined" and seen.decline_reason.startswith("Kuota konseling")
    with uow_factory() as uow, pytest.raises(Conflict):
        referrals.accept(uow=uow, actor=world.actor("pekerja_b"), referral_id=referral)


def test_accept_then_services_delivered_only_by_the_receiving_agency(uow_factory, world):
    referral = _send(uow_factory, world, open_case(uow_factory, world))
    with uow_factory() as uow, pytest.raises(Conflict):
        referrals.deliver(uow=uow, actor=world.actor("pekerja_b"), referral_id=referral,
                          services=["psychosocial_support"])
    with uow_factory() as uow, pytest.raises(Forbidden):  # the sender sees it but does not answer for a provider
        referrals.accept(uow=uow, actor=world.actor("pekerja_a"), referral_id=referral)
    with uow_factory() as uow, pytest.raises(NotFound):  # another agency does not even see it
        referrals.accept(uow=uow, actor=world.actor("pekerja_c"), referral_id=referral)
    with uow_factory() as uow:
        referrals.accept(uow=uow, actor=world.actor("penyelia_b"), referral_id=referral)
    with uow_factory() as uow, pytest.raises(Invalid):
        referrals.deliver(uow=uow, actor=world.actor("pekerja_b"), referral_id=referral, services=["massage"])
    with uow_factory() as uow:
        referrals.deliver(uow=uow, actor=world.actor("pekerja_b"), referral_id=referral,
                          services=["psychosocial_support", "accompaniment"])
    seen = _detail(uow_factory, world, referral, who="pekerja_a")
    assert seen.summary.status == "delivered"
    assert seen.services_delivered == ["accompaniment", "psychosocial_support"]
    assert [a[0] for a in _audits(uow_factory, "case.referral.deliver")] == ["case_referral"]


def test_only_the_lead_agency_refers_and_only_what_it_may_see(uow_factory, world):
    case = open_case(uow_factory, world)
    with pytest.raises(NotFound):
        _send(uow_factory, world, case, who="pekerja_c")
    _send(uow_factory, world, case)
    with pytest.raises(Forbidden):  # the receiver sees the case now, but does not lead it
        _send(uow_factory, world, case, who="pekerja_b", to="uptd-ppa-33", service="temporary_shelter")
    with uow_factory() as uow:
        assert len(views.for_case(uow=uow, actor=world.actor("pekerja_b"), case_public_id=case).referrals) == 1
        assert views.inbox(uow=uow, actor=world.actor("pekerja_c")) == []
        assert [s.incoming for s in views.inbox(uow=uow, actor=world.actor("pekerja_b"))] == [True]
        assert [s.incoming for s in views.inbox(uow=uow, actor=world.actor("penyelia_a"))] == [False]


def test_suggested_providers_serve_the_childs_region(uow_factory, world):
    from safe4c.directory import seed as directory_seed

    with uow_factory() as uow:
        directory_seed.seed(uow=uow)
    case = open_case(uow_factory, world)  # region 32.73 (Kota Bandung)
    with uow_factory() as uow:
        data = views.for_case(uow=uow, actor=world.actor("pekerja_a"), case_public_id=case)
    assert {p.name for p in data.agencies} == {"UPTD PPA Provinsi Jawa Barat (contoh)", "Unit PPA Polda Jawa Barat (contoh)"}
    assert data.organizations, "the seeded directory has providers serving West Java or all Indonesia"
    with uow_factory() as uow:
        from safe4c.db.directory import DirectoryServiceArea
        areas = {o.id: set(uow.session.scalars(select(DirectoryServiceArea.region_code)
                                               .where(DirectoryServiceArea.organization_id == o.id)))
                 for o in data.organizations}
    assert all(any(a in ("ID", "32", "32.73") for a in found) for found in areas.values())


def test_respond_by_reminder_and_overdue_through_the_worker(uow_factory, world, clock, settings):
    referral = _send(uow_factory, world, open_case(uow_factory, world))
    worker = Worker(uow_factory)

    def run():
        while worker.run_once():
            pass

    def marks():
        with uow_factory() as uow:
            row = uow.session.scalar(select(CaseReferral).where(CaseReferral.public_id == referral))
            return row.reminded_at, row.overdue_at, row.respond_by

    sent_at = clock.now()
    run()
    assert marks()[:2] == (None, None)
    assert marks()[2] == sent_at + __import__("datetime").timedelta(hours=settings.case_referral_respond_hours)
    clock.advance(hours=settings.case_referral_respond_hours - settings.case_referral_reminder_hours - 1)
    run()
    assert marks()[:2] == (None, None)
    clock.advance(hours=1)
    run()
    reminded, overdue, _ = marks()
    assert reminded == clock.now() and overdue is None
    assert _detail(uow_factory, world, referral).summary.reminded
    clock.advance(hours=settings.case_referral_reminder_hours)
    run()
    assert marks()[1] == clock.now()
    assert _detail(uow_factory, world, referral).summary.overdue
    assert len(_audits(uow_factory, "case.referral.remind")) == 1
    assert len(_audits(uow_factory, "case.referral.overdue")) == 1
    clock.advance(days=5)
    run()
    with uow_factory() as uow:  # nothing left to check: no job waits for this referral
        assert uow.session.scalar(select(Job.id).where(Job.kind == referrals.CHECK_JOB, Job.done_at.is_(None))) is None


def test_an_answered_referral_is_neither_reminded_nor_overdue(uow_factory, world, clock, settings):
    referral = _send(uow_factory, world, open_case(uow_factory, world))
    with uow_factory() as uow:
        referrals.accept(uow=uow, actor=world.actor("pekerja_b"), referral_id=referral)
    clock.advance(hours=settings.case_referral_respond_hours + 1)
    worker = Worker(uow_factory)
    while worker.run_once():
        pass
    seen = _detail(uow_factory, world, referral)
    assert not seen.summary.reminded and not seen.summary.overdue
    assert _audits(uow_factory, "case.referral.remind") == []


def test_police_referral_hands_over_the_evidence_package_with_its_chain_of_custody(uow_factory, world):
    report_id, report_public_id, _ = submit(uow_factory)
    with uow_factory() as uow:
        decisions.decide(uow=uow, kind="refer_police", where=decisions.scope(uow, report_public_id=report_public_id),
                         actor_id=world.staff["analis"], reason="Pemerasan seksual terhadap anak: rujuk ke polisi.")
    with uow_factory() as uow:
        package_row = uow.session.scalar(select(Referral).where(Referral.kind == "police"))
        package_id, sha = package_row.public_id, package_row.package_sha256
    # no consent to report and consent as the only basis: refused (a case of another report: a report has one case)
    other_report_id, _, _ = submit(uow_factory)
    refused_case = open_case(uow_factory, world, report_id=other_report_id, consent={"police": False})
    with pytest.raises(Invalid):
        _send(uow_factory, world, refused_case, to="polda-32", kind="police")
    # a police unit only
    case = open_case(uow_factory, world, report_id=report_id,
                     consent={"police": False, "legal_basis": "tpks_14_3"})
    with pytest.raises(Invalid):
        _send(uow_factory, world, case, to="psy-31", kind="police")
    with pytest.raises(Invalid):  # and services never go to a police unit
        _send(uow_factory, world, case, to="polda-32", kind="services")
    referral = _send(uow_factory, world, case, to="polda-32", kind="police")
    withdraw_consent(uow_factory, world, case)  # the legal basis stays: the liaison still sees the referral
    seen = _detail(uow_factory, world, referral, who="polisi")
    assert seen.package_sha256 == sha and seen.has_package and seen.can_open_package and seen.can_respond
    assert seen.statements == []  # the police get the package; the statement only with consent to share
    with uow_factory() as uow:
        assert uow.session.scalar(select(Referral.status).where(Referral.public_id == package_id)) == "handed_over"
        package = views.package(uow=uow, actor=world.actor("polisi"), referral_id=referral)
    assert package["integrity"]["sha256"] == sha
    handover = _audits(uow_factory, "referral.handover")
    assert handover == [("referral", package_id, world.staff["pekerja_a"])]
    opened = _audits(uow_factory, "case.referral.package")
    assert {(t, s) for t, s, _ in opened} == {("case_referral", referral), ("referral", package_id)}
    custody = _detail(uow_factory, world, referral, who="polisi").custody
    actions = [e["action"] for e in custody]
    assert actions[:3] == ["referral.create", "case.referral.send", "referral.handover"]
    assert "case.referral.package" in actions and all(e["sha256"] in (None, sha) for e in custody)
    # nobody else opens the package: not the sending case worker, not another agency
    # (the sender sees the referral but may not open it: 403; another agency does not even see it: 404)
    for who, refused in (("pekerja_a", Forbidden), ("pekerja_b", NotFound)):
        with uow_factory() as uow, pytest.raises(refused):
            views.package(uow=uow, actor=world.actor(who), referral_id=referral)
    with uow_factory() as uow:
        referrals.accept(uow=uow, actor=world.actor("polisi"), referral_id=referral)


def test_a_walk_in_police_referral_says_there_is_no_package(uow_factory, world):
    case = open_case(uow_factory, world, consent={"police": True})
    referral = _send(uow_factory, world, case, to="polda-32", kind="police")
    seen = _detail(uow_factory, world, referral, who="polisi")
    assert not seen.has_package and not seen.can_open_package and seen.package_sha256 is None
    with uow_factory() as uow, pytest.raises(NotFound):
        views.package(uow=uow, actor=world.actor("polisi"), referral_id=referral)


def _reads_on_both_pages(uow_factory, world, case, referral, who) -> tuple[object, object]:
    """What ``who`` gets on the case page (the statement read) and on the referral's page: the statements, or the
    error's type."""
    with uow_factory() as uow:
        try:
            on_case = [s.body for s in statements.read_statement(uow=uow, actor=world.actor(who),
                                                                 case_public_id=case).statements]
        except (Forbidden, NotFound) as refused:
            on_case = type(refused)
    try:
        on_referral = [s.body for s in _detail(uow_factory, world, referral, who=who).statements]
    except NotFound as refused:
        on_referral = type(refused)
    return on_case, on_referral


def test_a_police_unit_reads_the_statement_alike_on_the_case_and_referral_pages(uow_factory, world):
    # consent to report to the police, the statement shared with nobody by name: the police unit the case is
    # referred to reads it (rules/consent.may_read_statement), on both pages
    case = open_case(uow_factory, world, consent={"police": True, "share_statement": False, "share_with": []})
    referral = _send(uow_factory, world, case, to="polda-32", kind="police")
    assert _reads_on_both_pages(uow_factory, world, case, referral, "polisi") == ([STORY], [STORY])
    assert _detail(uow_factory, world, referral, who="polisi").summary.shares_statement
    # with the consent withdrawn (no legal basis), neither page shows it
    withdraw_consent(uow_factory, world, case)
    assert _reads_on_both_pages(uow_factory, world, case, referral, "polisi") == (Forbidden, [])
    seen = _detail(uow_factory, world, referral, who="polisi")
    assert seen.statement_withheld and seen.can_respond


def test_a_withdrawn_referral_gives_the_statement_on_neither_page(uow_factory, world):
    case = open_case(uow_factory, world, consent={"share_statement": True, "share_with": ["type:psychosocial"]})
    referral = _send(uow_factory, world, case)
    assert _reads_on_both_pages(uow_factory, world, case, referral, "pekerja_b") == ([STORY], [STORY])
    with uow_factory() as uow:
        referrals.withdraw(uow=uow, actor=world.actor("pekerja_a"), referral_id=referral,
                           reason="Anak sudah dilayani penyedia lain.")
    assert _reads_on_both_pages(uow_factory, world, case, referral, "pekerja_b") == (NotFound, NotFound)
    police = open_case(uow_factory, world, consent={"police": True})
    to_police = _send(uow_factory, world, police, to="polda-32", kind="police")
    with uow_factory() as uow:
        referrals.withdraw(uow=uow, actor=world.actor("pekerja_a"), referral_id=to_police,
                           reason="Dirujuk ke unit lain.")
    assert _reads_on_both_pages(uow_factory, world, police, to_police, "polisi") == (NotFound, NotFound)
    # the lead agency still reads what it took
    assert _reads_on_both_pages(uow_factory, world, case, referral, "pekerja_a")[0] == [STORY]


def test_the_receiving_agencys_supervisor_reads_on_neither_page(uow_factory, world):
    # case.statement.read gives a supervisor their own agency's cases only: on the referral's page as on the case's
    case = open_case(uow_factory, world, consent={"share_statement": True, "share_with": ["type:psychosocial"]})
    referral = _send(uow_factory, world, case)
    on_case, on_referral = _reads_on_both_pages(uow_factory, world, case, referral, "penyelia_b")
    assert on_case is NotFound and on_referral == []
    assert _detail(uow_factory, world, referral, who="penyelia_b").statement_withheld
