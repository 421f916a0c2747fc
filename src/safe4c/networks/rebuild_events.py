"""The bulk rebuild's last phase (``networks/rebuild.py``, phase 5): ``linked`` events, and the raises of
urgent networks, as the ``report.link`` job writes them."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from itertools import groupby
from operator import itemgetter

from sqlalchemy import Text, cast, or_, select

from safe4c.db.bulk import IN_CHUNK, bulk_insert, chunks, db_value
from safe4c.db.linking import Decision
from safe4c.db.tables import Report, ReportEvent
from safe4c.kernel.uow import UnitOfWork
from safe4c.networks.rules import urgency as rules
from safe4c.networks.urgency import listed_material_holders, raise_report
from safe4c.reports.rules.triage import KNOWN_MATERIAL


def linked_events(uow: UnitOfWork, now, members: array, roots: array, old_of: array,
                  cluster_of_root: dict[int, int], link_r: array, link_k: array, kinds: list[str]) -> int:
    """A ``linked`` event for each report that joined a network for the first time by at least one link
    (what the job writes). Returns how many."""
    conn = uow.session.connection()
    seal = uow.ctx.sealer.seal
    at = db_value(conn, ReportEvent.__table__.c.at, now)

    def rows():
        for r, group in groupby(zip(link_r, link_k), key=itemgetter(0)):
            if old_of[r]:
                continue
            names = sorted({kinds[k] for _, k in group})
            note = f"#{cluster_of_root[roots[r]]} · " + ", ".join(names)
            yield members[r], at, "linked", seal(note, context="report.note")

    return bulk_insert(conn, ReportEvent.__table__, ["report_id", "at", "kind", "note_sealed"], rows())


def raise_urgent(uow: UnitOfWork, members: array, roots: array, cluster_of_root: dict[int, int]) -> int:
    """Every open report of an urgent network is raised, as ``urgency.raise_if_urgent`` does (the same rules,
    ``networks/rules/urgency.py``, and the same raise). Returns how many were raised."""
    session = uow.session
    conn = session.connection()

    def index(rid: int) -> int | None:
        i = bisect_left(members, rid)
        return i if i < len(members) and members[i] == rid else None

    urgent_roots: set[int] = set()
    # P1 for a reason of its own, or confirmed material by the hash-list match
    for rid, priority, reasons in conn.execute(
            select(Report.id, Report.priority, Report.triage_reasons)
            .where(or_(Report.priority == "P1", cast(Report.triage_reasons, Text).like(f"%{KNOWN_MATERIAL}%")))):
        i = index(rid)
        if i is not None and rules.makes_urgent(priority, reasons):
            urgent_roots.add(roots[i])
    # an analyst's confirm_material decision on the network (decisions follow retired clusters)
    root_of_cluster = {cid: root for root, cid in cluster_of_root.items()}
    for cid in session.scalars(select(Decision.cluster_id).where(Decision.kind == "confirm_material",
                                                                 Decision.cluster_id.is_not(None)).distinct()):
        if cid in root_of_cluster:
            urgent_roots.add(root_of_cluster[cid])
    # a hash or link of the network in an enabled confirmed bank
    for rid in conn.scalars(listed_material_holders().distinct()):
        i = index(rid)
        if i is not None:
            urgent_roots.add(roots[i])
    if not urgent_roots:
        return 0
    raised = 0
    candidates = [members[i] for i in range(len(members)) if roots[i] in urgent_roots]
    for part in chunks(candidates, IN_CHUNK):
        todo = [rid for rid, priority, reasons in conn.execute(
            select(Report.id, Report.priority, Report.triage_reasons)
            .where(Report.id.in_(part), Report.status != "closed").order_by(Report.id))
            if rules.needs_raise(priority, reasons)]
        if not todo:
            continue
        for row in session.scalars(select(Report).where(Report.id.in_(todo)).order_by(Report.id)):
            cid = cluster_of_root[roots[index(row.id)]]
            if raise_report(uow, row, cid):
                raised += 1
        session.flush()
    return raised
