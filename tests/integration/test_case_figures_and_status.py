"""Case figures equal a direct recount; the child's status page for a case (plain, kind words; contact only if
they gave a way; nothing about agencies); the figures page and CLI. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import statistics
from datetime import datetime, timedelta, timezone

import pytest
from case_world import build, open_case, submit
from helpers import sign_in
from sqlalchemy import text

from safe4c.cases import figures, referrals
from safe4c.cases.referrals import ReferralInput


@pytest.fixture
def world(uow_factory):
    return build(uow_factory)


def _refer(uow_factory, world, case, *, to="psy-31", answer=None):
    with uow_factory() as uow:
        rid = referrals.send(uow=uow, actor=world.actor("pekerja_a"), case_public_id=case,
                             data=ReferralInput(kind="services", to_agency_id=world.agencies[to],
                                                service_type="psychosocial_support", reason="Butuh konseling."))
    if answer in ("accepted", "delivered"):
        with uow_factory() as uow:
            referrals.accept(uow=uow, actor=world.actor("pekerja_b"), referral_id=rid)
    if answer == "delivered":
        with uow_factory() as uow:
            referrals.deliver(uow=uow, actor=world.actor("pekerja_b"), referral_id=rid, services=["outreach"])
    if answer == "declined":
        with uow_factory() as uow:
            referrals.decline(uow=uow, actor=world.actor("pekerja_b"), referral_id=rid, reason="Penuh.")


def test_figures_equal_a_direct_recount(uow_factory, world, clock):
    jan = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    report_ids = [submit(uow_factory)[0] for _ in range(3)]
    a = [open_case(uow_factory, world, report_id=report_ids[0], first_contact_after=timedelta(hours=5)),
         open_case(uow_factory, world, report_id=report_ids[1], first_contact_after=timedelta(hours=30), statements=2),
         open_case(uow_factory, world, report_id=report_ids[2], assigned="penyelia_a", statements=0),
         open_case(uow_factory, world, assigned=None, first_contact_after=timedelta(hours=2),
                   closed_after=timedelta(days=3)),
         open_case(uow_factory, world, opened_at=jan - timedelta(days=20), closed_after=timedelta(days=22))]
    open_case(uow_factory, world, agency="uptd-ppa-33", assigned="pekerja_c", first_contact_after=timedelta(hours=1))
    open_case(uow_factory, world, opened_at=jan + timedelta(days=40))  # February: not January's
    for case, answer in zip(a[:3], ("delivered", "accepted", "declined")):
        _refer(uow_factory, world, case, answer=answer)
    _refer(uow_factory, world, a[0], to="uptd-ppa-33")
    clock.advance(days=2)  # the third case's first-contact deadline has passed without contact

    with uow_factory() as uow:
        got = figures.figures(uow=uow, month="2026-01")
    rows = {f.agency_id: f for f in got.rows}
    # the recount, straight from the tables: January in WIB (UTC+7), as every figure's month
    start, end = datetime(2025, 12, 31, 17, 0, tzinfo=timezone.utc), datetime(2026, 1, 31, 17, 0, tzinfo=timezone.utc)
    with uow_factory() as uow:
        q = lambda sql, **p: uow.session.execute(text(sql), {"s": start, "e": end, **p}).all()  # noqa: E731
        for agency_id in (world.agencies["uptd-ppa-32"], world.agencies["uptd-ppa-33"]):
            f = rows[agency_id]
            opened = q("select id, report_id, opened_at, first_contact_at, first_contact_due_at from cases "
                       "where agency_id = :a and opened_at >= :s and opened_at < :e", a=agency_id)
            assert f.cases_opened == len(opened)
            assert f.cases_closed == len(q("select id from cases where agency_id = :a and closed_at >= :s "
                                           "and closed_at < :e", a=agency_id))
            hours = []
            for case_id, report_id, _, contact, _ in opened:
                if report_id and contact:
                    received = q("select received_at from reports where id = :r", r=report_id)[0][0]
                    hours.append((_utc(contact) - _utc(received)).total_seconds() / 3600)
            assert f.first_contact_median_hours == (statistics.median(hours) if hours else None)
            # counted for the share: contacted, or past the deadline (met when contacted at or before it)
            due = [(c, d) for _, _, _, c, d in opened if d is not None and (c is not None or clock.now() > _utc(d))]
            assert (f.first_contact_due, f.first_contact_within) == (
                len(due), sum(1 for c, d in due if c is not None and _utc(c) <= _utc(d)))
            made = q("select r.status from case_referrals r join cases c on c.id = r.case_id where c.agency_id = :a "
                     "and r.sent_at >= :s and r.sent_at < :e", a=agency_id)
            assert f.referrals_made == len(made)
            assert f.referrals_accepted == sum(s in ("accepted", "delivered") for (s,) in made)
            assert f.referrals_declined == sum(s == "declined" for (s,) in made)
            assert f.referrals_completed == sum(s == "delivered" for (s,) in made)
            counts = [n for (n,) in q("select count(s.id) from cases c join case_statements s on s.case_id = c.id "
                                      "where c.agency_id = :a and c.opened_at >= :s and c.opened_at < :e "
                                      "group by c.id", a=agency_id)]
            assert (f.cases_with_statement, f.statements) == (len(counts), sum(counts))
            assert f.cases_with_more_statements == sum(n > 1 for n in counts)
            # open at the end of the month, or now in the running month
            loads = [n for (n,) in q("select count(*) from cases where agency_id = :a and opened_at < :cut and "
                                     "(closed_at is null or closed_at >= :cut) and assigned_to is not null "
                                     "group by assigned_to", a=agency_id, cut=min(end, clock.now()))]
            assert (f.workers, f.caseload_max) == (len(loads), max(loads, default=0))
            assert f.caseload_mean == (sum(loads) / len(loads) if loads else None)
        received = q("select count(*) from case_referrals where to_agency_id = :a and sent_at >= :s and sent_at < :e",
                     a=world.agencies["psy-31"])[0][0]
    assert rows[world.agencies["psy-31"]].referrals_received == received == 3
    assert rows[world.agencies["uptd-ppa-33"]].referrals_received == 1
    # the figures the example was built for, so the recount is not comparing two empty sets
    mine = rows[world.agencies["uptd-ppa-32"]]
    assert (mine.cases_opened, mine.cases_closed, mine.referrals_made, mine.referrals_completed) == (4, 2, 4, 1)
    assert (mine.statements, mine.cases_with_statement, mine.cases_with_more_statements) == (4, 3, 1)
    assert mine.first_contact_median_hours == pytest.approx(17.5, abs=0.01)
    assert (mine.first_contact_due, mine.first_contact_within) == (4, 2)
    total = rows[None]
    assert total.cases_opened == 5 and total.referrals_made == 4


def test_a_case_opened_late_on_31_january_utc_counts_in_february_wib(uow_factory, world, clock):
    """20:00 UTC on 31 January is 03:00 WIB on 1 February: February's case in the figures, as in the statistics
    (tests/integration/test_statistics_cases.py)."""
    late = datetime(2026, 1, 31, 20, 0, tzinfo=timezone.utc)
    open_case(uow_factory, world, opened_at=late, first_contact_after=timedelta(hours=2))
    open_case(uow_factory, world, opened_at=late - timedelta(hours=3, seconds=1))  # 23:59:59 WIB: still January
    clock.advance(days=40)
    with uow_factory() as uow:
        jan, feb = (figures.figures(uow=uow, month=m).rows[-1] for m in ("2026-01", "2026-02"))
        assert figures.figures(uow=uow).month == "2026-02"  # this month, in WIB (14 February)
    assert (jan.cases_opened, jan.first_contact_due, jan.first_contact_within) == (1, 1, 0)
    assert (feb.cases_opened, feb.first_contact_due, feb.first_contact_within) == (1, 1, 1)


def test_the_first_contact_deadline_is_missed_only_once_it_has_passed(uow_factory, world, clock):
    """At the due moment a case not yet contacted is not counted as late (it can still be met); a second later it
    is, in the figures as in the caseload's overdue step."""
    open_case(uow_factory, world, first_contact_after=None, due_after=timedelta(hours=24))
    clock.advance(hours=24)
    with uow_factory() as uow:
        at_due = figures.figures(uow=uow, month="2026-01").rows[-1]
    clock.advance(seconds=1)
    with uow_factory() as uow:
        after = figures.figures(uow=uow, month="2026-01").rows[-1]
    assert (at_due.first_contact_due, at_due.first_contact_within) == (0, 0)
    assert (after.first_contact_due, after.first_contact_within) == (1, 0)


