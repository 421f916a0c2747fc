"""Platforms: organisations with API keys and a webhook, and the reports they send.

API keys are ``s4c_`` + 256 random bits, shown once and stored as SHA-256; a platform may hold several so it
can rotate them, and each can be revoked. A report from a platform is stored by the same intake as a child's
report (same table, same triage) plus a ``platform_reports`` row, in one transaction. ``Idempotency-Key``:
a unique constraint on (platform, key) makes a retried request return the first report, never a duplicate,
even when two copies race; the same key with a different body is a conflict. Without the header, a report's
``external_id`` is the key (a unique index on (platform, external_id) among reports sent without one).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from safe4c.db.platforms import Platform, PlatformApiKey, PlatformReport
from safe4c.db.tables import Report
from safe4c.reports.rules.platform_report import PlatformReportCreate, content_hashes, to_report_create
from safe4c.reports.rules.taxonomy import PLATFORM_CODES, N_
from safe4c.kernel.errors import Conflict, FieldError, Invalid, NotFound
from safe4c.kernel import audit
from safe4c.reports import intake
from safe4c.takedowns import webhook_urls
from safe4c.kernel.uow import UnitOfWork

KEY_PREFIX = "s4c_"
MAX_IDEMPOTENCY_KEY = 200
_NAME = re.compile(r"^[\w .&()'-]{2,100}$", re.UNICODE)


@dataclass(frozen=True)
class PlatformPrincipal:
    """Who is calling the platform API."""

    id: int
    name: str
    taxonomy_code: str | None


@dataclass(frozen=True)
class NewPlatform:
    id: int
    name: str
    api_key: str  # shown once
    webhook_secret: str  # shown once


@dataclass(frozen=True)
class PlatformReceipt:
    report_id: str
    received_at: datetime
    created: bool  # False when an Idempotency-Key replay returned the first report


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_platform(*, uow: UnitOfWork, name: str, webhook_url: str | None = None, taxonomy_code: str | None = None,
                    contacts: list[dict] | None = None, actor_id: int | None = None,
                    resolve: webhook_urls.Resolver = webhook_urls.system_resolve) -> NewPlatform:
    """Register a platform. A webhook URL must be https and reach a public address (services/webhook_urls.py);
    ``resolve`` looks its host up (DNS)."""
    name = (name or "").strip()
    errors = []
    if not _NAME.match(name):
        errors.append(FieldError("name", N_("Use 2 to 100 letters, digits, spaces or . & ( ) ' -")))
    webhook_url = (webhook_url or "").strip() or None
    errors += webhook_urls.url_errors(webhook_url, allow_private=uow.settings.webhook_allow_private, resolve=resolve)
    if taxonomy_code is not None and taxonomy_code not in PLATFORM_CODES:
        errors.append(FieldError("taxonomy_code", N_("This choice is not one of the allowed options.")))
    if not errors and uow.session.scalar(select(Platform.id).where(Platform.name == name)):
        errors.append(FieldError("name", N_("A platform with this name already exists.")))
    if errors:
        raise Invalid(errors)
    secret = "whsec_" + secrets.token_urlsafe(32)
    row = Platform(name=name, taxonomy_code=taxonomy_code, webhook_url=webhook_url, active=True,
                   webhook_secret_sealed=uow.ctx.sealer.seal(secret, context="platform.webhook_secret"),
                   contacts_sealed=uow.ctx.sealer.seal(json.dumps(contacts), context="platform.contacts")
                   if contacts else None, created_at=uow.now())
    uow.session.add(row)
    uow.session.flush()
    key = _add_key(uow, row.id, label="first key")
    audit.record(uow, actor_id=actor_id, action="platform.create", subject_type="platform", subject_id=row.id,
                 detail={"webhook": webhook_url is not None})
    uow.commit()
    return NewPlatform(row.id, name, key, secret)


def _add_key(uow: UnitOfWork, platform_id: int, *, label: str | None) -> str:
    key = _new_key()
    uow.session.add(PlatformApiKey(platform_id=platform_id, prefix=key[:12], key_hash=key_hash(key),
                                   label=(label or "")[:100] or None, created_at=uow.now()))
    return key


def platform_by_name(*, uow: UnitOfWork, name: str) -> Platform:
    row = uow.session.scalar(select(Platform).where(Platform.name == (name or "").strip()))
    if row is None:
        raise NotFound(N_("There is no platform with this name."))
    return row


def add_key(*, uow: UnitOfWork, platform_name: str, label: str | None = None, actor_id: int | None = None) -> str:
    """Another key for rotation: both work until the old one is revoked. Returns the key, shown once."""
    platform = platform_by_name(uow=uow, name=platform_name)
    key = _add_key(uow, platform.id, label=label)
    uow.session.flush()
    audit.record(uow, actor_id=actor_id, action="platform.key_add", subject_type="platform", subject_id=platform.id,
                 detail={"prefix": key[:12]})
    uow.commit()
    return key


def revoke_key(*, uow: UnitOfWork, prefix: str, actor_id: int | None = None) -> None:
    row = uow.session.scalar(select(PlatformApiKey).where(PlatformApiKey.prefix == prefix))
    if row is None:
        raise NotFound(N_("There is no API key with this prefix."))
    if row.revoked_at is None:
        row.revoked_at = uow.now()
        audit.record(uow, actor_id=actor_id, action="platform.key_revoke", subject_type="platform",
                     subject_id=row.platform_id, detail={"prefix": prefix})
    uow.commit()
    forget_keys()  # after the commit, so no other thread can remember the key from before it


def list_platforms(*, uow: UnitOfWork) -> list[dict]:
    keys: dict[int, list] = {}
    for k in uow.session.scalars(select(PlatformApiKey).order_by(PlatformApiKey.id)):
        keys.setdefault(k.platform_id, []).append({"prefix": k.prefix, "label": k.label, "created_at": k.created_at,
                                                   "revoked": k.revoked_at is not None})
    return [{"id": p.id, "name": p.name, "webhook_url": p.webhook_url, "taxonomy_code": p.taxonomy_code,
             "active": p.active, "keys": keys.get(p.id, [])}
            for p in uow.session.scalars(select(Platform).order_by(Platform.name))]


_AUTH = (
    select(Platform.id, Platform.name, Platform.taxonomy_code)
    .join(PlatformApiKey, PlatformApiKey.platform_id == Platform.id)
    .where(PlatformApiKey.revoked_at.is_(None), Platform.active.is_(True))
)


# Known keys are remembered for a few seconds per process: one database round trip less on every platform
# call. Revoking a key clears the revoking process's memory at once; every other process (the web workers,
# when the CLI revokes) still accepts it for up to AUTH_CACHE_SECONDS (docs/platform-api.md says so).
AUTH_CACHE_SECONDS = 5.0
_auth_cache: dict[str, tuple[float, PlatformPrincipal]] = {}
_auth_lock = threading.Lock()


def authenticate(*, uow: UnitOfWork, key: str | None) -> PlatformPrincipal | None:
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    digest = key_hash(key)
    now = time.monotonic()
    hit = _auth_cache.get(digest)
    if hit is not None and now - hit[0] < AUTH_CACHE_SECONDS:
        return hit[1]
    found = uow.session.execute(_AUTH.where(PlatformApiKey.key_hash == digest)).first()
    if found is None:
        return None  # unknown keys are never remembered: a new key works at once
    principal = PlatformPrincipal(found.id, found.name, found.taxonomy_code)
    with _auth_lock:
        if len(_auth_cache) > 10_000:
            _auth_cache.clear()
        _auth_cache[digest] = (now, principal)
    return principal


def forget_keys() -> None:
    """Drop this process's remembered keys (after a revocation); other processes forget within the TTL."""
    with _auth_lock:
        _auth_cache.clear()


