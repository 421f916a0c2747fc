"""Linking on SQLite and PostgreSQL: reports that share identifiers form one cluster, incrementally; a cut
link splits it; common identifiers can be marked as not linking; urgency spreads with a reason."""

from __future__ import annotations

from sqlalchemy import func, select

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
from safe4c.reports import escalation, intake
from safe4c.networks import corrections, linking, membership, urgency as network_urgency
from safe4c.worker import Worker

PHONE = "0812-3456-7890"
TELEGRAM = "https://t.me/+AbCdEf123456"


def submit(uow_factory, **fields) -> str:
    data = {"situations": ["grooming"]} | fields
    with uow_factory() as uow:
        return intake.submit_report(uow=uow, report=parse_report(data), channel="web", language="id").report_id


def run_jobs(uow_factory) -> None:
    worker = Worker(uow_factory)
    while worker.run_once():
        pass


def row_of(uow, public_id) -> Report:
    return uow.session.scalar(select(Report).where(Report.public_id == public_id))


def cluster_of(uow_factory, public_id) -> int | None:
    with uow_factory() as uow:
        return membership.cluster_of(uow, row_of(uow, public_id).id)


def analyst(uow_factory, role="analyst") -> int:
    with uow_factory() as uow:
        return accounts.create_user(uow=uow, username=f"u-{role}", password="correct horse battery", role=role)


def test_intake_enqueues_the_link_job_in_the_same_transaction(uow_factory):
    submit(uow_factory, accounts=[PHONE])
    submit(uow_factory)  # nothing to link: no job
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "report.link")) == 1


def test_reports_sharing_identifiers_form_one_cluster_with_explained_links(uow_factory):
    a = submit(uow_factory, accounts=[PHONE], story="Dia minta pindah ke Telegram.")
    b = submit(uow_factory, accounts=["@kak.rian"], platforms=["instagram"],
               story=f"Nomor WA dia +62 812 3456 7890, grupnya {TELEGRAM}")
    c = submit(uow_factory, accounts=[TELEGRAM])
    d = submit(uow_factory, accounts=["0857-1111-2222"])  # unrelated
    run_jobs(uow_factory)
    assert cluster_of(uow_factory, a) == cluster_of(uow_factory, b) == cluster_of(uow_factory, c)
    assert cluster_of(uow_factory, d) != cluster_of(uow_factory, a)
    with uow_factory() as uow:
        cid = cluster_of(uow_factory, a)
        assert uow.session.get(Cluster, cid).size == 3
        links = list(uow.session.execute(select(ClusterLink.report_id, ClusterLink.other_report_id, LinkIdentifier.kind)
                                         .join(LinkIdentifier, LinkIdentifier.id == ClusterLink.identifier_id)
                                         .where(ClusterLink.cluster_id == cid)))
        ids = {p: row_of(uow, p).id for p in (a, b, c)}
        assert set(links) == {(ids[b], ids[a], "phone"), (ids[c], ids[b], "tg_invite")}
        sources = set(uow.session.execute(select(ReportIdentifier.kind, ReportIdentifier.source)
                                          .where(ReportIdentifier.report_id == ids[b])).all())
        # the Instagram account is also held weakly as the same handle, platform not known
        assert sources == {("handle", "accounts"), ("handle", "any_platform"), ("phone", "story"),
                           ("tg_invite", "story")}
        # values are sealed and found by a keyed hash: no phone number in the clear
        assert all(b"6281234567890" not in r.value_sealed for r in uow.session.scalars(select(LinkIdentifier)))
        events = list(uow.session.scalars(select(ReportEvent.kind).where(ReportEvent.report_id == ids[c])))
        assert events == ["linked"]


def test_a_report_that_bridges_two_clusters_merges_them(uow_factory):
    a = submit(uow_factory, accounts=[PHONE])
    b = submit(uow_factory, accounts=[TELEGRAM])
    run_jobs(uow_factory)
    first, second = cluster_of(uow_factory, a), cluster_of(uow_factory, b)
    assert first != second
    bridge = submit(uow_factory, accounts=[PHONE, TELEGRAM])
    run_jobs(uow_factory)
    merged = cluster_of(uow_factory, bridge)
    assert cluster_of(uow_factory, a) == cluster_of(uow_factory, b) == merged
    with uow_factory() as uow:
        old = next(c for c in (first, second) if c != merged)
        assert membership.resolve_cluster(uow, old).id == merged  # an old link still finds the network
        assert uow.session.get(Cluster, merged).size == 3