def _utc(value):
    """A time as raw SQL returns it (SQLite: text) as an aware datetime."""
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def test_a_supervisor_sees_their_agency_national_staff_every_agency(uow_factory, world, client):
    open_case(uow_factory, world)
    open_case(uow_factory, world, agency="uptd-ppa-33", assigned="pekerja_c")
    with uow_factory() as uow:
        own = figures.figures(uow=uow, actor=world.actor("penyelia_a"))
        national = figures.figures(uow=uow, actor=world.actor("nasional"))
        refused = figures.figures(uow=uow, actor=world.actor("pekerja_a"))
    assert [f.agency_id for f in own.rows] == [world.agencies["uptd-ppa-32"], None]
    assert [f.agency_id for f in national.rows][:-1] == sorted([world.agencies["uptd-ppa-32"],
                                                                world.agencies["uptd-ppa-33"]])
    assert refused.rows[0].cases_opened == 0 and len(refused.rows) == 1
    sign_in(client, "nasional")
    page = client.get("/staff/cases/figures?month=2026-01&lang=en")
    assert page.status_code == 200 and "UPTD PPA Provinsi Jawa Tengah (contoh)" in page.text
    assert "Pekerja_A" not in page.text  # no worker is named
    bad = client.get("/staff/cases/figures?month=januari&lang=en")
    assert bad.status_code == 422 and "Give the month as YYYY-MM" in bad.text
    client.cookies.clear()
    sign_in(client, "penyelia_a")
    assert "Jawa Tengah" not in client.get("/staff/cases/figures?month=2026-01").text


