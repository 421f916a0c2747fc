"""Bulk rebuild of the networks: every report's cluster and links recomputed at once (``safe4c link rebuild``).

The incremental job (``services/linking.link_report``) does one transaction per report: right for the live
flow, hours for a back-fill of a million historical reports. ``rebuild_links`` does the same work in bulk, in
ONE transaction, and leaves the database in the state the incremental path would have produced had it
linked the same reports one by one in arrival order (report id), with the same cuts and not-linking marks:

1. **extract** (only what was never extracted): reports that would get a ``report.link`` job
   (``linking.should_link``) and have neither identifiers nor a cluster yet are read in batches through the
   job's own ``linking.collect``; new ``link_identifiers`` rows (keyed hash, sealed key) and the edges
   (``report_identifiers``) are written with multi-row INSERTs, ``report_count`` is updated once per
   identifier. What is stored already (edges, their ``cut`` flags, ``linking`` marks) is reused as it is.
2. **link** in memory: the edges are streamed in (report, identifier) order; the pure core
   (``domain.linker.Linker``) is fed each report's edges that link (not cut, identifier linking). A link is
   (report, first earlier report holding the identifier, identifier): exactly the incremental job's anchor.
3. **keep cluster ids**: an existing cluster keeps its id for the new network holding most of its
   members (the largest existing cluster first, as in a merge); an existing cluster left without a network
   is marked ``merged_into`` it (size 0; its decisions, referrals and assignee move over:
   ``linking.fold_clusters``, as in a merge); networks without an id get new clusters. On a database the incremental path kept,
   nothing changes.
4. **write** in bulk: new clusters, sizes, new members (PostgreSQL ``COPY``, SQLite ``executemany``),
   members that moved, and ``cluster_links`` replaced (deleted and copied in again; ``created_at`` is the
   rebuild's time, as a re-split does).
5. **events and urgency**: a ``linked`` event (cluster and kinds, never a value) for each report that joined
   a network for the first time with at least one link; every open report of an urgent network is raised
   with ``linking.raise_report`` (the very same code as the job: reason ``link.urgent_cluster``, a
   ``raised`` event, an audit entry ``report.raise``). Priorities are never lowered. (A hash-list match that
   runs later raises the network from the match job.) One audit entry ``link.rebuild``
   (counts only) stands for the per-report ``report.link`` entries of the job.

It takes the linking lock (PostgreSQL advisory lock 4244) for the whole transaction, so ``report.link``
jobs wait and then find their report linked (the job is idempotent: it does nothing).
"""

from __future__ import annotations

import heapq
import time
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

from sqlalchemy import Text, bindparam, cast, delete, func, or_, select, update

from safe4c.db.linking import (
    Cluster,
    ClusterLink,
    ClusterMember,
    Decision,
    LinkIdentifier,
    ReportIdentifier,
)
from safe4c.db.platforms import PlatformReport
from safe4c.db.tables import Report, ReportEvent
from safe4c.networks.rules.linker import Linker
from safe4c.reports.rules.triage import KNOWN_MATERIAL
from safe4c.kernel import audit
from safe4c.networks import linking
from safe4c.reports import fields as report_fields
from safe4c.kernel.uow import UnitOfWork

DEFAULT_BATCH = 20_000
_IN_CHUNK = 900  # ids per IN (...) list: well under SQLite's bound-parameter limit


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


def _chunks(seq, size: int) -> Iterator:
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


def _stream(conn, stmt, batch_size: int) -> Iterator[tuple]:
    """Rows of a large SELECT in batches (a server-side cursor on PostgreSQL)."""
    # per statement: Connection.execution_options() would change the connection itself
    result = conn.execute(stmt, execution_options={"stream_results": True, "yield_per": batch_size})
    for part in result.partitions(batch_size):
        yield from part


