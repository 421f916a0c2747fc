"""A network's urgency, and the raises and lowers it causes on its reports.

The rules (what makes a network urgent, which reports it raises or lowers) are pure:
``networks/rules/urgency.py``. This module finds what they need (member reports, an analyst's
``confirm_material`` decision, a hash or link in an enabled confirmed bank) and applies the result through
``reports/escalation.py`` (a ``raised`` or ``lowered`` event) with an audit entry. It never commits: the
caller holds the linking lock and commits (the link job, a cut, a decision, the match job, the bulk rebuild).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select

from safe4c.db.hashlist import HashBank, HashEntry
from safe4c.db.linking import ClusterMember, Decision, LinkIdentifier, ReportIdentifier
from safe4c.db.tables import Report
from safe4c.kernel import audit
from safe4c.kernel.uow import UnitOfWork
from safe4c.networks.membership import member_rows
from safe4c.networks.rules import urgency as rules
from safe4c.networks.rules.urgency import REASON_CODE
from safe4c.reports import escalation


def listed_material_holders():
    """SELECT of the report ids holding a hash or link that is in an enabled confirmed bank (one index:
    ``link_identifiers.signal_key`` = ``hash_entries.value_key``). Callers add their own report filter."""
    return (select(ReportIdentifier.report_id)
            .join(LinkIdentifier, LinkIdentifier.id == ReportIdentifier.identifier_id)
            .join(HashEntry, HashEntry.value_key == LinkIdentifier.signal_key)
            .join(HashBank, HashBank.id == HashEntry.bank_id)
            .where(LinkIdentifier.signal_key.is_not(None), HashEntry.enabled.is_(True), HashBank.enabled.is_(True),
                   HashBank.confirmed.is_(True)))


def holds_listed_material(uow: UnitOfWork, report_ids: list[int]) -> bool:
    if not report_ids:
        return False
    found = uow.session.scalar(
        listed_material_holders().where(ReportIdentifier.report_id.in_(report_ids)).limit(1))
    return found is not None


def _confirmed_by_decision(uow: UnitOfWork, cluster_id: int) -> bool:
    return uow.session.scalar(
        select(func.count()).select_from(Decision)
        .where(Decision.cluster_id == cluster_id, Decision.kind == "confirm_material")) > 0


def network_urgency(uow: UnitOfWork, cluster_id: int, rows: list[Report] | None = None) -> rules.Urgency:
    """Why a cluster is urgent: its P1 reports and whether it holds confirmed material. ``rows``: its member
    reports when the caller has them already (else only the columns needed are read). The decision and the
    banks are looked at only when the reports' reasons do not settle it."""
    if rows is None:
        members = list(uow.session.execute(
            select(Report.id, Report.priority, Report.triage_reasons)
            .join(ClusterMember, ClusterMember.report_id == Report.id).where(ClusterMember.cluster_id == cluster_id)))
    else:
        members = [(r.id, r.priority, r.triage_reasons) for r in rows]
    found = rules.of_reports(members)
    if not found.confirmed_material and (_confirmed_by_decision(uow, cluster_id)
                                         or holds_listed_material(uow, [rid for rid, _, _ in members])):
        found = replace(found, confirmed_material=True)
    return found


def urgency(uow: UnitOfWork, cluster_id: int, rows: list[Report] | None = None) -> dict:
    """``network_urgency`` as the network page shows it: p1_reports, confirmed_material, urgent."""
    return network_urgency(uow, cluster_id, rows).as_dict()


def makes_urgent(uow: UnitOfWork, row: Report) -> bool:
    """Would this one report make its network urgent (own P1, matched or listed material)?"""
    return rules.makes_urgent(row.priority, row.triage_reasons) or holds_listed_material(uow, [row.id])


def raise_report(uow: UnitOfWork, row: Report, cluster_id: int) -> bool:
    """Raise one open report of an urgent cluster to P1 (``escalation.raise_to_p1``: reason
    ``link.urgent_cluster``, a ``raised`` event) with an audit entry ``report.raise``. Shared by
    ``raise_if_urgent``, the link job and the bulk rebuild."""
    if not rules.needs_raise(row.priority, row.triage_reasons):
        return False
    if not escalation.raise_to_p1(uow, row, reason_code=REASON_CODE, event_kind="raised", note=f"#{cluster_id}"):
        return False
    audit.record(uow, actor_id=None, action="report.raise", subject_type="report", subject_id=row.public_id,
                 detail={"cluster": cluster_id, "reason": REASON_CODE})
    return True


def raise_if_urgent(uow: UnitOfWork, cluster_id: int) -> list[int]:
    """Raise the cluster's open reports to P1 with the reason ``link.urgent_cluster`` when the cluster holds a
    P1 report or confirmed material. Returns the ids raised. The caller holds the linking lock and commits."""
    rows = member_rows(uow, cluster_id)
    todo = set(rules.to_raise(network_urgency(uow, cluster_id, rows),
                              [(r.id, r.status, r.priority, r.triage_reasons) for r in rows]))
    return [row.id for row in rows if row.id in todo and raise_report(uow, row, cluster_id)]


def raise_after_link(uow: UnitOfWork, row: Report, cluster_id: int, *, joined: int) -> list[int]:
    """After ``row`` joined cluster ``cluster_id`` (made of ``joined`` clusters it linked to): the raises due.
    When it joined one network and brings nothing urgent, the network's urgency is unchanged (its other open
    reports were raised when it became urgent), so only this report may need raising."""
    if joined == 1 and not makes_urgent(uow, row):
        due = (rules.needs_raise(row.priority, row.triage_reasons) and row.status != "closed"
               and network_urgency(uow, cluster_id).urgent)
        return [row.id] if due and raise_report(uow, row, cluster_id) else []
    return raise_if_urgent(uow, cluster_id)


def calm(uow: UnitOfWork, cluster_id: int) -> list[int]:
    """After a split: if the cluster is no longer urgent, its open reports raised only by a network are
    triaged again on their own facts (a ``lowered`` event, an audit entry ``report.lower``). Returns their ids."""
    rows = member_rows(uow, cluster_id)
    todo = set(rules.to_lower(network_urgency(uow, cluster_id, rows),
                              [(r.id, r.status, r.triage_reasons) for r in rows]))
    lowered = []
    for row in rows:
        if row.id in todo and escalation.retriage(uow, row, dropped_code=REASON_CODE, event_kind="lowered",
                                                  note=f"#{cluster_id}"):
            audit.record(uow, actor_id=None, action="report.lower", subject_type="report", subject_id=row.public_id,
                         detail={"cluster": cluster_id, "reason": REASON_CODE})
            lowered.append(row.id)
    return lowered
