"""URL signal type over the one URL normaliser (``safe4c.domain.urls``), so a link on the hash list and the
same link in a report compare equal. The rules are documented there and in docs/matching.md.
"""

from __future__ import annotations

from safe4c.domain.urls import TRACKING_PARAMETERS, InvalidUrl, canonical_url, is_tracking_parameter
from safe4c.matching.errors import InvalidSignal
from safe4c.matching.signals import SignalType

__all__ = ["UrlSignal", "normalise_url", "is_tracking_parameter", "TRACKING_PARAMETERS"]


class UrlSignal(SignalType):
    name = "url"
    description = "URL, normalised (exact match on the canonical form)"

    def normalise(self, value: str) -> str:
        return normalise_url(value)


def normalise_url(value: str) -> str:
    try:
        return canonical_url(value)
    except InvalidUrl as error:
        raise InvalidSignal(error.code, str(error)) from None
