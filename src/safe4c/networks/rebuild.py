"""Bulk rebuild of the networks: every report's cluster and links recomputed at once (``safe4c link rebuild``).

The incremental job (``networks/linking.link_report``) does one transaction per report: right for the live
flow, hours for a back-fill of a million historical reports. ``rebuild_links`` does the same work in bulk, in
ONE transaction, and leaves the database in the state the incremental path would have produced had it
linked the same reports one by one in arrival order (report id), with the same cuts and not-linking marks:

1. **extract** (only what was never extracted): reports that would get a ``report.link`` job
   (``reports/rules/intake_jobs.should_link``) and have neither identifiers nor a cluster yet are read in
   batches through the job's own ``identifiers.collect`` (``networks/rebuild_extract.py``); new
   ``link_identifiers`` rows (keyed hash, sealed key) and the edges (``report_identifiers``) are written with
   multi-row INSERTs, ``report_count`` is updated once per identifier. What is stored already (edges, their
   ``cut`` flags, ``linking`` marks) is reused as it is.
2. **link** in memory: the edges are streamed in (report, identifier) order; the pure core
   (``networks/rules/linker.Linker``) is fed each report's edges that link (not cut, identifier linking). A
   link is (report, first earlier report holding the identifier, identifier): exactly the incremental job's
   anchor.
3. **keep cluster ids**: an existing cluster keeps its id for the new network holding most of its
   members (the largest existing cluster first, as in a merge); an existing cluster left without a network
   is marked ``merged_into`` it (size 0; its decisions, referrals and assignee move over:
   ``membership.fold_clusters``, as in a merge); networks without an id get new clusters. On a database the
   incremental path kept, nothing changes (``networks/rebuild_clusters.py``, with the writes).
4. **write** in bulk: new clusters, sizes, new members (PostgreSQL ``COPY``, SQLite ``executemany``),
   members that moved, and ``cluster_links`` replaced (deleted and copied in again; ``created_at`` is the
   rebuild's time, as a re-split does).
5. **events and urgency**: a ``linked`` event (cluster and kinds, never a value) for each report that joined
   a network for the first time with at least one link; every open report of an urgent network is raised
   with ``urgency.raise_report`` (``networks/rebuild_events.py``; the very same code as the job: reason
   ``link.urgent_cluster``, a ``raised`` event, an audit entry ``report.raise``). Priorities are never
   lowered. (A hash-list match that runs later raises the network from the match job.) One audit entry
   ``link.rebuild`` (counts only) stands for the per-report ``report.link`` entries of the job.

It takes the linking lock (PostgreSQL advisory lock 4244) for the whole transaction, so ``report.link``
jobs wait and then find their report linked (the job is idempotent: it does nothing).
"""

from __future__ import annotations

import heapq
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

from sqlalchemy import select

from safe4c.db.bulk import stream
from safe4c.db.linking import ClusterMember, LinkIdentifier, ReportIdentifier
from safe4c.kernel import audit
from safe4c.kernel.uow import UnitOfWork
from safe4c.networks.identifiers import WEAK_SOURCE
from safe4c.networks.membership import lock
from safe4c.networks.rebuild_clusters import assign_ids, write
from safe4c.networks.rebuild_events import linked_events, raise_urgent
from safe4c.networks.rebuild_extract import extract_missing
from safe4c.networks.rules.linker import Linker

DEFAULT_BATCH = 20_000


@dataclass
class RebuildResult:
    reports: int = 0  # reports in networks (singletons included)
    extracted: int = 0  # reports whose identifiers were extracted by this rebuild
    new_identifiers: int = 0
    edges: int = 0  # report-identifier edges read
    clusters: int = 0  # networks (singletons included)
    multi: int = 0  # networks of 2+ reports
    largest: int = 0
    links: int = 0
    new_clusters: int = 0
    retired_clusters: int = 0  # existing clusters merged into another network
    moved_members: int = 0
    linked_events: int = 0
    raised: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per phase, for the benchmark

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def rebuild_links(*, uow_factory: Callable[[], UnitOfWork] | None = None, uow: UnitOfWork | None = None,
                  batch_size: int = DEFAULT_BATCH) -> RebuildResult:
    """Recompute every network in one transaction (see the module docstring). Commits."""
    if uow is None:
        if uow_factory is None:
            raise TypeError("rebuild_links needs uow or uow_factory")
        with uow_factory() as own:
            return _rebuild(own, batch_size)
    return _rebuild(uow, batch_size)


class _Timer:
    def __init__(self, result: RebuildResult):
        self.result, self.last = result, time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.result.seconds[phase] = self.result.seconds.get(phase, 0.0) + now - self.last
        self.last = now


