"""Limits on the public endpoints, per client address, and on a platform's webhook tests, per platform; shared by
every web process and replica.

The counting is in kernel/ratelimits.py (the database); here a request becomes a ``Check`` for a use case to
count in its own transaction. A bucket the database already refused this minute is refused here at once.
Addresses are only ever kept as keyed hashes, for a minute or two, and never logged.
"""

from __future__ import annotations

from fastapi import Request

from safe4c.kernel.ratelimits import Check, limit_of
from safe4c.web.deps import client_address


def rate_check(request: Request, scope: str) -> Check | None:
    """The check for this request in ``scope`` ("report", "status"); None when that limit is turned off.
    Raises ``RateLimited`` when this process saw the database refuse the same bucket this minute."""
    state = request.app.state
    if limit_of(scope, state.settings) <= 0:
        return None
    return _checked(request, scope, state.limiter.bucket(scope, client_address(request)))


def platform_check(request: Request, scope: str, platform_id: int) -> Check:
    """The check for a platform's request in ``scope`` ("webhook_test"), counted per platform, not per address.
    Raises ``RateLimited`` when this process saw the database refuse the platform this minute."""
    return _checked(request, scope, request.app.state.limiter.bucket_of(scope, f"platform:{platform_id}"))


def _checked(request: Request, scope: str, bucket: str) -> Check:
    state = request.app.state
    state.limiter.refused(scope, bucket, minute=int(state.ctx.clock.now().timestamp()) // 60)
    return Check(state.limiter, scope, bucket)
