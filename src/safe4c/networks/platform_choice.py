"""An analyst says which platform an account of unknown platform is on.

A child who ticks Instagram and WhatsApp, or writes '@budi' in her story, gives ``handle:unknown:budi``: it
links weakly to a platform's Instagram @budi (``networks/identifiers.py``). When the analyst knows the platform
(``set_handle_platform``), the reports holding the handle for real hold ``handle:<platform>:budi`` instead
(a strong link; the unknown-platform handle stays as their weak twin), and the networks concerned are
recomputed: merged, then split along the links that hold (``corrections.resplit``), and raised if urgent.
One transaction, under the linking lock, audited.
"""

from __future__ import annotations

from sqlalchemy import select

from safe4c.db.linking import LinkIdentifier, ReportIdentifier
from safe4c.kernel import audit
from safe4c.kernel.errors import Conflict, FieldError, Invalid, NotFound
from safe4c.kernel.uow import UnitOfWork
from safe4c.networks.corrections import LINK_NOT_FOUND, resplit, reason_text
from safe4c.networks.identifiers import WEAK_SOURCE, key_hash, new_identifier, open_identifier
from safe4c.networks.membership import clusters_of, lock, merge
from safe4c.networks.rules.identifiers import PLATFORMS, UNKNOWN_PLATFORM, Identifier, normalise_handle
from safe4c.networks.urgency import raise_if_urgent
from safe4c.reports.rules.taxonomy import N_

CHOOSABLE = tuple(code for code in PLATFORMS if code != "other")
CHOOSE_PLATFORM = N_("Choose the platform the account is on.")
NOT_ON_PLATFORM = N_("This handle cannot be an account on that platform. Check the platform, or leave it unknown.")
NOT_UNKNOWN = N_("Only an account whose platform is not known can be given a platform.")


def set_handle_platform(*, uow: UnitOfWork, identifier_id: int, platform: str, actor_id: int,
                        reason: str) -> list[int]:
    """Give an unknown-platform handle its platform, for every report holding it; returns the networks touched."""
    reason = reason_text(reason)
    if platform not in CHOOSABLE:
        raise Invalid([FieldError("platform", CHOOSE_PLATFORM)])
    lock(uow)
    session = uow.session
    ident = session.get(LinkIdentifier, identifier_id)
    if ident is None:
        raise NotFound(LINK_NOT_FOUND)
    if ident.kind != "handle" or ident.platform != UNKNOWN_PLATFORM:
        raise Conflict(NOT_UNKNOWN)
    handle = normalise_handle(platform, open_identifier(uow, ident).value)
    if handle is None:
        raise Invalid([FieldError("platform", NOT_ON_PLATFORM)])
    known = Identifier("handle", handle, platform)
    digest = key_hash(uow, known.key)
    target = session.scalar(select(LinkIdentifier).where(LinkIdentifier.key_hash == digest)) \
        or new_identifier(uow, known, digest)
    session.flush()
    edges = list(session.scalars(select(ReportIdentifier).where(ReportIdentifier.identifier_id == ident.id,
                                                                ReportIdentifier.source != WEAK_SOURCE)))
    if not edges:
        raise Conflict(NOT_UNKNOWN)
    has_target = set(session.scalars(select(ReportIdentifier.report_id).where(
        ReportIdentifier.identifier_id == target.id, ReportIdentifier.report_id.in_([e.report_id for e in edges]))))
    for edge in edges:
        if edge.report_id not in has_target:
            session.add(ReportIdentifier(report_id=edge.report_id, identifier_id=target.id, kind="handle",
                                         source=edge.source, cut=edge.cut))
            target.report_count += 1
        edge.source = WEAK_SOURCE  # the unknown-platform handle stays as the account's weak twin
    # Who said which platform, and why, is kept with the handle (sealed, like a mark as not linking).
    ident.marked_by, ident.marked_at = actor_id, uow.now()
    ident.mark_note_sealed = uow.ctx.sealer.seal(reason, context="link.reason")
    session.flush()
    holders = set(session.scalars(select(ReportIdentifier.report_id).where(
        ReportIdentifier.identifier_id.in_([ident.id, target.id]))))
    clusters = clusters_of(uow, holders)
    touched: list[int] = []
    if clusters:
        keep = merge(uow, clusters)
        session.flush()
        touched = resplit(uow, keep.id)
        for cluster_id in touched:
            raise_if_urgent(uow, cluster_id)
    audit.record(uow, actor_id=actor_id, action="identifier.platform", subject_type="identifier",
                 subject_id=identifier_id, detail={"platform": platform, "identifier": target.id,
                                                   "reports": len(edges), "clusters": touched})
    uow.commit()
    return touched
