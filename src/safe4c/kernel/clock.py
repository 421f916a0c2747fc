"""Time comes from an injected clock so deadline logic is testable."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FrozenClock:
    """A clock for tests: stands still until moved."""

    def __init__(self, at: datetime | None = None):
        self._now = at or datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta) -> None:
        self._now += timedelta(**delta)


def rfc3339(value: datetime | None) -> str | None:
    """A moment as every API and JSON document writes it: RFC 3339 in UTC with ``Z`` (``2026-01-05T08:00:00Z``),
    the form pydantic writes too, so a webhook's body, the pulled order, an evidence package and an event's
    detail say the same. (The audit chain hashes its own fixed form: kernel/audit.py.)"""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