def _rebuild(uow: UnitOfWork, batch_size: int) -> RebuildResult:
    result = RebuildResult()
    timer = _Timer(result)
    lock(uow)
    session = uow.session
    now = uow.now()

    # 1. extraction of what was never extracted -------------------------------------------------------
    extracted = extract_missing(uow, batch_size)
    empty, result.extracted, result.new_identifiers = extracted.empty, extracted.reports, extracted.new_identifiers
    session.flush()
    timer.lap("extract")

    conn = session.connection()
    not_linking = set(session.scalars(select(LinkIdentifier.id).where(LinkIdentifier.linking.is_(False))))
    old_rep, old_cl = array("q"), array("q")
    for rid, cid in stream(conn, select(ClusterMember.report_id, ClusterMember.cluster_id)
                            .order_by(ClusterMember.report_id), batch_size):
        old_rep.append(rid)
        old_cl.append(cid)
    timer.lap("read members")

    # 2. link in memory ---------------------------------------------------------------------------------
    kinds: list[str] = []
    kind_code: dict[str, int] = {}
    lk = Linker()
    add = lk.add
    members = array("q")  # report ids in arrival order: index = the linker's report number
    old_of = array("q")  # the report's cluster before the rebuild (0: none)
    link_r, link_o, link_i = array("q"), array("q"), array("q")
    link_k = array("b")
    edges_read = 0

    def edge_groups() -> Iterator[tuple[int, list]]:
        nonlocal edges_read
        rows = stream(conn, select(ReportIdentifier.report_id, ReportIdentifier.identifier_id,
                                    ReportIdentifier.cut, ReportIdentifier.kind, ReportIdentifier.source)
                       .order_by(ReportIdentifier.report_id, ReportIdentifier.identifier_id), batch_size)
        for rid, group in groupby(rows, key=itemgetter(0)):
            group = list(group)
            edges_read += len(group)
            yield rid, group

    old_iter = ((rid, ("old", cid)) for rid, cid in zip(old_rep, old_cl))
    empty_iter = ((rid, None) for rid in sorted(empty))
    merged = heapq.merge(edge_groups(), old_iter, empty_iter, key=itemgetter(0))
    for rid, items in groupby(merged, key=itemgetter(0)):
        keys, weak, kind_of, old = [], [], {}, 0
        for _, payload in items:
            if payload is None:
                continue
            if isinstance(payload, tuple):
                old = payload[1]
                continue
            for _, iid, cut, kind, source in payload:
                if not cut and iid not in not_linking:
                    (weak if source == WEAK_SOURCE else keys).append(iid)
                    kind_of[iid] = kind
        number, found = add(keys, weak)
        members.append(rid)
        old_of.append(old)
        for iid, earlier in found:
            link_r.append(number)
            link_o.append(earlier)
            link_i.append(iid)
            kind = kind_of[iid]
            code = kind_code.get(kind)
            if code is None:
                code = kind_code[kind] = len(kinds)
                kinds.append(kind)
            link_k.append(code)
    del old_rep, old_cl
    n = len(members)
    find = lk.find
    roots = array("q", (find(i) for i in range(n)))
    result.reports, result.edges, result.links = n, edges_read, len(link_r)
    timer.lap("link (in memory)")

    # 3. cluster ids --------------------------------------------------------------------------------------
    cluster_of_root, retired, result.new_clusters = assign_ids(uow, roots, old_of, lk)
    result.retired_clusters = len(retired)
    sizes = [lk.size[r] for r in range(len(lk.parent)) if lk.parent[r] == r]
    result.clusters, result.multi, result.largest = len(sizes), sum(1 for s in sizes if s > 1), max(sizes, default=0)
    timer.lap("assign ids")

    # 4. bulk writes --------------------------------------------------------------------------------------
    result.moved_members = write(uow, now, members, roots, old_of, cluster_of_root, retired, lk,
                                 (link_r, link_o, link_i))
    timer.lap("write")

    # 5. events, rechecks, urgency -------------------------------------------------------------------------
    result.linked_events = linked_events(uow, now, members, roots, old_of, cluster_of_root, link_r, link_k, kinds)
    timer.lap("events")
    result.raised = raise_urgent(uow, members, roots, cluster_of_root)
    timer.lap("urgency")
    audit.record(uow, actor_id=None, action="link.rebuild", subject_type="cluster", subject_id=None,
                 detail={"reports": result.reports, "extracted": result.extracted, "clusters": result.clusters,
                         "links": result.links, "new_clusters": result.new_clusters,
                         "retired_clusters": result.retired_clusters, "moved": result.moved_members,
                         "raised": result.raised})
    uow.commit()
    timer.lap("commit")
    return result
