"""Platform authentication: ``Authorization: Bearer <API key>`` -> the platform (routes use web/authorization.py).

A missing, malformed, unknown or revoked key is 401 in one shape, whichever it was. Staff pages never look at
this header (they use the session cookie), so a platform key opens nothing there.
"""

from __future__ import annotations

from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.errors import Unauthorized
from safe4c.access import platforms
from safe4c.access.platforms import PlatformPrincipal
from safe4c.kernel.uow import UnitOfWork

bearer = HTTPBearer(auto_error=False, scheme_name="PlatformApiKey",
                    description="A platform API key (s4c_...), from `safe4c platform create` or `platform key-add`.")

BAD_KEY = N_("A valid platform API key is required: send the header Authorization: Bearer followed by your key.")


def authenticate(uow: UnitOfWork, credentials: HTTPAuthorizationCredentials | None) -> PlatformPrincipal:
    """``uow``: the request's reading unit of work (``ReadingUowDep``)."""
    if credentials is None:  # HTTPBearer already answers None for any scheme but Bearer
        raise Unauthorized(BAD_KEY)
    principal = platforms.authenticate(uow=uow, key=credentials.credentials.strip())
    uow.rollback()  # end the read now: the pool's connection is not held while the request runs (matching)
    if principal is None:
        raise Unauthorized(BAD_KEY)
    return principal

