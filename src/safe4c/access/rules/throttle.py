"""How long a sign-in must wait after failures, and when failures are forgotten (pure).

After ``free_failures`` failures each further try waits 2 s, then 4, 8, ... up to ``backoff_max_seconds``.
Failures are forgotten ``memory`` after the last one, except on a locked account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Policy:
    free_failures: int = 5
    backoff_max_seconds: int = 900
    lock_failures: int = 20  # 0: accounts are never locked
    memory: timedelta = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings) -> "Policy":
        return cls(settings.login_free_failures, settings.login_backoff_max_seconds, settings.login_lock_failures,
                   timedelta(hours=settings.login_failure_memory_hours))

    def backoff(self, failures: int) -> timedelta:
        """The wait before the next try after ``failures`` failures."""
        if failures < self.free_failures:
            return timedelta(0)
        doublings = failures - self.free_failures + 1
        if doublings >= 32:  # 2**32 s is past any sensible maximum; don't compute bigger numbers
            return timedelta(seconds=self.backoff_max_seconds)
        return timedelta(seconds=min(self.backoff_max_seconds, 2 ** doublings))

    def wait(self, failures: int, last_failure_at: datetime | None, now: datetime) -> int:
        """Whole seconds still to wait (0: try now)."""
        if last_failure_at is None or failures < self.free_failures:
            return 0
        left = last_failure_at + self.backoff(failures) - now
        return max(0, -int(-left.total_seconds() // 1))

    def forgotten(self, last_failure_at: datetime | None, locked_at: datetime | None, now: datetime) -> bool:
        return locked_at is None and (last_failure_at is None or now - last_failure_at >= self.memory)

    def locks(self, failures: int) -> bool:
        return self.lock_failures > 0 and failures >= self.lock_failures
