"""URL normalisation, and finding URLs (with or without a scheme) in free text.

The aim is one key per piece of content: two children pasting the same TikTok link from
different phones should produce the same URL, so share-tracking parameters, fragments, default
ports and the m./www./web. variants of the big platforms are removed.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

# Parameters that only say who shared a link or which ad was clicked.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "ttclid", "igshid", "igsh", "si", "mibextid",
    "_t", "_r", "is_from_webapp", "sender_device",
})
TRACKING_PREFIXES = ("utm_",)

# Hosts of one platform, all mapped to one canonical host.
CANONICAL_HOSTS: dict[str, str] = {
    **dict.fromkeys(("instagram.com", "www.instagram.com", "m.instagram.com", "instagr.am"), "instagram.com"),
    **dict.fromkeys(("tiktok.com", "www.tiktok.com", "m.tiktok.com"), "tiktok.com"),
    **dict.fromkeys(("x.com", "www.x.com", "mobile.x.com", "twitter.com", "www.twitter.com",
                     "mobile.twitter.com"), "x.com"),
    **dict.fromkeys(("facebook.com", "www.facebook.com", "m.facebook.com", "web.facebook.com",
                     "mbasic.facebook.com", "touch.facebook.com", "fb.com", "www.fb.com"), "facebook.com"),
    **dict.fromkeys(("youtube.com", "www.youtube.com", "m.youtube.com"), "youtube.com"),
    **dict.fromkeys(("t.me", "www.t.me", "telegram.me", "www.telegram.me", "telegram.dog"), "t.me"),
    **dict.fromkeys(("wa.me", "www.wa.me"), "wa.me"),
    **dict.fromkeys(("api.whatsapp.com", "www.whatsapp.com", "whatsapp.com"), "api.whatsapp.com"),
    **dict.fromkeys(("chat.whatsapp.com",), "chat.whatsapp.com"),
    **dict.fromkeys(("snapchat.com", "www.snapchat.com"), "snapchat.com"),
    **dict.fromkeys(("line.me", "www.line.me"), "line.me"),
}

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")


def normalise_url(url: str | None) -> str | None:
    """Normalise an http(s) URL; a missing scheme means https. None if it is not a web URL.

    Lower-cases scheme and host, drops user:password@ (never part of the content's identity, and
    may be a secret), the default port, the fragment and tracking parameters; an empty path is '/'.
    Path and the remaining query are kept byte for byte: they are case-sensitive."""
    if not url:
        return None
    text = url.strip().strip("<>\"'")
    if text.startswith("//"):
        text = "https:" + text
    elif not _SCHEME.match(text):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    host = _normalise_host(parts.hostname or "")
    if host is None:
        return None
    canonical = CANONICAL_HOSTS.get(host)
    path = parts.path or "/"
    if canonical:
        host = canonical
        # The platforms ignore a trailing slash; keeping it would split one post into two keys.
        path = path.rstrip("/") or "/"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, path, _strip_tracking(parts.query), ""))


def _normalise_host(host: str) -> str | None:
    host = host.rstrip(".")
    if _IPV4.fullmatch(host):
        return host
    try:
        host = host.encode("idna").decode("ascii")  # one spelling for internationalised names
    except UnicodeError:
        return None
    labels = host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return None
    if not labels[-1].isalpha():
        return None
    return host


def _strip_tracking(query: str) -> str:
    # Split by hand rather than parse and re-encode, so the parameters we keep stay exactly as sent.
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name = unquote(pair.split("=", 1)[0]).lower()
        if name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES):
            continue
        kept.append(pair)
    return "&".join(kept)


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
