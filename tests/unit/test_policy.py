"""The one authorization policy (access/policy.py): pure, tested with plain values."""

from __future__ import annotations

from pathlib import Path

import pytest

from safe4c.access.rules import policy
from safe4c.access.rules.policy import POLICY, PRINCIPALS, Actor, Grant, Rule

DOCS = Path(__file__).resolve().parents[2] / "docs" / "access.md"
A, B = Actor.platform(1), Actor.platform(2)
REGULATOR, ANALYST, ADMIN = (Actor.staff(n, role) for n, role in enumerate(policy.ROLES[:3], start=10))


def test_a_regulator_never_reaches_reports_networks_or_the_hash_list():
    for action in ("report.list", "report.view", "report.update", "report.decide", "network.view",
                   "evidence.download", "hashlist.view", "hashlist.change", "hashlist.export",
                   "hashlist.bank.manage", "takedown.issue"):
        assert not policy.allowed(REGULATOR, action), action
    assert policy.allowed(REGULATOR, "compliance.view") and not policy.allowed(ANALYST, "compliance.view")


def test_roles_do_not_nest_and_unknown_roles_get_nothing():
    assert policy.allowed(ANALYST, "hashlist.change") and not policy.allowed(ANALYST, "hashlist.bank.manage")
    assert policy.allowed(ADMIN, "hashlist.bank.manage") and policy.allowed(ADMIN, "compliance.view")
    stranger = Actor.staff(1, "superuser")
    assert not any(policy.allowed(stranger, action) for action, rule in POLICY.items() if not rule.public)
    assert policy.roles_allowed("report.view") == ("analyst", "admin")
    with pytest.raises(ValueError, match="unknown action"):
        policy.allowed(ADMIN, "hashlist.delete")


def test_a_platforms_own_records_one_rule_for_a_record_and_a_list():
    orders = [{"id": n, "platform_id": 1 + n % 2} for n in range(6)]
    for actor in (A, B):
        listed = [o for o in orders if policy.record_filter(actor, "platform.takedown.view").admits(o)]
        one_by_one = [o for o in orders if policy.allowed(actor, "platform.takedown.view", o)]
        assert listed == one_by_one == [o for o in orders if o["platform_id"] == actor.id]
    assert policy.record_filter(A, "platform.takedown.view").values("platform_id") == {1}
    assert policy.record_filter(ANALYST, "platform.takedown.view") is None  # staff use their own pages
    assert policy.record_filter(ANALYST, "takedown.view") is policy.EVERY_RECORD
    assert not policy.allowed(policy.NOBODY, "platform.takedown.view")


def test_a_condition_for_a_new_role_needs_no_other_change(monkeypatch):
    """How case management grows the table: a principal, a condition, and the same two questions."""
    same_region = policy.Condition("same region", lambda actor: policy.RecordFilter((("region", frozenset({"32"})),)))
    monkeypatch.setitem(POLICY, "case.view", Rule("A child's case", (Grant(frozenset({"admin"})),
                                                                    Grant(frozenset({"case_worker"}), same_region))))
    worker = Actor.staff(7, "case_worker")
    assert policy.allowed(worker, "case.view", {"region": "32"}) and not policy.allowed(worker, "case.view",
                                                                                        {"region": "31"})
    assert policy.record_filter(worker, "case.view").values("region") == {"32"}
    assert policy.allowed(ADMIN, "case.view", {"region": "31"})


def test_the_table_refuses_what_one_route_could_not_enforce(monkeypatch):
    monkeypatch.setitem(POLICY, "mixed", policy.rule("x", "platform", "analyst"))
    with pytest.raises(ValueError, match="platforms .* or staff"):
        policy._check_table()
    monkeypatch.setitem(POLICY, "mixed", policy.rule("x", "anonymous", "analyst"))
    with pytest.raises(ValueError, match="granted to everyone"):
        policy._check_table()


def _doc_row(action: str, rule: Rule) -> str:
    cells = []
    for principal in PRINCIPALS:
        grants = [g for g in rule.grants if principal in g.who]
        cells.append("" if not grants else "yes" if any(g.condition is None for g in grants)
                     else grants[0].condition.name)
    return f"| `{action}` | {rule.summary} | " + " | ".join(cells) + " |"


def test_docs_access_md_shows_the_table_as_the_code_has_it():
    section = DOCS.read_text().split("## The table", 1)[1].split("\n## ", 1)[0]
    documented = [line.rstrip() for line in section.splitlines() if line.startswith("| `")]
    assert documented == [_doc_row(action, rule).rstrip() for action, rule in POLICY.items()]


def test_a_field_with_several_values_meets_a_filter_when_any_of_them_is_allowed():
    worker = Actor.staff(40, "case_worker", agency_id=7)
    only = policy.AGENCY_OR_REFERRED.filter_for(worker)
    assert only.admits({"agencies": [3, 7]})
    assert not only.admits({"agencies": [3, 8]})
    assert not only.admits({"agencies": []})
    nobody_agency = Actor.staff(41, "case_worker")
    assert not policy.OWN_AGENCY.filter_for(nobody_agency).admits({"agency_id": 7})
    assert policy.REFERRED_TO_POLICE.filter_for(Actor.staff(42, "police_liaison", 9)).admits(
        {"police_agencies": {9}})
