"""Finding URLs (with or without a scheme) in free text; normalisation is ``safe4c.kernel.urls``.

The aim is one key per piece of content: two children pasting the same TikTok link from
different phones should produce the same URL, so share-tracking parameters, fragments, default
ports and the m./www./web. variants of the big platforms are removed.
"""

from __future__ import annotations

import re

from safe4c.kernel.urls import CANONICAL_HOSTS, normalise_url

# --- free text ---------------------------------------------------------------------------------

# Without a scheme we only accept common top-level domains, so 'budi.santoso' or 'foto.jpg' in a
# sentence is not taken for a web address.
_BARE_TLDS = (
    "com", "net", "org", "id", "me", "io", "ly", "gg", "co", "info", "biz", "xyz", "site",
    "online", "app", "link", "to", "tv", "cc", "live", "top", "club", "store", "shop", "asia",
    "my", "sg", "am", "dog", "be",
)
_URL_IN_TEXT = re.compile(
    r"(?<![@\w.-])(?:"
    r"(?:https?|tg)://[^\s<>\"]+"
    r"|(?:[a-z0-9-]+\.)+(?:" + "|".join(_BARE_TLDS) + r")(?![a-z0-9-])(?::[0-9]{1,5})?(?:[/?#][^\s<>\"]*)?"
    r")",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"…>]}"


def find_urls(text: str) -> list[tuple[int, int, str]]:
    """Web (and tg://) addresses in free text as (start, end, raw text without trailing punctuation)."""
    found = []
    for match in _URL_IN_TEXT.finditer(text):
        raw = match.group()
        while raw and (raw[-1] in _TRAILING or (raw[-1] == ")" and raw.count("(") < raw.count(")"))):
            raw = raw[:-1]
        if raw:
            found.append((match.start(), match.start() + len(raw), raw))
    return found