def test_link_job_is_idempotent(uow_factory):
    a = submit(uow_factory, accounts=[PHONE])
    submit(uow_factory, accounts=[PHONE])
    run_jobs(uow_factory)
    with uow_factory() as uow:
        rid = row_of(uow, a).id
    with uow_factory() as uow:
        linking.link_report(uow=uow, report_id=rid)
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ClusterMember)) == 2
        assert uow.session.scalar(select(func.count()).select_from(ReportIdentifier)) == 2


def test_cutting_a_link_splits_the_cluster(uow_factory):
    school = "(021) 555-1234"
    a = submit(uow_factory, accounts=[school, PHONE])
    b = submit(uow_factory, accounts=[PHONE])
    c = submit(uow_factory, accounts=[school, "@orang.lain"], platforms=["tiktok"])
    run_jobs(uow_factory)
    cid = cluster_of(uow_factory, a)
    assert cluster_of(uow_factory, c) == cid
    user = analyst(uow_factory)
    with uow_factory() as uow:
        link = uow.session.scalar(select(ClusterLink).where(ClusterLink.report_id == row_of(uow, c).id))
        ids = corrections.cut_link(uow=uow, link_id=link.id, actor_id=user, reason="Nomor telepon sekolah, bukan pelaku.")
    assert len(ids) == 2 and ids[0] == cid
    assert cluster_of(uow_factory, a) == cluster_of(uow_factory, b) == cid
    assert cluster_of(uow_factory, c) == ids[1]
    with uow_factory() as uow:
        assert uow.session.get(Cluster, cid).size == 2 and uow.session.get(Cluster, ids[1]).size == 1
        assert uow.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == "cluster.cut"
    # a later report with the school number still joins a (the edge of c stays cut)
    d = submit(uow_factory, accounts=[school])
    run_jobs(uow_factory)
    assert cluster_of(uow_factory, d) == cid


def test_marking_a_common_identifier_as_not_linking_splits_and_undoing_joins(uow_factory):
    school = "(021) 555-1234"
    a = submit(uow_factory, accounts=[school])
    b = submit(uow_factory, accounts=[school])
    run_jobs(uow_factory)
    assert cluster_of(uow_factory, a) == cluster_of(uow_factory, b)
    admin = analyst(uow_factory, "admin")
    with uow_factory() as uow:
        ident = uow.session.scalar(select(LinkIdentifier.id))
        corrections.set_identifier_linking(uow=uow, identifier_id=ident, linking=False, actor_id=admin,
                                       reason="Nomor sekolah dipakai banyak pelapor.")
    assert cluster_of(uow_factory, a) != cluster_of(uow_factory, b)
    c = submit(uow_factory, accounts=[school])
    run_jobs(uow_factory)
    assert len({cluster_of(uow_factory, p) for p in (a, b, c)}) == 3
    with uow_factory() as uow:
        corrections.set_identifier_linking(uow=uow, identifier_id=ident, linking=True, actor_id=admin,
                                       reason="Keliru ditandai.")
    assert len({cluster_of(uow_factory, p) for p in (a, b, c)}) == 1


