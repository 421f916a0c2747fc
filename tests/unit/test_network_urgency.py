"""How urgent a network is and which reports it raises or lowers (networks/rules/urgency.py): plain values."""

from __future__ import annotations

from safe4c.networks.rules.urgency import Urgency, makes_urgent, needs_raise, of_reports, source, to_lower, to_raise

OWN_P1 = [{"code": "urgent.danger_now", "priority": "P1"}]
BY_NETWORK = [{"code": "link.urgent_cluster", "priority": "P1"}, {"code": "situation.grooming", "priority": "P3"}]
MATERIAL = [{"code": "match.known_material", "priority": "P1"}]
CALM = [{"code": "situation.grooming", "priority": "P3"}]


def test_a_report_p1_for_its_own_reason_makes_the_network_urgent():
    assert source("P1", OWN_P1).own_p1 and makes_urgent("P1", OWN_P1)
    assert of_reports([(1, "P1", OWN_P1), (2, "P3", CALM)]) == Urgency((1,), False)


def test_a_report_p1_only_because_of_its_network_does_not():
    # otherwise a cut link could never calm a network down
    assert not makes_urgent("P1", BY_NETWORK)
    assert not of_reports([(1, "P1", BY_NETWORK), (2, "P3", CALM)]).urgent


def test_confirmed_material_makes_it_urgent_from_a_reason_or_from_elsewhere():
    assert of_reports([(1, "P1", MATERIAL)]) == Urgency((1,), True)
    assert of_reports([(1, "P3", CALM)], material_elsewhere=True).urgent  # a decision, a listed hash or link
    assert of_reports([(1, "P3", CALM)]).as_dict() == {"p1_reports": [], "confirmed_material": False, "urgent": False}


def test_an_urgent_network_raises_its_open_reports_that_need_it():
    urgent = Urgency((1,), False)
    reports = [(1, "new", "P1", OWN_P1), (2, "new", "P3", CALM), (3, "closed", "P3", CALM),
               (4, "in_review", "P1", BY_NETWORK), (5, "in_review", None, None)]
    assert to_raise(urgent, reports) == [2, 5]
    assert to_raise(Urgency((), False), reports) == []
    assert needs_raise("P2", CALM) and not needs_raise("P1", CALM) and not needs_raise("P3", BY_NETWORK)


def test_a_network_no_longer_urgent_lowers_the_open_reports_it_raised():
    reports = [(1, "new", BY_NETWORK), (2, "closed", BY_NETWORK), (3, "new", CALM)]
    assert to_lower(Urgency((), False), reports) == [1]
    assert to_lower(Urgency((), True), reports) == []


# Sextortion of an 11-year-old: P2 for the situation, one level up for the child's age: a P1 of its own.
VULNERABLE_P1 = [{"code": "situation.sextortion", "priority": "P2"},
                 {"code": "vulnerable.young_child", "priority": "+1"}]


def test_a_p1_reached_by_a_vulnerability_raise_makes_the_network_urgent():
    assert source("P1", VULNERABLE_P1).own_p1 and makes_urgent("P1", VULNERABLE_P1)
    assert of_reports([(1, "P1", VULNERABLE_P1), (2, "P3", CALM)]) == Urgency((1,), False)
    # the same with the network's raise on top is still its own P1
    assert source("P1", [{"code": "link.urgent_cluster", "priority": "P1"}, *VULNERABLE_P1]).own_p1


def test_a_p1_without_stored_reasons_counts_and_a_raise_of_a_p3_does_not():
    assert source("P1", None).own_p1 and source("P1", []).own_p1
    assert not source("P1", [*BY_NETWORK, {"code": "vulnerable.young_child", "priority": "+1"}]).own_p1
