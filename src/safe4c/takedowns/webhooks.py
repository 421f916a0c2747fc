"""Webhook deliveries to platforms: written in the transaction of the change, sent by the worker, retried.

Each event is a ``webhook_deliveries`` row plus a ``webhook.deliver`` job, both in the caller's transaction, so
a committed order is always delivered (outbox). The job sends one attempt: on a 2xx the delivery is done; on
anything else (error, timeout, non-2xx) the handler records the attempt and writes the next attempt's job
itself, delayed by ``SAFE4C_WEBHOOK_RETRY_SECONDS`` (10 s, 30 s, 1, 2, 5, 10, 15, 30 min, then hourly), until
``SAFE4C_WEBHOOK_GIVE_UP_HOURS`` (72 h) after the first attempt. The schedule lives in the database, so it
survives a restart of safe4c, and a platform down for an hour is reached within about an hour of coming back.
No database transaction is open while waiting for the platform. The URL's host is checked at every attempt
(services/webhook_urls.py): an address that is not public is an attempt that failed ("AddressRefused").

A platform can ask for a **test event** (``webhook.test``): signed and sent like any event, but it is no order,
so it never reaches an order's history, the compliance figures or the transparency report, and it is tried once
(no retries): the platform reads its result at once (``delivery_view``). After a secret rotation the previous
secret signs too, until its grace period ends (``Platform.webhook_secret_previous_until``).
"""

from __future__ import annotations

import json
import threading
import uuid
from functools import partial
from typing import Callable

import httpx
from sqlalchemy import bindparam, func, literal, select, update

from safe4c.kernel.clock import rfc3339
from safe4c.kernel.errors import Conflict, NotFound
from safe4c.kernel.ratelimits import Check
from safe4c.kernel.i18n import N_

from safe4c.db.platforms import Platform, TakedownEvent, WebhookDelivery
from safe4c.takedowns.rules import signing
from safe4c.kernel import audit, jobs
from safe4c.kernel import outbound_urls as webhook_urls
from safe4c.kernel.uow import UnitOfWork

JOB_KIND = "webhook.deliver"
TEST_EVENT = "webhook.test"
TEST_SCOPE = "webhook_test"  # its limit and message: kernel/ratelimits.SCOPES (5 a minute per platform)
NO_WEBHOOK = N_("Your platform has no webhook address yet: set one first (PUT /api/v1/webhook).")
DELIVERY_NOT_FOUND = N_("We could not find this webhook delivery.")

# (url, body, headers, timeout seconds) -> HTTP status; raises on a network error or a timeout
Sender = Callable[[str, bytes, dict, float], int]

# One keep-alive client per webhook host: requests go to a checked address (services/webhook_urls.py), and a
# pooled connection, opened with one host's TLS name, must never carry another host's request.
_clients: dict[str, httpx.Client] = {}
_client_lock = threading.Lock()
MAX_CLIENTS = 64


def _client_for(host: str) -> httpx.Client:
    with _client_lock:
        client = _clients.get(host)
        if client is None:
            if len(_clients) >= MAX_CLIENTS:
                for old in _clients.values():
                    old.close()
                _clients.clear()
            client = _clients[host] = httpx.Client(follow_redirects=False, limits=httpx.Limits(max_connections=50))
        return client


def http_send(url: str, body: bytes, headers: dict, timeout: float, *, allow_private: bool = False,
              resolve: webhook_urls.Resolver = webhook_urls.system_resolve) -> int:
    """The real sender: the host is resolved and checked now (DNS may have changed since registration) and
    the request goes to that address, no redirects followed. Raises ``AddressRefused`` for a non-public one."""
    target = webhook_urls.delivery_target(url, allow_private=allow_private, resolve=resolve)
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else None
    return _client_for(target.host_header).post(
        target.url, content=body, headers={**headers, "Host": target.host_header}, timeout=timeout,
        extensions=extensions).status_code