def test_joining_an_urgent_cluster_raises_priority_with_the_reason(uow_factory):
    urgent = submit(uow_factory, accounts=[PHONE], urgent_signals=["meeting_planned"])
    run_jobs(uow_factory)
    later = submit(uow_factory, accounts=[PHONE])  # grooming: P3 on its own
    run_jobs(uow_factory)
    with uow_factory() as uow:
        assert row_of(uow, urgent).priority == "P1"
        row = row_of(uow, later)
        assert row.priority == "P1" and row.triage_reasons[0]["code"] == "link.urgent_cluster"
        assert row.deadline_at <= uow.now().replace() + __import__("datetime").timedelta(minutes=60)
        kinds = list(uow.session.scalars(select(ReportEvent.kind).where(ReportEvent.report_id == row.id)
                                         .order_by(ReportEvent.id)))
        assert kinds == ["linked", "raised"]
        actions = list(uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions[-1] == "report.raise"


def test_an_urgent_report_raises_the_cluster_it_joins(uow_factory):
    calm = submit(uow_factory, accounts=[PHONE])
    closed_one = submit(uow_factory, accounts=[PHONE])
    run_jobs(uow_factory)
    with uow_factory() as uow:
        row_of(uow, closed_one).status = "closed"
        uow.commit()
    submit(uow_factory, accounts=[PHONE], urgent_signals=["danger_now"])
    run_jobs(uow_factory)
    with uow_factory() as uow:
        assert row_of(uow, calm).priority == "P1"
        assert row_of(uow, closed_one).priority == "P3"  # closed reports are left alone


# --- lowering after a split, the one raise, a late match (review fixes) -------------------------------------

SCHOOL = "(021) 555-1234"


def events_of(uow, public_id) -> list[str]:
    return list(uow.session.scalars(select(ReportEvent.kind).where(ReportEvent.report_id == row_of(uow, public_id).id)
                                    .order_by(ReportEvent.id)))


def test_cutting_the_wrong_link_lowers_a_priority_only_the_network_raised(uow_factory):
    urgent = submit(uow_factory, accounts=[SCHOOL, PHONE], urgent_signals=["meeting_planned"])
    calm = submit(uow_factory, accounts=[SCHOOL])  # grooming: P3 on its own
    run_jobs(uow_factory)
    with uow_factory() as uow:
        row = row_of(uow, calm)
        assert row.priority == "P1" and row.triage_reasons[0]["code"] == "link.urgent_cluster"
        link_id = uow.session.scalar(select(ClusterLink.id).where(ClusterLink.report_id == row.id))
    user = analyst(uow_factory)
    with uow_factory() as uow:
        corrections.cut_link(uow=uow, link_id=link_id, actor_id=user, reason="Nomor telepon sekolah, bukan pelaku.")
    with uow_factory() as uow:
        row = row_of(uow, calm)
        assert row.priority == "P3"
        assert "link.urgent_cluster" not in [r["code"] for r in row.triage_reasons]
        assert row.deadline_at == row.received_at + __import__("datetime").timedelta(hours=24)
        assert events_of(uow, calm)[-1] == "lowered"
        assert row_of(uow, urgent).priority == "P1"  # urgent on its own: untouched
        assert "report.lower" in list(uow.session.scalars(select(AuditEntry.action)))
        # report_count counts the reports holding the identifier: a cut does not change that
        for ident in uow.session.scalars(select(LinkIdentifier)):
            holders = uow.session.scalar(select(func.count()).select_from(ReportIdentifier)
                                         .where(ReportIdentifier.identifier_id == ident.id))
            assert ident.report_count == holders


def test_not_linking_moves_a_network_decision_to_the_part_holding_its_material(uow_factory):
    from safe4c.db.linking import Decision
    from safe4c.workspace import decisions as workspace

    md5 = "d41d8cd98f00b204e9800998ecf8427e"
    calm = submit(uow_factory, accounts=[SCHOOL])
    holder = submit(uow_factory, accounts=[SCHOOL, md5])
    run_jobs(uow_factory)
    cid = cluster_of(uow_factory, calm)
    user = analyst(uow_factory)
    with uow_factory() as uow:
        outcome = workspace.decide(uow=uow, kind="confirm_material", where=workspace.scope(uow, cluster_id=cid),
                                   actor_id=user, reason="Materi terkonfirmasi.", identifier_ids=[], platform_id=None,
                                   category="csam")
    with uow_factory() as uow:
        assert row_of(uow, calm).priority == "P1"
        school = next(i.id for i in uow.session.scalars(select(LinkIdentifier)) if i.kind == "phone")
        # the bank entry is switched off: only the decision keeps the holder's part urgent
        from safe4c.db.hashlist import HashEntry
        for entry in uow.session.scalars(select(HashEntry)):
            entry.enabled = False
        uow.commit()
    admin = analyst(uow_factory, "admin")
    with uow_factory() as uow:
        corrections.set_identifier_linking(uow=uow, identifier_id=school, linking=False, actor_id=admin,
                                       reason="Nomor sekolah dipakai banyak pelapor.")
    with uow_factory() as uow:
        decision = uow.session.scalar(select(Decision).where(Decision.public_id == outcome.decision_id))
        assert decision.cluster_id == membership.cluster_of(uow, row_of(uow, holder).id) != cid
        assert network_urgency.urgency(uow, decision.cluster_id)["urgent"]
        assert not network_urgency.urgency(uow, cid)["urgent"]
        assert row_of(uow, calm).priority == "P3" and events_of(uow, calm)[-1] == "lowered"


def _platform_report(uow_factory, *, escalate: bool) -> int:
    """A platform's report stored untriaged (as after a triage failure), with its escalation flag."""
    from safe4c.db.platforms import PlatformReport
    from safe4c.access import platforms

    with uow_factory() as uow:
        p = platforms.create_platform(uow=uow, name="TikTok Indonesia", taxonomy_code="tiktok")
    with uow_factory() as uow:
        rid, _ = intake.stage_report(uow=uow, report=parse_report({"situations": ["grooming"], "accounts": [PHONE]}),
                                     channel="platform", language="id", platform_escalation=escalate)
        uow.session.add(PlatformReport(report_id=rid, platform_id=p.id, body_hash="0" * 64,
                                       escalate_to_urgent=escalate, annotations=[], content_hashes=[],
                                       detail_sealed=uow.ctx.sealer.seal("{}", context="platform_report.detail")))
        row = uow.session.get(Report, rid)
        row.priority = row.triage_reasons = row.deadline_at = row.triaged_at = None
        uow.commit()
    return rid


def test_a_raise_of_an_untriaged_platform_report_keeps_its_escalation(uow_factory):
    rid = _platform_report(uow_factory, escalate=True)
    for reason in ("link.urgent_cluster", "match.known_material"):
        with uow_factory() as uow:
            row = uow.session.get(Report, rid)
            row.priority = row.triage_reasons = row.deadline_at = None
            assert escalation.raise_to_p1(uow, row, reason_code=reason, event_kind="raised", note="#1")
            codes = [r["code"] for r in row.triage_reasons]
            assert row.priority == "P1" and reason in codes and "platform.escalated" in codes
            # escalated at intake: due an hour after it arrived, not an hour after the raise
            assert row.deadline_at == row.received_at + __import__("datetime").timedelta(minutes=60)
            uow.rollback()


def test_the_deadline_of_a_raise_is_the_earlier_of_the_old_one_and_an_hour_from_now(uow_factory, clock):
    from datetime import timedelta

    calm = submit(uow_factory, accounts=[PHONE])  # P3: due in 24 hours
    clock.advance(hours=3)
    with uow_factory() as uow:
        row = row_of(uow, calm)
        assert escalation.raise_to_p1(uow, row, reason_code="link.urgent_cluster", event_kind="raised")
        assert row.deadline_at == uow.now() + timedelta(minutes=60)  # learnt late: an hour from now
        assert not escalation.raise_to_p1(uow, row, reason_code="link.urgent_cluster", event_kind="raised")
        uow.commit()
    urgent = submit(uow_factory, accounts=["0857-1111-2222"], urgent_signals=["danger_now"])  # due in 1 hour
    clock.advance(minutes=50)
    with uow_factory() as uow:
        row = row_of(uow, urgent)
        due = row.deadline_at
        assert escalation.raise_to_p1(uow, row, reason_code="match.known_material", event_kind="matched")
        assert row.deadline_at == due  # already earlier: stays
        assert row.triage_reasons[0]["text"] == "Reported content matches known child sexual abuse material."


def test_a_late_match_raises_the_rest_of_the_network(uow_factory):
    from safe4c.hashlist import banks as hashlist, known_material
    from safe4c.hashlist.matcher import SharedMatcher

    link = "https://tiktok.com/@pemburu.rahasia/video/1"
    calm = submit(uow_factory, accounts=[PHONE])
    carrier = submit(uow_factory, accounts=[PHONE, link])
    run_jobs(uow_factory)  # linked; the match found nothing (the list is empty)
    with uow_factory() as uow:
        assert row_of(uow, calm).priority == "P3"
        assert uow.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "link.recheck")) == 0
    with uow_factory() as uow:
        bank = hashlist.create_bank(uow=uow, name="National CSAM list", confirmed=True)
    with uow_factory() as uow:
        hashlist.add_entry(uow=uow, bank_id=bank, signal_type="url", value=link)
    with uow_factory() as uow:
        figures = known_material.match_report(uow=uow, report_id=row_of(uow, carrier).id, matcher=SharedMatcher())
    assert figures["raised"] is True and figures["network_raised"] == 1
    with uow_factory() as uow:
        assert row_of(uow, carrier).triage_reasons[0]["code"] == "match.known_material"
        row = row_of(uow, calm)
        assert row.priority == "P1" and row.triage_reasons[0]["code"] == "link.urgent_cluster"
        assert events_of(uow, calm)[-1] == "raised"

