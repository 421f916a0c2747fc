"""Webhook signatures and the delivery retry schedule (pure).

A delivery carries ``Safe4c-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256(secret, ``<t>.<raw body>``). The receiver recomputes it over the raw bytes it received, compares in
constant time, and refuses a timestamp older than a few minutes (replay). docs/platform-api.md shows the code.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Sequence

SIGNATURE_HEADER = "Safe4c-Signature"
EVENT_HEADER = "Safe4c-Event"
DELIVERY_HEADER = "Safe4c-Delivery"
DEFAULT_TOLERANCE = 300  # seconds


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return mac.hexdigest()


def sign(secret: str, timestamp: int, body: bytes, *, previous: str | None = None) -> str:
    """The header value for a body sent at ``timestamp`` (unix seconds). During a secret rotation's grace period
    ``previous`` (the old secret) signs too: ``t=..,v1=<new>,v1=<old>``, so a receiver that still has the old
    secret, or already the new one, verifies it (as Stripe does)."""
    header = f"t={timestamp},v1={signature(secret, timestamp, body)}"
    if previous:
        header += f",v1={signature(previous, timestamp, body)}"
    return header


def verify(header: str, body: bytes, secret: str, *, now: int, tolerance: int = DEFAULT_TOLERANCE) -> bool:
    """True when the header is a valid, fresh signature of ``body``. Several v1 values are allowed (rotation)."""
    timestamp, candidates = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates or abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)


def retry_delay(attempt: int, *, schedule: Sequence[int]) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1-based); the last entry repeats."""
    if not schedule:
        return timedelta(seconds=60)
    return timedelta(seconds=schedule[min(attempt, len(schedule)) - 1])


def should_give_up(first_attempt_at: datetime, now: datetime, *, give_up_hours: float) -> bool:
    return now - first_attempt_at >= timedelta(hours=give_up_hours)