def queue_event(uow: UnitOfWork, *, platform_id: int, event_type: str, data: dict,
                order_id: int | None = None) -> WebhookDelivery | None:
    """Add a delivery and its job to the caller's transaction; nothing (None) when the platform has no webhook."""
    url = uow.session.get(Platform, platform_id).webhook_url
    if not url:
        return None
    now = uow.now()
    event_id = str(uuid.uuid4())
    payload = {"id": event_id, "type": event_type, "created_at": rfc3339(now), "data": data}
    delivery = WebhookDelivery(event_id=event_id, platform_id=platform_id, order_id=order_id, event_type=event_type,
                               payload=payload, created_at=now, attempts=0, next_attempt_at=now)
    uow.session.add(delivery)
    uow.session.flush()
    jobs.enqueue(uow, JOB_KIND, {"delivery_id": delivery.id}, urgent=bool(data.get("urgent")))
    return delivery


def send_test_event(*, uow: UnitOfWork, platform_id: int, rate: Check) -> dict:
    """Use case: queue a test event to the platform's webhook and commit; returns the delivery as the platform
    sees it. A test is no order: nothing counts it (compliance, transparency) and it is tried once. ``rate``
    counts it against the platform's limit (``TEST_SCOPE``) in this transaction: over the limit it raises
    ``RateLimited`` and nothing is stored or counted."""
    url = uow.session.scalar(select(Platform.webhook_url).where(Platform.id == platform_id))
    if not url:
        raise Conflict(NO_WEBHOOK)
    rate.hit(uow)
    delivery = queue_event(uow, platform_id=platform_id, event_type=TEST_EVENT, data={"test": True})
    view = delivery_view(delivery)
    uow.commit()
    return view


def delivery_view(d: WebhookDelivery) -> dict:
    """A delivery as its platform sees it: the event, the attempts and their outcome (no body, no secret)."""
    state = "delivered" if d.delivered_at else "failed" if d.gave_up_at else "pending"
    return {"id": d.event_id, "type": d.event_type, "test": d.event_type == TEST_EVENT, "state": state,
            "created_at": rfc3339(d.created_at), "attempts": d.attempts,
            "last_attempt_at": rfc3339(d.last_attempt_at), "last_status": d.last_status, "last_error": d.last_error,
            "next_attempt_at": rfc3339(d.next_attempt_at), "delivered_at": rfc3339(d.delivered_at),
            "gave_up_at": rfc3339(d.gave_up_at)}


def deliveries_for_platform(*, uow: UnitOfWork, platform_id: int, limit: int = 20) -> list[dict]:
    """The platform's latest deliveries, newest first."""
    rows = uow.session.scalars(select(WebhookDelivery).where(WebhookDelivery.platform_id == platform_id)
                               .order_by(WebhookDelivery.id.desc()).limit(limit))
    return [delivery_view(d) for d in rows]


def delivery_for_platform(*, uow: UnitOfWork, platform_id: int, event_id: str) -> dict:
    """One delivery of the platform's; another platform's is "not found", like its orders."""
    row = uow.session.scalar(select(WebhookDelivery).where(WebhookDelivery.event_id == event_id,
                                                           WebhookDelivery.platform_id == platform_id))
    if row is None:
        raise NotFound(DELIVERY_NOT_FOUND)
    return delivery_view(row)


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


# The delivery, its platform's URL and sealed secret in one round trip; done deliveries are not found.
_PENDING = (
    select(WebhookDelivery.event_id, WebhookDelivery.event_type, WebhookDelivery.payload, WebhookDelivery.platform_id,
           Platform.webhook_url, Platform.webhook_secret_sealed, Platform.webhook_secret_previous_sealed,
           Platform.webhook_secret_previous_until)
    .join(Platform, Platform.id == WebhookDelivery.platform_id)
    .where(WebhookDelivery.delivered_at.is_(None), WebhookDelivery.gave_up_at.is_(None))
)
_T = WebhookDelivery.__table__
# Record one attempt only if no other worker finished the delivery meanwhile (at-least-once jobs): the WHERE is
# checked under the row's write lock, so two jobs for one delivery never both count it or both deliver it.
_RECORD = (
    update(_T)
    .where(_T.c.id == bindparam("delivery_id"), _T.c.delivered_at.is_(None), _T.c.gave_up_at.is_(None))
    .returning(_T.c.attempts, _T.c.first_attempt_at, _T.c.order_id)
)


