"""The bulk rebuild (networks/rebuild.py) leaves the database exactly as the incremental job would, on
SQLite and PostgreSQL: same networks, same links with the identifier that made each, same identifiers and
edges, same urgency raises and report events; cuts and not-linking identifiers respected."""

from __future__ import annotations

import random
from collections import defaultdict

from sqlalchemy import delete, select

from safe4c.db.linking import (
    Cluster,
    ClusterLink,
    ClusterMember,
    LinkIdentifier,
    ReportIdentifier,
)
from safe4c.db.tables import AuditEntry, Job, Report, ReportEvent
from safe4c.reports.rules.report import parse_report
from safe4c.access import accounts
from safe4c.reports import intake
from safe4c.networks import corrections, linking, membership
from safe4c.networks.rebuild import rebuild_links
from safe4c.worker import Worker

POOL = 40  # shared identifiers: networks form, some large, some bridged


def _account(rng: random.Random, n: int) -> str:
    k = rng.randrange(POOL) if rng.random() < 0.6 else POOL + n
    return rng.choice([f"0812-7000-{k:04d}", f"@akun.{k}", f"https://t.me/+Grup{k:06d}"])


def submit_random(uow_factory, rng: random.Random, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        fields = {"situations": ["grooming"], "accounts": [_account(rng, n) for _ in range(rng.randint(0, 3))]}
        if rng.random() < 0.3:
            fields["story"] = f"Dia minta pindah ke nomor {_account(rng, n + 10_000)} lalu mengancam."
        if rng.random() < 0.08:
            fields["urgent_signals"] = ["meeting_planned"]  # P1 of its own: its network becomes urgent
        if not fields["accounts"] and "story" not in fields and rng.random() < 0.5:
            fields["story"] = "Tidak ada nomor atau akun."  # linked, no identifier: a one-report network
        with uow_factory() as uow:
            intake.submit_report(uow=uow, report=parse_report(fields), channel="web", language="id")


def run_jobs(uow_factory) -> None:
    worker = Worker(uow_factory)
    while worker.run_once(limit=500):
        pass


def snapshot(uow_factory) -> dict:
    """The linking state, by identifier key hash (ids of identifiers and clusters may differ)."""
    with uow_factory() as uow:
        s = uow.session
        key = dict(s.execute(select(LinkIdentifier.id, LinkIdentifier.key_hash)).all())
        member = dict(s.execute(select(ClusterMember.report_id, ClusterMember.cluster_id)).all())
        groups = defaultdict(set)
        for rid, cid in member.items():
            groups[cid].add(rid)
        for cluster in s.scalars(select(Cluster)):
            assert cluster.size == len(groups.get(cluster.id, ())), "cluster size matches its members"
            assert (cluster.merged_into is None) == (cluster.id in groups)
        links = set()
        for cid, rid, other, iid in s.execute(select(ClusterLink.cluster_id, ClusterLink.report_id,
                                                     ClusterLink.other_report_id, ClusterLink.identifier_id)):
            assert member[rid] == member[other] == cid, "a link stays inside its network"
            links.add((rid, other, key[iid]))
        events = defaultdict(list)
        for rid, kind in s.execute(select(ReportEvent.report_id, ReportEvent.kind).order_by(ReportEvent.id)):
            events[rid].append(kind)
        return {
            "members": member,
            "partition": frozenset(frozenset(g) for g in groups.values()),
            "links": links,
            "edges": {(r, key[i], k, src, cut) for r, i, k, src, cut in s.execute(
                select(ReportIdentifier.report_id, ReportIdentifier.identifier_id, ReportIdentifier.kind,
                       ReportIdentifier.source, ReportIdentifier.cut))},
            "identifiers": set(s.execute(select(LinkIdentifier.key_hash, LinkIdentifier.kind, LinkIdentifier.platform,
                                                LinkIdentifier.signal_key, LinkIdentifier.report_count,
                                                LinkIdentifier.linking)).all()),
            "reports": {r.id: (r.priority, tuple(x["code"] for x in r.triage_reasons or ()), r.deadline_at, r.status)
                        for r in s.scalars(select(Report))},
            "events": dict(events),
        }


def without_ids(snap: dict) -> dict:
    return {k: v for k, v in snap.items() if k != "members"}


def test_rebuild_of_an_incrementally_linked_database_changes_nothing(uow_factory):
    """Cuts and a not-linking identifier included; even the cluster ids stay."""
    rng = random.Random(11)
    submit_random(uow_factory, rng, 120)
    run_jobs(uow_factory)
    with uow_factory() as uow:
        admin = accounts.create_user(uow=uow, username="u-admin", password="correct horse battery", role="admin")
    with uow_factory() as uow:
        link_ids = list(uow.session.scalars(select(ClusterLink.id).order_by(ClusterLink.id)))
        common = uow.session.scalar(select(LinkIdentifier.id).order_by(LinkIdentifier.report_count.desc()).limit(1))
    for link_id in rng.sample(link_ids, 6):
        with uow_factory() as uow:
            if uow.session.get(ClusterLink, link_id) is not None:  # a cut re-creates the cluster's links
                corrections.cut_link(uow=uow, link_id=link_id, actor_id=admin, reason="Bukan orang yang sama.")
    with uow_factory() as uow:
        corrections.set_identifier_linking(uow=uow, identifier_id=common, linking=False, actor_id=admin,
                                       reason="Nomor umum.")
    submit_random(uow_factory, rng, 80, start=120)
    run_jobs(uow_factory)
    with uow_factory() as uow:
        link_ids = list(uow.session.scalars(select(ClusterLink.id).order_by(ClusterLink.id)))
    with uow_factory() as uow:
        corrections.cut_link(uow=uow, link_id=rng.choice(link_ids), actor_id=admin, reason="Salah tautan.")

    before = snapshot(uow_factory)
    assert len(before["partition"]) < len(before["members"]) - 20  # networks did form
    result = rebuild_links(uow_factory=uow_factory, batch_size=37)  # small batches: the batching is exercised
    after = snapshot(uow_factory)
    assert after == before
    assert (result.extracted, result.new_clusters, result.retired_clusters, result.moved_members, result.raised,
            result.linked_events) == (0, 0, 0, 0, 0, 0)
    assert result.links == len(before["links"])
    with uow_factory() as uow:
        entry = uow.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert entry.action == "link.rebuild" and entry.detail["clusters"] == len(before["partition"])


def test_bulk_rebuild_equals_the_incremental_job_from_scratch(uow_factory):
    """Reports whose link jobs never ran: the rebuild extracts, links, writes events and raises urgency in
    bulk; then the same reports linked one by one by the job give the same state."""
    rng = random.Random(5)
    submit_random(uow_factory, rng, 220)
    with uow_factory() as uow:  # a closed report is never raised
        for row in uow.session.scalars(select(Report).where(Report.id % 17 == 0)):
            row.status = "closed"
        uow.commit()
    with uow_factory() as uow:
        triage = {r.id: (r.priority, r.triage_reasons, r.deadline_at, r.triaged_at, r.updated_at)
                  for r in uow.session.scalars(select(Report))}
        queued = sorted(p["report_id"] for p in uow.session.scalars(select(Job.payload)
                                                                      .where(Job.kind == linking.JOB)))

    result = rebuild_links(uow_factory=uow_factory, batch_size=50)
    bulk = snapshot(uow_factory)
    assert result.extracted == len(queued) == len(bulk["members"])
    assert result.raised > 0 and result.linked_events > 0
    run_jobs(uow_factory)  # the queued report.link jobs find their reports linked and do nothing
    assert snapshot(uow_factory) == bulk

    with uow_factory() as uow:  # back to before any linking, then the incremental path, in arrival order
        s = uow.session
        for table in (ClusterLink, ClusterMember, ReportIdentifier, Cluster, LinkIdentifier):
            s.execute(delete(table))
        s.execute(delete(ReportEvent).where(ReportEvent.kind.in_(["linked", "raised"])))
        for row in s.scalars(select(Report)):
            row.priority, row.triage_reasons, row.deadline_at, row.triaged_at, row.updated_at = triage[row.id]
        uow.commit()
    for report_id in queued:
        with uow_factory() as uow:
            linking.link_report(uow=uow, report_id=report_id)
    incremental = snapshot(uow_factory)
    assert without_ids(bulk) == without_ids(incremental)


def test_a_back_filled_report_bridging_two_networks_retires_one_as_a_merge_would(uow_factory, clock):
    from safe4c.db.linking import Decision

    def submit(**fields):
        with uow_factory() as uow:
            return intake.submit_report(uow=uow, report=parse_report({"situations": ["grooming"]} | fields),
                                        channel="web", language="id").report_id

    submit(accounts=["0812-3456-7890"])
    submit(accounts=["@kak.rian"])
    run_jobs(uow_factory)
    with uow_factory() as uow:
        first, second = sorted(uow.session.scalars(select(Cluster.id)))
        user = accounts.create_user(uow=uow, username="u-an", password="correct horse battery", role="analyst")
    with uow_factory() as uow:
        uow.session.add(Decision(public_id="d-1", kind="confirm_material", cluster_id=second, actor_id=user,
                                 at=clock.now(), reason_sealed=b"x", detail={}))
        uow.commit()
    bridge = submit(accounts=["0812-3456-7890", "@kak.rian"])  # its job never runs: the rebuild links it
    result = rebuild_links(uow_factory=uow_factory)
    assert (result.extracted, result.retired_clusters, result.new_clusters, result.links) == (1, 1, 0, 2)
    with uow_factory() as uow:
        s = uow.session
        assert s.get(Cluster, first).size == 3 and s.get(Cluster, second).merged_into == first
        assert membership.resolve_cluster(uow, second).id == first
        assert s.scalar(select(Decision.cluster_id)) == first  # the decision follows, as after a merge
        row = s.scalar(select(Report).where(Report.public_id == bridge))
        # confirmed material in the network: every open report is raised
        assert row.priority == "P1" and row.triage_reasons[0]["code"] == "link.urgent_cluster"
        assert list(s.scalars(select(ReportEvent.kind).where(ReportEvent.report_id == row.id)
                              .order_by(ReportEvent.id))) == ["linked", "raised"]
