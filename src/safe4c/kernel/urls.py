"""The one URL normaliser: a link reported by a child, sent by a platform, and on the hash list
must give the same string, so reports link and matches are found.

Rules (pinned by tests in tests/unit/test_urls.py, tests/unit/matching/test_url.py and test_identifiers.py):

- only http and https; a missing scheme means https; scheme and host lower-cased;
- internationalised host names in IDNA (punycode); trailing dot dropped; user:password@ dropped
  (not part of the resource, and may be a secret);
- the hosts of one big platform (m., www., web. variants, twitter.com/x.com, telegram.me/t.me …) become one
  canonical host, and on those hosts a trailing slash is dropped (the platforms ignore it);
- default ports dropped; fragment dropped (never sent to the server);
- path: dot segments removed, empty path becomes ``/``, percent escapes upper-cased and unreserved characters
  decoded (RFC 3986 6.2.2); case kept, since servers may treat it as significant;
- tracking parameters dropped (``utm_*`` and ``TRACKING_PARAMETERS``); the rest sorted by name, repeated names
  keeping their order (``a=1&a=2`` may differ from ``a=2&a=1``); values re-encoded one way (space as ``%20``).

``canonical_url`` keeps the scheme (it is what a person or platform sent). Whether two links name the same
content is decided in one place, ``url_match_key``: http and https are the same there (sites serve the same
content on both, and a report rarely says which). The hash list's value keys, the matcher and report linking
compare URLs by that key.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

MAX_URL_LENGTH = 8192
DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMETERS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "igsh", "si", "ttclid",
    "twclid", "mc_cid", "mc_eid", "_ga", "_gl", "ref_src", "ref_url", "s_cid", "mkt_tok", "spm", "mibextid",
    "_t", "_r", "is_from_webapp", "sender_device",
})
TRACKING_PREFIXES = ("utm_",)

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
    "chat.whatsapp.com": "chat.whatsapp.com",
    **dict.fromkeys(("snapchat.com", "www.snapchat.com"), "snapchat.com"),
    **dict.fromkeys(("line.me", "www.line.me"), "line.me"),
}

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_PERCENT = re.compile(r"%([0-9a-fA-F]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"  # unreserved, sub-delims, ':' '@' '/'
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.ASCII)
_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")


class InvalidUrl(ValueError):
    """``code``: empty, too_long, bad_url or unsupported_scheme. The message never repeats the URL."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(value: str) -> str:
    """The canonical form of an http(s) URL, or ``InvalidUrl``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidUrl("empty", "a URL is required")
    text = value.strip()
    if len(text) > MAX_URL_LENGTH:
        raise InvalidUrl("too_long", f"a URL has at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise InvalidUrl("bad_url", "a URL cannot contain spaces or control characters")
    if text.startswith("//"):
        text = "https:" + text
    elif not _SCHEME.match(text):
        if ":" in text.split("/", 1)[0] and not re.match(r"^[^:/]+:\d", text):
            raise InvalidUrl("unsupported_scheme", "only http and https URLs are accepted")
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise InvalidUrl("bad_url", "the URL has an invalid host or port") from error
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidUrl("unsupported_scheme", "only http and https URLs are accepted")
    host = _normalise_host(parts.hostname or "")
    path = _normalise_path(parts.path)
    canonical = CANONICAL_HOSTS.get(host)
    if canonical:
        host = canonical
        path = path.rstrip("/") or "/"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, path, _normalise_query(parts.query), ""))


def url_match_key(url: str) -> str:
    """What two canonical URLs must share to name the same content: the URL with ``http`` folded into
    ``https``. Takes ``canonical_url`` output (pass anything else through ``canonical_url`` first)."""
    return "https://" + url[len("http://"):] if url.startswith("http://") else url


def normalise_url(value: str | None) -> str | None:
    """``canonical_url``, or None when the value is not an http(s) URL."""
    if not value:
        return None
    try:
        return canonical_url(value.strip().strip("<>\"'"))
    except InvalidUrl:
        return None


def _normalise_host(hostname: str) -> str:
    host = hostname.rstrip(".").lower()
    if not host:
        raise InvalidUrl("bad_url", "the URL has no host")
    if ":" in host:  # IPv6 literal; urlsplit removed the brackets
        return f"[{host}]"
    if _IPV4.fullmatch(host):
        return host
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise InvalidUrl("bad_url", "the URL has an invalid host name") from error
    labels = host.split(".")
    if not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise InvalidUrl("bad_url", "the URL has an invalid host name")
    # A web address has a dot: a lone word ("budi", "localhost") is not one.
    if len(labels) < 2 or not (labels[-1].isalpha() or labels[-1].startswith("xn--")):
        raise InvalidUrl("bad_url", "the URL has an invalid host name")
    return host


def _normalise_percent(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PERCENT.sub(fix, text)


def _normalise_path(path: str) -> str:
    path = quote(_normalise_percent(path), safe=_PATH_SAFE)
    return _remove_dot_segments(path) or "/"


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on an absolute path."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def _normalise_query(query: str) -> str:
    if not query:
        return ""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_tracking_parameter(k)]
    pairs.sort(key=lambda pair: pair[0])  # stable: repeated names keep their order
    return urlencode(pairs, quote_via=quote, safe="")
