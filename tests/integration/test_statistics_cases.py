"""Cases in the data centre: the case rollups against a hand-computed fixture, kept current incrementally
(a referral answered, a deadline passing, a consent withdrawn), equal to a direct recount, and consent to
statistics respected. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from case_world import build, open_case, submit
from sqlalchemy import select, update

from safe4c.cases import consent as consent_use, figures as case_figures, referrals
from safe4c.cases.referrals import ReferralInput
from safe4c.db.cases import Case
from safe4c.db.statistics import StatCaseContact, StatCaseContactTime, StatCaseCount, StatCaseReferral
from safe4c.statistics import case_queries, recount, rollups


@pytest.fixture
def world(uow_factory):
    return build(uow_factory)


def _refer(uow_factory, world, case, answer=None) -> str:
    with uow_factory() as uow:
        rid = referrals.send(uow=uow, actor=world.actor("pekerja_a"), case_public_id=case,
                             data=ReferralInput(kind="services", to_agency_id=world.agencies["psy-31"],
                                                service_type="psychosocial_support", reason="Butuh konseling."))
    _answer(uow_factory, world, rid, answer)
    return rid


def _answer(uow_factory, world, rid, answer):
    with uow_factory() as uow:
        if answer in ("accepted", "delivered"):
            referrals.accept(uow=uow, actor=world.actor("pekerja_b"), referral_id=rid)
    with uow_factory() as uow:
        if answer == "delivered":
            referrals.deliver(uow=uow, actor=world.actor("pekerja_b"), referral_id=rid, services=["outreach"])
        if answer == "declined":
            referrals.decline(uow=uow, actor=world.actor("pekerja_b"), referral_id=rid, reason="Penuh.")


def fixture(uow_factory, world) -> dict[str, str]:
    """Seven cases opened 5 January 2026, 08:00 UTC (15:00 WIB), priority P1, first contact due in 24 hours:
    A from a report, contacted after 5 h, one statement, referral delivered; B from a report, contacted after
    30 h (late), two statements, referral accepted; C a walk-in never contacted, no statement, referral declined;
    D a walk-in whose consent refuses statistics, with a referral; E a walk-in contacted after 2 h, closed 30 days
    later (February); F a walk-in whose consent was withdrawn; G a call to the hotline with no consent recorded
    yet and no region."""
    cases = {
        "A": open_case(uow_factory, world, report_id=submit(uow_factory)[0], first_contact_after=timedelta(hours=5)),
        "B": open_case(uow_factory, world, report_id=submit(uow_factory)[0], first_contact_after=timedelta(hours=30),
                       statements=2),
        "C": open_case(uow_factory, world, statements=0),
        "D": open_case(uow_factory, world, consent={"statistics": False}, first_contact_after=timedelta(hours=1)),
        "E": open_case(uow_factory, world, first_contact_after=timedelta(hours=2), closed_after=timedelta(days=30)),
        "F": open_case(uow_factory, world, first_contact_after=timedelta(hours=1)),
        "G": open_case(uow_factory, world, consent={}),
    }
    with uow_factory() as uow:
        uow.session.execute(update(Case).where(Case.public_id == cases["G"]).values(origin="hotline",
                                                                                   region_code=None))
        uow.commit()
    with uow_factory() as uow:
        consent_use.withdraw_consent(uow=uow, actor=world.actor("pekerja_a"), case_public_id=cases["F"],
                                     reason="Anak tidak ingin melanjutkan.")
    for name, answer in (("A", "delivered"), ("B", "accepted"), ("C", "declined"), ("D", None)):
        _refer(uow_factory, world, cases[name], answer)
    return cases


def counts(uow, dim):
    return {(r.month, r.key): (r.opened, r.closed, r.with_statement, r.statements, r.more_statements)
            for r in uow.session.scalars(select(StatCaseCount).where(StatCaseCount.dim == dim))}


def contact(uow):
    return {(r.month, r.priority): (r.cases, r.contacted, r.due, r.within)
            for r in uow.session.scalars(select(StatCaseContact))}


def referral_rows(uow):
    return {(r.month, r.service_type): (r.made, r.accepted, r.declined, r.completed)
            for r in uow.session.scalars(select(StatCaseReferral))}


def test_case_figures_equal_the_hand_computed_ones_and_a_recount(uow_factory, world, clock):
    fixture(uow_factory, world)
    clock.advance(days=2)  # C's and G's first-contact deadlines have passed without contact
    with uow_factory() as uow:
        rollups.refresh(uow)
    with uow_factory() as uow:
        # D (statistics refused) and F (consent withdrawn) count nowhere; G (no consent yet) counts
        assert counts(uow, "total") == {("2026-01", "all"): (5, 0, 4, 5, 1), ("2026-02", "all"): (0, 1, 0, 0, 0)}
        assert counts(uow, "province") == {("2026-01", "32"): (4, 0, 3, 4, 1), ("2026-01", "unknown"): (1, 0, 1, 1, 0),
                                           ("2026-02", "32"): (0, 1, 0, 0, 0)}
        assert counts(uow, "origin") == {("2026-01", "report"): (2, 0, 2, 3, 1), ("2026-01", "walk_in"): (2, 0, 1, 1, 0),
                                         ("2026-01", "hotline"): (1, 0, 1, 1, 0),
                                         ("2026-02", "walk_in"): (0, 1, 0, 0, 0)}
        # report to first contact: A 5 h and B 30 h (walk-ins have no report); due: all five, within: A and E
        assert contact(uow) == {("2026-01", "P1"): (5, 2, 5, 2)}
        assert {(r.minutes, r.cases) for r in uow.session.scalars(select(StatCaseContactTime))} == {(300, 1),
                                                                                                    (1800, 1)}
        assert referral_rows(uow) == {("2026-01", "psychosocial_support"): (3, 2, 1, 1)}
        assert recount.differences(uow) == []
        (row,) = case_queries.first_contact(uow, ["2026-01", "2026-02"])
        assert (row.median_hours, row.share_within) == (17.5, 0.4)
        opened = case_queries.by(uow, "total", ["2026-01", "2026-02"], per_month=True)
        assert [(r.opened, r.closed) for r in opened] == [(5, 0), (0, 1)]
        assert opened[0].statements_per_case == 5 / 4


def test_changes_move_the_figures_incrementally(uow_factory, world, clock):
    cases = fixture(uow_factory, world)
    with uow_factory() as uow:
        rollups.refresh(uow)
        before = rollups.version(uow)[0]
        assert contact(uow) == {("2026-01", "P1"): (5, 2, 3, 2)}  # due: A, B, E contacted; C and G not yet late
    with uow_factory() as uow:  # nothing changed: the cursor has not moved, the version stays
        rollups.refresh(uow)
        assert rollups.version(uow)[0] == before
    clock.advance(days=2)  # no write at all: the deadlines of C and G pass
    with uow_factory() as uow:
        rollups.refresh(uow)
        assert contact(uow) == {("2026-01", "P1"): (5, 2, 5, 2)}
        assert recount.differences(uow) == []
    # a referral answered later, and A's consent withdrawn: A leaves every figure at once
    with uow_factory() as uow:
        rid = referrals.send(uow=uow, actor=world.actor("pekerja_a"), case_public_id=cases["B"],
                             data=ReferralInput(kind="services", to_agency_id=world.agencies["psy-31"],
                                                service_type="legal_aid", reason="Pendampingan hukum."))
    with uow_factory() as uow:
        rollups.refresh(uow)
        assert referral_rows(uow)[("2026-01", "legal_aid")] == (1, 0, 0, 0)
    clock.advance(hours=1)
    _answer(uow_factory, world, rid, "accepted")
    with uow_factory() as uow:
        consent_use.withdraw_consent(uow=uow, actor=world.actor("pekerja_a"), case_public_id=cases["A"], reason="")
    with uow_factory() as uow:
        rollups.refresh(uow)
        assert referral_rows(uow) == {("2026-01", "psychosocial_support"): (2, 1, 1, 0),
                                      ("2026-01", "legal_aid"): (1, 1, 0, 0)}
        assert counts(uow, "total")[("2026-01", "all")] == (4, 0, 3, 4, 1)
        assert contact(uow) == {("2026-01", "P1"): (4, 1, 4, 1)}
        assert recount.differences(uow) == []


def test_a_case_opened_late_on_31_january_utc_counts_in_february_as_in_the_case_figures(uow_factory, world, clock):
    """20:00 UTC on 31 January is 03:00 WIB on 1 February: the rollups, the recount and the case figures
    (cases/figures.py) put it in the same month."""
    late = datetime(2026, 1, 31, 20, 0, tzinfo=timezone.utc)
    open_case(uow_factory, world, opened_at=late, first_contact_after=timedelta(hours=2))
    open_case(uow_factory, world, opened_at=late - timedelta(hours=3, seconds=1))  # 23:59:59 WIB: January's
    clock.advance(days=40)
    with uow_factory() as uow:
        rollups.refresh(uow)
    with uow_factory() as uow:
        assert counts(uow, "total") == {("2026-01", "all"): (1, 0, 1, 1, 0), ("2026-02", "all"): (1, 0, 1, 1, 0)}
        assert contact(uow) == {("2026-01", "P1"): (1, 0, 1, 0), ("2026-02", "P1"): (1, 0, 1, 1)}
        assert recount.differences(uow) == []
        for month in ("2026-01", "2026-02"):
            total = case_figures.figures(uow=uow, month=month).rows[-1]
            assert (total.cases_opened, total.first_contact_due, total.first_contact_within) == \
                counts(uow, "total")[(month, "all")][:1] + contact(uow)[(month, "P1")][2:]


def test_a_wrong_case_rollup_is_seen_by_the_recount(uow_factory, world, clock):
    fixture(uow_factory, world)
    with uow_factory() as uow:
        rollups.refresh(uow)
        uow.session.execute(update(StatCaseReferral).values(made=StatCaseReferral.made + 1))
        uow.session.execute(update(StatCaseContactTime).values(cases=2))
        uow.session.flush()
        found = recount.differences(uow)
        assert len(found) == 3 and all(line.startswith("cases") for line in found)


def test_a_national_officer_reads_the_cases_dashboard(client, uow_factory, world, clock):
    from helpers import sign_in

    fixture(uow_factory, world)
    clock.advance(days=2)
    with uow_factory() as uow:
        rollups.refresh(uow)
    sign_in(client, "nasional")
    page = client.get("/staff/statistics/cases", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.text
    assert "<svg" in text and "Jawa Barat" in text and "SAPA 129 call" in text and "Psychosocial support" in text
    assert "17.5" in text and "40.0%" in text  # median hours and the share within the deadline
    assert ">5<" in text and ">1.25<" in text  # cases opened in January, statements per case
    client.cookies.clear()
    sign_in(client, "pekerja_a")  # a case worker has no business with the national figures
    assert client.get("/staff/statistics/cases").status_code == 403
