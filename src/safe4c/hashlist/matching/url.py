"""URL signal type over the one URL normaliser (``safe4c.kernel.urls``), so a link on the hash list and the
same link in a report compare equal. The rules are documented there and in docs/matching.md.
"""

from __future__ import annotations

from safe4c.kernel.urls import InvalidUrl, canonical_url
from safe4c.hashlist.matching.errors import InvalidSignal
from safe4c.hashlist.matching.signals import SignalType


class UrlSignal(SignalType):
    """Normalised with ``canonical_url`` (raises :class:`InvalidSignal`; ``domain.urls.normalise_url`` is the
    lenient one that returns None). Two URLs match when their ``domain.urls.url_match_key`` is equal."""

    name = "url"
    description = "URL, normalised (exact match on the canonical form, http and https alike)"

    def normalise(self, value: str) -> str:
        try:
            return canonical_url(value)
        except InvalidUrl as error:
            raise InvalidSignal(error.code, str(error)) from None