def body_hash(raw: str) -> str:
    """SHA-256 of the report as ``model_dump_json`` writes it: field order fixed by the model, no spaces, so
    the same report hashes the same however its JSON was spaced or ordered when sent."""
    return hashlib.sha256(raw.encode()).hexdigest()


_INSERT_DETAIL = insert(PlatformReport.__table__)


def submit_platform_report(*, uow: UnitOfWork, platform: PlatformPrincipal, report: PlatformReportCreate,
                           idempotency_key: str | None, language: str = "id") -> PlatformReceipt:
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
            raise Invalid([FieldError("Idempotency-Key", N_("The Idempotency-Key header must have 1 to 200 "
                                                            "characters."))])
    raw = report.model_dump_json()  # serialised once: hashed and sealed
    digest = body_hash(raw)
    shared = to_report_create(report, platform_code=platform.taxonomy_code, platform_name=platform.name,
                              received_at=uow.now())
    try:
        row_id, receipt = intake.stage_report(uow=uow, report=shared, channel="platform", language=language,
                                              platform_escalation=report.incident.escalate_to_urgent)
        uow.session.connection().execute(_INSERT_DETAIL, dict(
            report_id=row_id, platform_id=platform.id, idempotency_key=idempotency_key, body_hash=digest,
            external_id=report.external_id, escalate_to_urgent=report.incident.escalate_to_urgent,
            annotations=list(report.incident.annotations), content_hashes=content_hashes(report),
            detail_sealed=uow.ctx.sealer.seal(raw, context="platform_report.detail"),
        ))
        uow.commit()
    except IntegrityError:
        uow.rollback()
        if idempotency_key is not None:
            return _replay(uow, platform, digest, PlatformReport.idempotency_key == idempotency_key,
                           reused=KEY_REUSED)
        if report.external_id is not None:  # without a key, the platform's own id for the report is the key
            return _replay(uow, platform, digest, PlatformReport.external_id == report.external_id,
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
