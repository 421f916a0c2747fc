"""Platforms as principals: organisations with API keys and a webhook URL.

API keys are ``s4c_`` + 256 random bits, shown once and stored as SHA-256; a platform may hold several so it
can rotate them, and each can be revoked. The reports platforms send are stored by
``safe4c.reports.platform_intake``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from safe4c.db.platforms import Platform, PlatformApiKey
from safe4c.kernel.i18n import N_
from safe4c.kernel.platforms import PLATFORM_CODES
from safe4c.kernel.errors import FieldError, Invalid, NotFound
from safe4c.kernel import audit
from safe4c.kernel import outbound_urls as webhook_urls
from safe4c.kernel.uow import UnitOfWork

KEY_PREFIX = "s4c_"
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


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_platform(*, uow: UnitOfWork, name: str, webhook_url: str | None = None, taxonomy_code: str | None = None,
                    contacts: list[dict] | None = None, actor_id: int | None = None,
                    resolve: webhook_urls.Resolver = webhook_urls.system_resolve) -> NewPlatform:
    """Register a platform. A webhook URL must be https and reach a public address (kernel/outbound_urls.py);
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


# --- the webhook: its URL and its signing secret can change after registration (docs/platform-api.md) -------

MAX_URL = 500  # platforms.webhook_url
MAX_GRACE_HOURS = 168  # a week, as the longest Stripe offers
DEFAULT_GRACE_HOURS = 24


@dataclass(frozen=True)
class RotatedSecret:
    secret: str  # shown once
    previous_valid_until: datetime | None  # the old secret signs too until then; None: no old secret any more


def webhook_settings(*, uow: UnitOfWork, platform_id: int) -> dict:
    row = uow.session.get(Platform, platform_id)
    until = row.webhook_secret_previous_until
    return {"url": row.webhook_url,
            "previous_secret_valid_until": until if until is not None and until > uow.now() else None}


def set_webhook_url(*, uow: UnitOfWork, platform_id: int, url: str | None, actor_id: int | None = None,
                    resolve: webhook_urls.Resolver = webhook_urls.system_resolve) -> dict:
    """Use case: change (or, with None, remove) the webhook address, checked as at registration: https, a public
    address. Events already waiting go to the new address at their next attempt."""
    url = (url or "").strip() or None
    if url is not None and len(url) > MAX_URL:
        raise Invalid([FieldError("url", N_("This is too long (at most {max_length} characters)."),
                                  {"max_length": MAX_URL})])
    errors = webhook_urls.url_errors(url, allow_private=uow.settings.webhook_allow_private, resolve=resolve)
    if errors:
        raise Invalid([FieldError("url", e.message, e.params) for e in errors])
    row = uow.session.get(Platform, platform_id)
    row.webhook_url = url
    audit.record(uow, actor_id=actor_id, action="platform.webhook_url", subject_type="platform",
                 subject_id=platform_id, detail={"webhook": url is not None})
    view = webhook_settings(uow=uow, platform_id=platform_id)
    uow.commit()
    return view


def rotate_webhook_secret(*, uow: UnitOfWork, platform_id: int, grace_hours: float = DEFAULT_GRACE_HOURS,
                          actor_id: int | None = None) -> RotatedSecret:
    """Use case: a new signing secret, shown once. For ``grace_hours`` (0 to a week) deliveries are signed with
    the old secret too, so the platform can switch its receiver without refusing a single event."""
    if not 0 <= grace_hours <= MAX_GRACE_HOURS:
        raise Invalid([FieldError("grace_hours", N_("Give a number of hours from 0 to {max}."),
                                  {"max": MAX_GRACE_HOURS})])
    row = uow.session.get(Platform, platform_id)
    now = uow.now()
    secret = "whsec_" + secrets.token_urlsafe(32)
    until = now + timedelta(hours=grace_hours) if grace_hours > 0 else None
    row.webhook_secret_previous_sealed = row.webhook_secret_sealed if until else None
    row.webhook_secret_previous_until = until
    row.webhook_secret_sealed = uow.ctx.sealer.seal(secret, context="platform.webhook_secret")
    audit.record(uow, actor_id=actor_id, action="platform.webhook_secret_rotate", subject_type="platform",
                 subject_id=platform_id, detail={"grace_hours": grace_hours})
    uow.commit()
    return RotatedSecret(secret, until)


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


def remembered(key: str | None) -> PlatformPrincipal | None:
    """The platform of a key this process checked in the last AUTH_CACHE_SECONDS, without database work; None
    when it did not (then ``authenticate``)."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    hit = _auth_cache.get(key_hash(key))
    if hit is not None and time.monotonic() - hit[0] < AUTH_CACHE_SECONDS:
        return hit[1]
    return None


def authenticate(*, uow: UnitOfWork, key: str | None) -> PlatformPrincipal | None:
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    known = remembered(key)
    if known is not None:
        return known
    digest = key_hash(key)
    now = time.monotonic()
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
