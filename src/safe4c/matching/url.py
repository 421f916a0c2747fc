"""URL signal type: one canonical string per resource, so that copies of the
same link reported by a child, a platform and a hotline compare equal.

Decisions (documented in docs/matching.md, pinned by tests):

- scheme and host lower-cased; only http and https; a missing scheme means https;
- internationalised host names converted to IDNA (punycode); trailing dot dropped;
- user name and password dropped (not part of the resource, and personal data);
- default ports (80 for http, 443 for https) dropped;
- path: dot segments removed, empty path becomes ``/``, percent escapes
  upper-cased and unreserved characters decoded (RFC 3986 section 6.2.2);
  case and trailing slashes kept, because servers may treat them as different;
- fragment dropped (never sent to the server);
- tracking parameters dropped (``utm_*`` and the names in ``TRACKING_PARAMETERS``);
- remaining query parameters sorted by name; repeated names keep their
  relative order (a stable sort), since ``a=1&a=2`` may differ from ``a=2&a=1``;
  values re-encoded the same way every time (space as ``%20``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from safe4c.matching.errors import InvalidSignal
from safe4c.matching.signals import SignalType

MAX_URL_LENGTH = 8192
DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "igshid", "igsh", "si", "ttclid", "twclid", "mc_cid", "mc_eid",
        "_ga", "_gl", "ref_src", "ref_url", "s_cid", "mkt_tok", "spm",
    }
)
_TRACKING_PREFIXES = ("utm_",)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_PERCENT = re.compile(r"%([0-9a-fA-F]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters allowed unescaped in a path: unreserved, sub-delims, ':' '@' '/'.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


class UrlSignal(SignalType):
    name = "url"
    description = "URL, normalised (exact match on the canonical form)"

    def normalise(self, value: str) -> str:
        return normalise_url(value)


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(_TRACKING_PREFIXES)


def normalise_url(value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidSignal("empty", "a URL is required")
    text = value.strip()
    if len(text) > MAX_URL_LENGTH:
        raise InvalidSignal("too_long", f"a URL has at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise InvalidSignal("bad_url", "a URL cannot contain spaces or control characters")
    if not _SCHEME.match(text):
        if ":" in text.split("/", 1)[0] and not re.match(r"^[^:/]+:\d", text):
            raise InvalidSignal("unsupported_scheme", "only http and https URLs are accepted")
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise InvalidSignal("bad_url", "the URL has an invalid host or port") from error
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidSignal("unsupported_scheme", "only http and https URLs are accepted")
    host = _normalise_host(parts.hostname or "")
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _normalise_path(parts.path)
    query = _normalise_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def _normalise_host(hostname: str) -> str:
    host = hostname.rstrip(".").lower()
    if not host:
        raise InvalidSignal("bad_url", "the URL has no host")
    if ":" in host:  # IPv6 literal; urlsplit removed the brackets
        return f"[{host}]"
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise InvalidSignal("bad_url", "the URL has an invalid host name") from error
    if not re.fullmatch(r"[a-z0-9_.-]+", host):
        raise InvalidSignal("bad_url", "the URL has an invalid host name")
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
