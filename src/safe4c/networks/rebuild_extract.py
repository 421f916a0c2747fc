"""The bulk rebuild's first phase (``networks/rebuild.py``): the identifiers of reports that would be linked and
never were, extracted as the ``report.link`` job does (``networks/identifiers.collect``) and written in bulk."""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select, update

from safe4c.db.bulk import IN_CHUNK, allocate_ids, b, bulk_insert, chunks, db_value
from safe4c.db.linking import ClusterMember, LinkIdentifier, ReportIdentifier
from safe4c.db.platforms import PlatformReport
from safe4c.db.tables import Report
from safe4c.kernel.uow import UnitOfWork
from safe4c.networks.identifiers import collect, key_hash, signal_key
from safe4c.reports import fields as report_fields
from safe4c.reports.rules.intake_jobs import should_link


@dataclass(frozen=True)
class Extracted:
    empty: set[int]  # reports extracted that hold no identifier (still one-report networks)
    reports: int  # reports whose identifiers were extracted
    new_identifiers: int


def extract_missing(uow: UnitOfWork, batch_size: int) -> Extracted:
    """Extract, as the job does, the identifiers of reports that would be linked and never were. Returns the
    ids of those that had none (they still become one-report networks, as with the job), with the counts."""
    session = uow.session
    conn = session.connection()
    member = select(ClusterMember.report_id).where(ClusterMember.report_id == Report.id).exists()
    edged = select(ReportIdentifier.report_id).where(ReportIdentifier.report_id == Report.id).exists()
    todo = array("q", conn.scalars(select(Report.id).where(~member, ~edged).order_by(Report.id)))
    empty: set[int] = set()
    extracted = new_identifiers = 0
    counts: Counter[int] = Counter()
    at = db_value(conn, LinkIdentifier.__table__.c.first_seen_at, uow.now())
    open_ = uow.ctx.sealer.open
    for chunk in chunks(todo, batch_size):
        rows = []
        for part in chunks(chunk, IN_CHUNK):  # only the reports to extract, never a whole id range
            rows += session.scalars(select(Report).where(Report.id.in_(list(part))))
        rows.sort(key=lambda r: r.id)
        platform_ids = [r.id for r in rows if r.channel == "platform"]
        for part in chunks(platform_ids, IN_CHUNK):  # into the identity map: collect() gets them from it
            session.scalars(select(PlatformReport).where(PlatformReport.report_id.in_(part))).all()
        found_of: list[tuple[int, list]] = []
        digests: dict[str, tuple[str, object]] = {}
        for row in rows:
            story = open_(row.story_sealed, context="report.story")
            if not should_link(channel=row.channel, accounts=report_fields.has_accounts(row), story=story):
                continue
            found = collect(uow, row, story=story)
            found_of.append((row.id, found))
            for identifier, _ in found:
                if identifier.key not in digests:
                    digests[identifier.key] = (key_hash(uow, identifier.key), identifier)
        known: dict[str, int] = {}
        hashes = [h for h, _ in digests.values()]
        for part in chunks(hashes, IN_CHUNK):
            known.update({h: i for i, h in conn.execute(
                select(LinkIdentifier.id, LinkIdentifier.key_hash).where(LinkIdentifier.key_hash.in_(part)))})
        new = [(h, ident) for h, ident in digests.values() if h not in known]
        if new:  # ids allocated here (under the linking lock nobody else creates identifiers), rows copied in
            start = allocate_ids(session, LinkIdentifier.__table__, len(new))
            seal = uow.ctx.sealer.seal
            rows = []
            for n, (h, ident) in enumerate(new):
                known[h] = start + n
                rows.append((start + n, h, ident.kind, ident.platform, seal(ident.key, context="identifier.key"),
                             signal_key(ident), True, 0, at))
            bulk_insert(conn, LinkIdentifier.__table__, ["id", "key_hash", "kind", "platform", "value_sealed",
                                                         "signal_key", "linking", "report_count", "first_seen_at"],
                        rows)
        new_identifiers += len(new)
        edges = []
        for report_id, found in found_of:
            extracted += 1
            if not found:
                empty.add(report_id)
            for identifier, source in found:
                iid = known[digests[identifier.key][0]]
                counts[iid] += 1
                edges.append((report_id, iid, identifier.kind, source, False))
        bulk_insert(conn, ReportIdentifier.__table__, ["report_id", "identifier_id", "kind", "source", "cut"], edges)
        session.expunge_all()
    if counts:
        stmt = (update(LinkIdentifier.__table__).where(LinkIdentifier.__table__.c.id == b("iid"))
                .values(report_count=LinkIdentifier.__table__.c.report_count + b("n")))
        for part in chunks(list(counts.items()), 10_000):
            conn.execute(stmt, [{"iid": i, "n": c} for i, c in part])
    return Extracted(empty, extracted, new_identifiers)
