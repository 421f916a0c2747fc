"""A per-address limit on public intake: a sliding one-minute window kept in memory.

Per process: with N web processes the effective limit is N times the setting. Addresses are kept only as
keyed hashes and only for a minute; they are never logged.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque

from ..errors import RateLimited


class RateLimiter:
    def __init__(self, per_minute: int, *, salt: bytes, clock=time.monotonic):
        self.per_minute = per_minute
        self._salt = salt
        self._clock = clock
        self._hits: dict[bytes, deque] = {}
        self._lock = threading.Lock()

    def check(self, address: str) -> None:
        if self.per_minute <= 0:
            return
        key = hashlib.blake2b(address.encode(), key=self._salt[:64], digest_size=16).digest()
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                raise RateLimited()
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle addresses so memory stays bounded
                self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < 60}
