"""The bulk rebuild's cluster ids and writes (``networks/rebuild.py``, phases 3 and 4).

An existing cluster keeps its id for the new network holding most of its members (the largest existing cluster
first, as in a merge); one left without a network is retired into the network holding most of its members
(``membership.fold_clusters``, as in a merge); networks without an id get new clusters. Then new clusters,
sizes, new and moved members and every link are written in bulk.
"""

from __future__ import annotations

from array import array
from collections import Counter

from sqlalchemy import delete, select, update

from safe4c.db.bulk import allocate_ids, b, bulk_insert, chunks, db_value, stream
from safe4c.db.linking import Cluster, ClusterLink, ClusterMember
from safe4c.kernel.uow import UnitOfWork
from safe4c.networks.membership import fold_clusters
from safe4c.networks.rules.linker import Linker


def assign_ids(uow: UnitOfWork, roots: array, old_of: array, lk: Linker) -> tuple[dict[int, int], dict[int, int], int]:
    """root -> cluster id. An existing cluster keeps its id for the network holding most of its members
    (largest existing clusters first, the oldest on a tie, as in a merge); the others are retired into
    the network that holds most of their members. Returns (cluster of root, retired id -> kept id, new clusters)."""
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
    missing = [r for r in range(len(lk.parent)) if lk.parent[r] == r and r not in cluster_of_root]
    if missing:
        start = allocate_ids(uow.session, Cluster.__table__, len(missing))
        for offset, root in enumerate(missing):
            cluster_of_root[root] = start + offset
    return cluster_of_root, retired, len(missing)


def write(uow: UnitOfWork, now, members: array, roots: array, old_of: array, cluster_of_root: dict[int, int],
          retired: dict[int, int], lk: Linker, links: tuple[array, array, array]) -> int:
    """Clusters, members and links written in bulk; returns the number of members that moved."""
    session = uow.session
    conn = session.connection()
    clusters_t, members_t, links_t = Cluster.__table__, ClusterMember.__table__, ClusterLink.__table__
    at = db_value(conn, clusters_t.c.created_at, now)
    root_of = {cid: root for root, cid in cluster_of_root.items()}
    size_updates, kept = [], set()
    for cid, size, merged in stream(conn, select(Cluster.id, Cluster.size, Cluster.merged_into), 50_000):
        root = root_of.get(cid)
        if root is not None:
            kept.add(cid)
            if (size, merged) != (lk.size[root], None):
                size_updates.append({"cid": cid, "size": lk.size[root]})
    new_rows = [(cid, at, at, lk.size[root]) for root, cid in cluster_of_root.items() if cid not in kept]
    del root_of, kept
    bulk_insert(conn, clusters_t, ["id", "created_at", "updated_at", "size"], new_rows)
    if size_updates:
        conn.execute(update(clusters_t).where(clusters_t.c.id == b("cid"))
                     .values(size=b("size"), merged_into=None, updated_at=now), size_updates)
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
    for part in chunks(moved, 10_000):
        conn.execute(update(members_t).where(members_t.c.report_id == b("rid")).values(cluster_id=b("cid")), part)

    # links: replaced
    conn.execute(delete(links_t))
    link_r, link_o, link_i = links
    bulk_insert(conn, links_t, ["cluster_id", "report_id", "other_report_id", "identifier_id", "created_at"],
                ((cluster_of_root[roots[r]], members[r], members[o], i, at) for r, o, i in zip(link_r, link_o, link_i)))
    return len(moved)


def _retire(uow: UnitOfWork, retired: dict[int, int], now) -> None:
    """An existing cluster whose members are now in another network: it points there (as after a merge)."""
    session = uow.session
    for old, keep_id in retired.items():
        fold_clusters(uow, session.get(Cluster, keep_id), [session.get(Cluster, old)], now)
    session.flush()