def _rebuild(uow: UnitOfWork, batch_size: int) -> RebuildResult:
    result = RebuildResult()
    timer = _Timer(result)
    linking.lock(uow)
    session = uow.session
    now = uow.now()

    # 1. extraction of what was never extracted -------------------------------------------------------
    empty = _extract_missing(uow, batch_size, result)
    session.flush()
    timer.lap("extract")

    conn = session.connection()
    not_linking = set(session.scalars(select(LinkIdentifier.id).where(LinkIdentifier.linking.is_(False))))
    old_rep, old_cl = array("q"), array("q")
    for rid, cid in _stream(conn, select(ClusterMember.report_id, ClusterMember.cluster_id)
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
        rows = _stream(conn, select(ReportIdentifier.report_id, ReportIdentifier.identifier_id,
                                    ReportIdentifier.cut, ReportIdentifier.kind)
                       .order_by(ReportIdentifier.report_id, ReportIdentifier.identifier_id), batch_size)
        for rid, group in groupby(rows, key=itemgetter(0)):
            group = list(group)
            edges_read += len(group)
            yield rid, group

    old_iter = ((rid, ("old", cid)) for rid, cid in zip(old_rep, old_cl))
    empty_iter = ((rid, None) for rid in sorted(empty))
    merged = heapq.merge(edge_groups(), old_iter, empty_iter, key=itemgetter(0))
    for rid, items in groupby(merged, key=itemgetter(0)):
        keys, kind_of, old = [], {}, 0
        for _, payload in items:
            if payload is None:
                continue
            if isinstance(payload, tuple):
                old = payload[1]
                continue
            for _, iid, cut, kind in payload:
                if not cut and iid not in not_linking:
                    keys.append(iid)
                    kind_of[iid] = kind
        number, found = add(keys)
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
    cluster_of_root, retired = _assign_ids(uow, roots, old_of, lk, result)
    timer.lap("assign ids")

    # 4. bulk writes --------------------------------------------------------------------------------------
    _write(uow, now, members, roots, old_of, cluster_of_root, retired, lk, (link_r, link_o, link_i), result)
    timer.lap("write")

    # 5. events, rechecks, urgency -------------------------------------------------------------------------
    _linked_events(uow, now, members, roots, old_of, cluster_of_root, link_r, link_k, kinds, result)
    timer.lap("events")
    _raise_urgent(uow, now, members, roots, cluster_of_root, result)
    timer.lap("urgency")
    audit.record(uow, actor_id=None, action="link.rebuild", subject_type="cluster", subject_id=None,
                 detail={"reports": result.reports, "extracted": result.extracted, "clusters": result.clusters,
                         "links": result.links, "new_clusters": result.new_clusters,
                         "retired_clusters": result.retired_clusters, "moved": result.moved_members,
                         "raised": result.raised})
    uow.commit()
    timer.lap("commit")
    return result


# --- 1. extraction ----------------------------------------------------------------------------------------

def _extract_missing(uow: UnitOfWork, batch_size: int, result: RebuildResult) -> set[int]:
    """Extract, as the job does, the identifiers of reports that would be linked and never were. Returns the
    ids of those that had none (they still become one-report networks, as with the job)."""
    session = uow.session
    conn = session.connection()
    member = select(ClusterMember.report_id).where(ClusterMember.report_id == Report.id).exists()
    edged = select(ReportIdentifier.report_id).where(ReportIdentifier.report_id == Report.id).exists()
    todo = array("q", conn.scalars(select(Report.id).where(~member, ~edged).order_by(Report.id)))
    empty: set[int] = set()
    counts: Counter[int] = Counter()
    at = _db_value(conn, LinkIdentifier.__table__.c.first_seen_at, uow.now())
    open_ = uow.ctx.sealer.open
    for chunk in _chunks(todo, batch_size):
        rows = []
        for part in _chunks(chunk, _IN_CHUNK):  # only the reports to extract, never a whole id range
            rows += session.scalars(select(Report).where(Report.id.in_(list(part))))
        rows.sort(key=lambda r: r.id)
        platform_ids = [r.id for r in rows if r.channel == "platform"]
        for part in _chunks(platform_ids, _IN_CHUNK):  # into the identity map: collect() gets them from it
            session.scalars(select(PlatformReport).where(PlatformReport.report_id.in_(part))).all()
        found_of: list[tuple[int, list]] = []
        digests: dict[str, tuple[str, object]] = {}
        for row in rows:
            story = open_(row.story_sealed, context="report.story")
            if not linking.should_link(channel=row.channel, accounts=report_fields.has_accounts(row), story=story):
                continue
            found = linking.collect(uow, row, story=story)
            found_of.append((row.id, found))
            for identifier, _ in found:
                if identifier.key not in digests:
                    digests[identifier.key] = (linking.key_hash(uow, identifier.key), identifier)
        known: dict[str, int] = {}
        hashes = [h for h, _ in digests.values()]
        for part in _chunks(hashes, _IN_CHUNK):
            known.update({h: i for i, h in conn.execute(
                select(LinkIdentifier.id, LinkIdentifier.key_hash).where(LinkIdentifier.key_hash.in_(part)))})
        new = [(h, ident) for h, ident in digests.values() if h not in known]
        if new:  # ids allocated here (under the linking lock nobody else creates identifiers), rows copied in
            start = _allocate_ids(uow, LinkIdentifier.__table__, len(new))
            seal = uow.ctx.sealer.seal
            rows = []
            for n, (h, ident) in enumerate(new):
                known[h] = start + n
                rows.append((start + n, h, ident.kind, ident.platform, seal(ident.key, context="identifier.key"),
                             linking.signal_key(ident), True, 0, at))
            bulk_insert(conn, LinkIdentifier.__table__, ["id", "key_hash", "kind", "platform", "value_sealed",
                                                         "signal_key", "linking", "report_count", "first_seen_at"],
                        rows)
        result.new_identifiers += len(new)
        edges = []
        for report_id, found in found_of:
            result.extracted += 1
            if not found:
                empty.add(report_id)
            for identifier, source in found:
                iid = known[digests[identifier.key][0]]
                counts[iid] += 1
                edges.append((report_id, iid, identifier.kind, source, False))
        bulk_insert(conn, ReportIdentifier.__table__, ["report_id", "identifier_id", "kind", "source", "cut"], edges)
        session.expunge_all()
    if counts:
        stmt = (update(LinkIdentifier.__table__).where(LinkIdentifier.__table__.c.id == _b("iid"))
                .values(report_count=LinkIdentifier.__table__.c.report_count + _b("n")))
        for part in _chunks(list(counts.items()), 10_000):
            conn.execute(stmt, [{"iid": i, "n": c} for i, c in part])
    return empty


def _b(name: str):
    return bindparam(name)


# --- 3. cluster ids ---------------------------------------------------------------------------------------

def _assign_ids(uow: UnitOfWork, roots: array, old_of: array, lk: Linker,
                result: RebuildResult) -> tuple[dict[int, int], dict[int, int]]:
    """root -> cluster id. An existing cluster keeps its id for the network holding most of its members
    (largest existing clusters first, the oldest on a tie, as in a merge); the others are retired into
    the network that holds most of their members. Returns (cluster of root, retired id -> kept id)."""
    pairs: Counter[tuple[int, int]] = Counter()
    first: dict[tuple[int, int], int] = {}  # (old cluster, network) -> its first member in arrival order
    for i, (root, old) in enumerate(zip(roots, old_of)):
        if old:
            pairs[old, root] += 1
            first.setdefault((old, root), i)
    by_old: dict[int, list[tuple[int, int, int]]] = {}
    for (old, root), count in pairs.items():
        by_old.setdefault(old, []).append((count, -first[old, root], root))
    del pairs, first
    cluster_of_root: dict[int, int] = {}
    retired: dict[int, int] = {}
    size_of = {old: sum(part[0] for part in parts) for old, parts in by_old.items()}
    for old in sorted(by_old, key=lambda c: (-size_of[c], c)):
        # The network with most of its members; on a tie the one whose first report arrived first (as a
        # re-split keeps the id for the largest part).
        _, _, root = max(by_old[old])
        if root not in cluster_of_root:
            cluster_of_root[root] = old
        else:
            retired[old] = root
    retired = {old: cluster_of_root[root] for old, root in retired.items()}
    # new clusters for the networks that have no id yet
    distinct_roots = [r for r in range(len(lk.parent)) if lk.parent[r] == r]
    missing = [r for r in distinct_roots if r not in cluster_of_root]
    result.clusters = len(distinct_roots)
    sizes = [lk.size[r] for r in distinct_roots]
    result.multi = sum(1 for s in sizes if s > 1)
    result.largest = max(sizes, default=0)
    if missing:
        start = _allocate_ids(uow, Cluster.__table__, len(missing))
        for offset, root in enumerate(missing):
            cluster_of_root[root] = start + offset
    result.new_clusters = len(missing)
    result.retired_clusters = len(retired)
    return cluster_of_root, retired


def _allocate_ids(uow: UnitOfWork, table, count: int) -> int:
    """The first of ``count`` consecutive new ids of ``table`` (clusters, link_identifiers: only linking
    creates them, under the linking lock, so nobody else takes one meanwhile)."""
    session = uow.session
    top = session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    if session.bind.dialect.name != "postgresql":
        return top + 1
    seq = session.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
    start = max(top + 1, session.scalar(select(func.nextval(seq))))
    session.execute(select(func.setval(seq, start + count - 1)))
    return start


# --- 4. writes --------------------------------------------------------------------------------------------

def _db_value(conn, column, value):
    """A value as the driver receives it (SQLite stores datetimes as text in SQLAlchemy's format)."""
    processor = column.type._cached_bind_processor(conn.dialect)
    return processor(value) if processor else value


def bulk_insert(conn, table, columns: list[str], rows: Iterable[tuple], *, batch_size: int = 50_000) -> int:
    """Many rows fast: ``COPY ... FROM STDIN`` on PostgreSQL, ``executemany`` on SQLite. The values must be
    as the driver takes them (see ``_db_value`` for datetimes on SQLite). Returns the number of rows."""
    raw = conn.connection.dbapi_connection
    count = 0
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    sql = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    cur = raw.cursor()
    try:
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                cur.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
            count += len(batch)
    finally:
        cur.close()
    return count


def _write(uow: UnitOfWork, now, members: array, roots: array, old_of: array, cluster_of_root: dict[int, int],
           retired: dict[int, int], lk: Linker, links: tuple[array, array, array], result: RebuildResult) -> None:
    session = uow.session
    conn = session.connection()
    clusters_t, members_t, links_t = Cluster.__table__, ClusterMember.__table__, ClusterLink.__table__
    at = _db_value(conn, clusters_t.c.created_at, now)
    root_of = {cid: root for root, cid in cluster_of_root.items()}
    size_updates, kept = [], set()
    for cid, size, merged in _stream(conn, select(Cluster.id, Cluster.size, Cluster.merged_into), 50_000):
        root = root_of.get(cid)
        if root is not None:
            kept.add(cid)
            if (size, merged) != (lk.size[root], None):
                size_updates.append({"cid": cid, "size": lk.size[root]})
    new_rows = [(cid, at, at, lk.size[root]) for root, cid in cluster_of_root.items() if cid not in kept]
    del root_of, kept
    bulk_insert(conn, clusters_t, ["id", "created_at", "updated_at", "size"], new_rows)
    if size_updates:
        conn.execute(update(clusters_t).where(clusters_t.c.id == _b("cid"))
                     .values(size=_b("size"), merged_into=None, updated_at=now), size_updates)
    if retired:
        _retire(uow, retired, now)

    # members: new ones copied in, moved ones updated, the others left as they are (joined_at kept)
    moved = []

    def new_members():
        for rid, root, old in zip(members, roots, old_of):
            cid = cluster_of_root[root]
            if not old:
                yield rid, cid, at
            elif old != cid:
                moved.append({"rid": rid, "cid": cid})

    bulk_insert(conn, members_t, ["report_id", "cluster_id", "joined_at"], new_members())
    for part in _chunks(moved, 10_000):
        conn.execute(update(members_t).where(members_t.c.report_id == _b("rid")).values(cluster_id=_b("cid")), part)
    result.moved_members = len(moved)

    # links: replaced
    conn.execute(delete(links_t))
    link_r, link_o, link_i = links
    bulk_insert(conn, links_t, ["cluster_id", "report_id", "other_report_id", "identifier_id", "created_at"],
                ((cluster_of_root[roots[r]], members[r], members[o], i, at) for r, o, i in zip(link_r, link_o, link_i)))


def _retire(uow: UnitOfWork, retired: dict[int, int], now) -> None:
    """An existing cluster whose members are now in another network: it points there (as after a merge)."""
    session = uow.session
    for old, keep_id in retired.items():
        linking.fold_clusters(uow, session.get(Cluster, keep_id), [session.get(Cluster, old)], now)
    session.flush()


# --- 5. events and urgency --------------------------------------------------------------------------------

def _linked_events(uow: UnitOfWork, now, members: array, roots: array, old_of: array,
                   cluster_of_root: dict[int, int], link_r: array, link_k: array, kinds: list[str],
                   result: RebuildResult) -> None:
    """A ``linked`` event for each report that joined a network for the first time by at least one link
    (what the job writes)."""
    conn = uow.session.connection()
    seal = uow.ctx.sealer.seal
    at = _db_value(conn, ReportEvent.__table__.c.at, now)

    def rows():
        for r, group in groupby(zip(link_r, link_k), key=itemgetter(0)):
            if old_of[r]:
                continue
            names = sorted({kinds[k] for _, k in group})
            note = f"#{cluster_of_root[roots[r]]} · " + ", ".join(names)
            yield members[r], at, "linked", seal(note, context="report.note")

    result.linked_events = bulk_insert(conn, ReportEvent.__table__, ["report_id", "at", "kind", "note_sealed"], rows())


def _raise_urgent(uow: UnitOfWork, now, members: array, roots: array, cluster_of_root: dict[int, int],
                  result: RebuildResult) -> None:
    """Every open report of an urgent network is raised, as ``linking.raise_if_urgent`` does."""
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
        if i is not None and any(linking._is_urgent_source(priority, reasons)):
            urgent_roots.add(roots[i])
    # an analyst's confirm_material decision on the network (decisions follow retired clusters)
    root_of_cluster = {cid: root for root, cid in cluster_of_root.items()}
    for cid in session.scalars(select(Decision.cluster_id).where(Decision.kind == "confirm_material",
                                                                 Decision.cluster_id.is_not(None)).distinct()):
        if cid in root_of_cluster:
            urgent_roots.add(root_of_cluster[cid])
    # a hash or link of the network in an enabled confirmed bank
    for rid in conn.scalars(linking.listed_material_holders().distinct()):
        i = index(rid)
        if i is not None:
            urgent_roots.add(roots[i])
    if not urgent_roots:
        return
    candidates = [members[i] for i in range(len(members)) if roots[i] in urgent_roots]
    for part in _chunks(candidates, _IN_CHUNK):
        todo = [rid for rid, priority, reasons in conn.execute(
            select(Report.id, Report.priority, Report.triage_reasons)
            .where(Report.id.in_(part), Report.status != "closed").order_by(Report.id))
            if linking.needs_raise(priority, reasons)]
        if not todo:
            continue
        for row in session.scalars(select(Report).where(Report.id.in_(todo)).order_by(Report.id)):
            cid = cluster_of_root[roots[index(row.id)]]
            if linking.raise_report(uow, row, cid):
                result.raised += 1
        session.flush()
