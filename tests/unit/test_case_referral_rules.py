"""The pure rules of referrals: consent in force, sharing the statement, the police ground, reminders."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from safe4c.cases.rules import referrals as rules

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


def consent(**fields):
    base = dict(id=1, recorded_at=T0, withdrawn_at=None, services=True, share_statement=True, police=False,
                share_with=["type:psychosocial"], withheld=[], legal_basis="consent")
    return base | fields


def test_the_newest_consent_rules_and_a_withdrawal_leaves_none():
    old, new = consent(id=1, services=False), consent(id=2, recorded_at=T0 + timedelta(days=1))
    assert rules.current([old, new]) is new
    assert rules.current([old, new | {"withdrawn_at": T0 + timedelta(days=2)}]) is None
    assert rules.current([]) is None


def test_the_statement_goes_only_where_consent_names_and_nothing_withholds_it():
    share = rules.may_share_statement
    assert share(consent(), agency_code="psy-31", agency_type="psychosocial")
    assert share(consent(share_with=["psy-31"]), agency_code="psy-31", agency_type="psychosocial")
    assert not share(consent(), agency_code="rs-32", agency_type="health")
    assert not share(consent(share_statement=False), agency_code="psy-31", agency_type="psychosocial")
    assert not share(consent(withheld=[{"from": "psy-31", "what": "statement"}]), agency_code="psy-31",
                     agency_type="psychosocial")
    assert share(consent(withheld=[{"from": "psy-31", "what": "contact"}]), agency_code="psy-31",
                 agency_type="psychosocial")
    assert not share(None, agency_code="psy-31", agency_type="psychosocial")


def test_the_police_ground_is_consent_or_a_legal_basis_that_withdrawal_does_not_remove():
    assert rules.police_ground([consent(police=True)]) == "consent"
    assert rules.police_ground([consent()]) is None
    assert rules.police_ground([consent(legal_basis="tpks_14_3", withdrawn_at=T0)]) == "tpks_14_3"
    assert rules.police_ground([consent(police=True, withdrawn_at=T0)]) is None


def test_reminder_then_overdue_then_nothing():
    due = T0 + timedelta(hours=72)
    follow = rules.follow_up(status="sent", due=due, reminded=False, overdue=False, now=T0, before_hours=24)
    assert follow == rules.Follow(False, False, due - timedelta(hours=24))
    follow = rules.follow_up(status="sent", due=due, reminded=False, overdue=False, now=due - timedelta(hours=1),
                             before_hours=24)
    assert follow == rules.Follow(True, False, due)
    follow = rules.follow_up(status="sent", due=due, reminded=True, overdue=False, now=due, before_hours=24)
    assert follow == rules.Follow(False, True, None)
    assert rules.follow_up(status="accepted", due=due, reminded=False, overdue=False, now=due,
                           before_hours=24) == rules.Follow(False, False, None)
    # a worker that was down past the deadline makes both marks at once
    assert rules.follow_up(status="sent", due=due, reminded=False, overdue=False, now=due + timedelta(days=1),
                           before_hours=24) == rules.Follow(True, True, None)