def test_the_cli_prints_the_figures(uow_factory, world, settings, engine, capsys, monkeypatch):
    from safe4c.cli import cases as cli_cases
    from safe4c.cli import common

    open_case(uow_factory, world)
    monkeypatch.setattr(common, "uow_factory", lambda s: uow_factory)
    args = type("Args", (), {"month": "2026-01", "json": True})()
    assert cli_cases.cmd_cases(args, settings) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["month"] == "2026-01" and out["agencies"][0]["agency"] == "uptd-ppa-32"
    assert out["agencies"][0]["cases_opened"] == 1
    args.month = "2026-13"
    assert cli_cases.cmd_cases(args, settings) == 2


@pytest.mark.parametrize("contact, expected", [
    ("phone", "They will call you on the phone number you gave us."),
    ("whatsapp", "They will send you a WhatsApp message"),
    ("email", "They will write to you at the e-mail address"),
    ("none", None)])
def test_the_status_page_says_someone_takes_care_and_how_only_if_they_gave_a_way(uow_factory, world, client,
                                                                                 contact, expected):
    report_id, _, code = submit(uow_factory, contact=contact)
    before = client.post("/status?lang=en", data={"code": code})
    assert before.status_code == 200
    assert "Someone is taking care of your report" not in before.text
    open_case(uow_factory, world, report_id=report_id, contact=contact)
    page = client.post("/status?lang=en", data={"code": code}).text
    assert "Someone is taking care of your report" in page and "You are not alone." in page
    ways = ("They will call you", "They will send you a WhatsApp", "They will write to you")
    if expected:
        assert expected in page and sum(w in page for w in ways) == 1
    else:
        assert not any(w in page for w in ways)
    for internal in ("UPTD PPA", "Jawa Barat", "Pekerja", "case", "0812"):
        assert internal not in page
    client.cookies.set("lang", "id")
    indonesian = client.post("/status?lang=id", data={"code": code}).text
    assert "Ada yang sedang mengurus laporanmu" in indonesian and "Kamu tidak sendirian." in indonesian


def test_the_status_page_of_a_closed_case(uow_factory, world, client):
    report_id, _, code = submit(uow_factory)
    open_case(uow_factory, world, report_id=report_id, closed_after=timedelta(0))
    page = client.post("/status?lang=en", data={"code": code}).text
    assert "have finished their work on it" in page and "Someone is taking care" not in page