def deliver(*, uow: UnitOfWork, delivery_id: int, send: Sender | None = None) -> str:
    """One attempt. Returns "delivered", "retry", "gave_up" or "skipped". Idempotent: a done delivery is skipped."""
    send = send or partial(http_send, allow_private=uow.settings.webhook_allow_private)
    d = uow.session.execute(_PENDING.where(WebhookDelivery.id == delivery_id)).first()
    if d is None:
        uow.rollback()
        return "skipped"
    secret = uow.ctx.sealer.open(d.webhook_secret_sealed, context="platform.webhook_secret")
    body = body_of(d.payload)
    started = uow.now()
    previous = None
    if d.webhook_secret_previous_sealed and d.webhook_secret_previous_until and d.webhook_secret_previous_until > started:
        previous = uow.ctx.sealer.open(d.webhook_secret_previous_sealed, context="platform.webhook_secret")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "safe4c-webhooks/1",
        signing.SIGNATURE_HEADER: signing.sign(secret, int(started.timestamp()), body, previous=previous),
        signing.EVENT_HEADER: d.event_type,
        signing.DELIVERY_HEADER: d.event_id,
    }
    timeout = uow.settings.webhook_timeout_seconds
    uow.rollback()  # never hold a transaction (SQLite: the write lock) while the platform answers

    status, error = None, None
    if not d.webhook_url:
        error = "no webhook URL"
    else:
        try:
            status = send(d.webhook_url, body, headers, timeout)
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except Exception as exc:  # noqa: BLE001 - any failure is retried; only its type is kept
            error = type(exc).__name__

    now = uow.now()
    first = func.coalesce(_T.c.first_attempt_at, literal(started, _T.c.first_attempt_at.type))
    values = dict(attempts=_T.c.attempts + 1, first_attempt_at=first, last_attempt_at=now, last_status=status, last_error=error)
    if error is None:
        values.update(delivered_at=now, next_attempt_at=None)
    done = uow.session.execute(_RECORD.values(**values), {"delivery_id": delivery_id}).first()
    if done is None:
        uow.rollback()
        return "skipped"  # another worker finished it meanwhile
    if error is None:
        if done.order_id is not None:
            uow.session.add(TakedownEvent(order_id=done.order_id, at=now, kind="delivered",
                                          detail={"event": d.event_type, "attempts": done.attempts}))
        outcome = "delivered"
    elif d.event_type == TEST_EVENT:  # tried once: the platform reads the result and may send another
        uow.session.execute(update(_T).where(_T.c.id == delivery_id).values(gave_up_at=now, next_attempt_at=None))
        outcome = "gave_up"
    elif signing.should_give_up(done.first_attempt_at, now, give_up_hours=uow.settings.webhook_give_up_hours):
        uow.session.execute(update(_T).where(_T.c.id == delivery_id).values(gave_up_at=now, next_attempt_at=None))
        audit.record(uow, actor_id=None, action="webhook.gave_up", subject_type="platform", subject_id=d.platform_id,
                     detail={"event": d.event_type, "event_id": d.event_id, "attempts": done.attempts,
                             "error": error})
        outcome = "gave_up"
    else:
        delay = signing.retry_delay(done.attempts, schedule=uow.settings.webhook_retry_seconds)
        uow.session.execute(update(_T).where(_T.c.id == delivery_id).values(next_attempt_at=now + delay))
        jobs.enqueue(uow, JOB_KIND, {"delivery_id": delivery_id}, delay=delay,
                     urgent=bool(d.payload.get("data", {}).get("urgent")))
        outcome = "retry"
    uow.commit()
    return outcome
