"""Limits on the public endpoints, per client address, shared by every web process and replica.

The counting is in services/ratelimits.py (the database); here a request becomes a ``Check`` for a use case to
count in its own transaction. A bucket the database already refused this minute is refused here at once.
Addresses are only ever kept as keyed hashes, for a minute or two, and never logged.
"""

from __future__ import annotations

from fastapi import Request

from safe4c.kernel.ratelimits import SCOPES, Check
from safe4c.web.deps import client_address


def rate_check(request: Request, scope: str) -> Check | None:
    """The check for this request in ``scope`` ("report", "status"); None when that limit is turned off.
    Raises ``RateLimited`` when this process saw the database refuse the same bucket this minute."""
    state = request.app.state
    if getattr(state.settings, SCOPES[scope][0]) <= 0:
        return None
    limiter = state.limiter
    check = Check(limiter, scope, limiter.bucket(scope, client_address(request)))
    limiter.refused(scope, check.bucket, minute=int(state.ctx.clock.now().timestamp()) // 60)
    return check
