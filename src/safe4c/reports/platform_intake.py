"""A report from a platform: stored by the same intake as a child's report (same table, same triage) plus a
``platform_reports`` row, in one transaction.

``Idempotency-Key``: a unique constraint on (platform, key) makes a retried request return the first report,
never a duplicate, even when two copies race; the same key with a different body is a conflict. Without the
header, a report's ``external_id`` is the key (a unique index on (platform, external_id) among reports sent
without one).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from safe4c.access.platforms import PlatformPrincipal
from safe4c.db.platforms import PlatformReport
from safe4c.db.tables import Report
from safe4c.kernel.errors import Conflict, FieldError, Invalid
from safe4c.kernel.i18n import N_
from safe4c.kernel.uow import UnitOfWork
from safe4c.reports import intake
from safe4c.reports.rules.platform_report import PlatformReportCreate, content_hashes, to_report_create
from safe4c.reports.rules.report import ReportCreate

MAX_IDEMPOTENCY_KEY = 200


@dataclass(frozen=True)
class PlatformReceipt:
    report_id: str
    received_at: datetime
    created: bool  # False when an Idempotency-Key replay returned the first report


def body_hash(raw: str) -> str:
    """SHA-256 of the report as ``model_dump_json`` writes it: field order fixed by the model, no spaces, so
    the same report hashes the same however its JSON was spaced or ordered when sent."""
    return hashlib.sha256(raw.encode()).hexdigest()


_INSERT_DETAIL = insert(PlatformReport.__table__)


@dataclass(frozen=True)
class Prepared:
    """A platform's report ready to store, the same for the synchronous path and the event loop's
    (reports/intake_async.py): the report as intake stores every report, its "escalate to urgent" flag (triage),
    and its ``platform_reports`` row without the report's id."""
    report: ReportCreate
    escalate: bool
    detail: dict

    @property
    def idempotency_key(self) -> str | None:
        return self.detail["idempotency_key"]


def prepare(*, uow, platform: PlatformPrincipal, report: PlatformReportCreate,
            idempotency_key: str | None) -> Prepared:
    """Check the Idempotency-Key, normalise the report to intake's shape, and build its detail row (hashed and
    sealed): no database work, so either unit of work will do. Raises ``Invalid`` for a key that is blank or
    longer than 200 characters."""
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
            raise Invalid([FieldError("Idempotency-Key", N_("The Idempotency-Key header must have 1 to 200 "
                                                            "characters."))])
    raw = report.model_dump_json()  # serialised once: hashed and sealed
    shared = to_report_create(report, platform_code=platform.taxonomy_code, platform_name=platform.name,
                              received_at=uow.now())
    return Prepared(shared, report.incident.escalate_to_urgent, dict(
        platform_id=platform.id, idempotency_key=idempotency_key, body_hash=body_hash(raw),
        external_id=report.external_id, escalate_to_urgent=report.incident.escalate_to_urgent,
        annotations=list(report.incident.annotations), content_hashes=content_hashes(report),
        detail_sealed=uow.ctx.sealer.seal(raw, context="platform_report.detail")))


def submit_platform_report(*, uow: UnitOfWork, platform: PlatformPrincipal, report: PlatformReportCreate,
                           idempotency_key: str | None, language: str = "id") -> PlatformReceipt:
    prepared = prepare(uow=uow, platform=platform, report=report, idempotency_key=idempotency_key)
    key, digest, external_id = prepared.idempotency_key, prepared.detail["body_hash"], prepared.detail["external_id"]
    try:
        row_id, receipt = intake.stage_report(uow=uow, report=prepared.report, channel="platform", language=language,
                                              platform_escalation=prepared.escalate)
        uow.session.connection().execute(_INSERT_DETAIL, dict(prepared.detail, report_id=row_id))
        uow.commit()
    except IntegrityError:
        uow.rollback()
        if key is not None:
            return _replay(uow, platform, digest, PlatformReport.idempotency_key == key, reused=KEY_REUSED)
        if external_id is not None:  # without a key, the platform's own id for the report is the key
            return _replay(uow, platform, digest, PlatformReport.external_id == external_id,
                           PlatformReport.idempotency_key.is_(None), reused=EXTERNAL_ID_REUSED)
        raise
    # The time stored as reports.received_at, so a replay of this request answers exactly the same.
    return PlatformReceipt(receipt.report_id, receipt.received_at, created=True)


KEY_REUSED = N_("This Idempotency-Key was already used for a different report. Use a new key for a new report.")
EXTERNAL_ID_REUSED = N_("A different report with this external_id was already sent without an Idempotency-Key. "
                        "Use a new external_id for a new report.")


def _replay(uow: UnitOfWork, platform: PlatformPrincipal, digest: str, *where, reused: str) -> PlatformReceipt:
    found = uow.session.execute(
        select(Report.public_id, Report.received_at, PlatformReport.body_hash)
        .join(PlatformReport, PlatformReport.report_id == Report.id)
        .where(PlatformReport.platform_id == platform.id, *where)
    ).first()
    uow.rollback()
    if found is None:
        raise Conflict(N_("This request clashed with another one. Please send it again."))
    if found.body_hash != digest:
        raise Conflict(reused)
    return PlatformReceipt(found.public_id, found.received_at, created=False)
