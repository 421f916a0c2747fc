"""The one list of signal kinds (hash kinds and links): names, labels, and what a valid value is.

A signal type is one short class: a stable ``name`` used as a storage key, a ``label`` for pages and a
``normalise`` that returns the canonical string form or raises :class:`InvalidSignal`. Types that support
near matching add a distance (:class:`HammingSignal`). ``SIGNAL_TYPES`` is built by :func:`build_registry`,
which refuses two types sharing a name, because the name is what the database stores.

Pure: no numpy, no database. The PDQ index and PDQ computation (``safe4c.hashlist.matching``) use these types;
the rules (identifiers, platform reports, takedown orders) validate with them without loading numpy. To add a
hash kind, add a class here and put it in ``SIGNAL_TYPES``: the API enums, forms and pages follow.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

from safe4c.kernel.i18n import N_
from safe4c.kernel.urls import InvalidUrl, canonical_url, url_match_key

_HEX = re.compile(r"[0-9a-f]*")

PDQ_BITS = 256
# Meta's recommended thresholds (ThreatExchange hashing.pdf): distance <= 31
# is a confident match; below quality 50 an image is too flat to hash usefully.
PDQ_MATCH_DISTANCE = 31
PDQ_MIN_QUALITY = 50


class MatchingError(ValueError):
    """Base class: a value or file the matching library cannot use. ``code`` is stable and machine-readable,
    so the web layer gives one JSON error shape and a translated message. Messages never echo the rejected
    value: it may be a URL or hash that is itself evidence, and errors end up in logs."""

    code: str

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class InvalidSignal(MatchingError):
    """A signal value (hash, URL) or signal type name is not acceptable.

    Codes: ``empty``, ``bad_hex``, ``wrong_length``, ``unknown_type``,
    ``bad_url``, ``unsupported_scheme``, ``too_long``.
    """


@dataclass(frozen=True, slots=True)
class SignalValue:
    """One computed or submitted signal: its type name, canonical value and,
    for perceptual hashes, the hasher's quality score (0-100)."""

    signal_type: str
    value: str
    quality: int | None = None


class SignalType:
    """Interface of every signal type. Subclasses set ``name``, ``label`` and ``description`` and implement
    ``normalise``. Instances hold no state; the registry keeps one of each."""

    name: ClassVar[str]
    label: ClassVar[str]  # for pages: a msgid (``N_``) or a name that needs no translation (MD5)
    description: ClassVar[str]

    def normalise(self, value: str) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<signal type {self.name}>"


class HexDigestSignal(SignalType):
    """A fixed-length hexadecimal digest, compared for equality after
    normalisation (strip surrounding whitespace, lower-case)."""

    hex_length: ClassVar[int]

    def normalise(self, value: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InvalidSignal("empty", f"a {self.name} value is required")
        text = value.strip().lower()
        if not _HEX.fullmatch(text):
            raise InvalidSignal("bad_hex", f"a {self.name} value must be hexadecimal (0-9, a-f)")
        if len(text) != self.hex_length:
            raise InvalidSignal(
                "wrong_length",
                f"a {self.name} value has {self.hex_length} hexadecimal characters, got {len(text)}",
            )
        return text


class HammingSignal(HexDigestSignal):
    """Capability mixin: near matching by Hamming distance over the bits."""

    match_distance: ClassVar[int]

    def distance(self, a: str, b: str) -> int:
        return (int(self.normalise(a), 16) ^ int(self.normalise(b), 16)).bit_count()

    def matches(self, a: str, b: str) -> bool:
        return self.distance(a, b) <= self.match_distance


class Md5Signal(HexDigestSignal):
    name = "md5"
    label = "MD5"
    description = "MD5 of the file bytes (exact match)"
    hex_length = 32


class Sha1Signal(HexDigestSignal):
    # CyberTipline and several platforms report SHA-1, so we accept it as is.
    name = "sha1"
    label = "SHA-1"
    description = "SHA-1 of the file bytes (exact match)"
    hex_length = 40


class Sha256Signal(HexDigestSignal):
    name = "sha256"
    label = "SHA-256"
    description = "SHA-256 of the file bytes (exact match)"
    hex_length = 64


class PdqSignal(HammingSignal):
    """Meta's perceptual hash of an image (256 bits); computing it needs numpy (``hashlist.matching.pdq``)."""

    name = "pdq"
    label = "PDQ"
    description = "PDQ perceptual hash of an image (near match, Hamming distance)"
    hex_length = PDQ_BITS // 4
    match_distance = PDQ_MATCH_DISTANCE
    min_quality = PDQ_MIN_QUALITY


class UrlSignal(SignalType):
    """Normalised with ``kernel.urls.canonical_url`` (raises :class:`InvalidSignal`; ``normalise_url`` is the
    lenient one that returns None). Two URLs match when their ``kernel.urls.url_match_key`` is equal."""

    name = "url"
    label = N_("Link")
    description = "URL, normalised (exact match on the canonical form, http and https alike)"

    def normalise(self, value: str) -> str:
        try:
            return canonical_url(value)
        except InvalidUrl as error:
            raise InvalidSignal(error.code, str(error)) from None


def build_registry(types: Iterable[SignalType]) -> Mapping[str, SignalType]:
    """Map name -> signal type, refusing duplicate or missing names.

    Raised at import time of this module, so a clash fails every test
    rather than silently overwriting what a stored name means.
    """
    registry: dict[str, SignalType] = {}
    for signal_type in types:
        name = getattr(signal_type, "name", "")
        if not name or name != name.strip().lower():
            raise ValueError(f"signal type {type(signal_type).__name__} needs a lower-case name")
        if name in registry:
            raise ValueError(
                f"signal type name {name!r} is used by both "
                f"{type(registry[name]).__name__} and {type(signal_type).__name__}"
            )
        registry[name] = signal_type
    return MappingProxyType(registry)


SIGNAL_TYPES: Mapping[str, SignalType] = build_registry(
    [PdqSignal(), Md5Signal(), Sha1Signal(), Sha256Signal(), UrlSignal()]
)
SIGNAL_KINDS: tuple[str, ...] = tuple(SIGNAL_TYPES)  # what the hash list holds: pdq, md5, sha1, sha256, url
# The hash kinds (a hex value of a file), exact digests first: md5, sha1, sha256, pdq. The order forms and
# pages list them in.
HASH_TYPES: Mapping[str, HexDigestSignal] = MappingProxyType({
    **{n: t for n, t in SIGNAL_TYPES.items() if isinstance(t, HexDigestSignal) and not isinstance(t, HammingSignal)},
    **{n: t for n, t in SIGNAL_TYPES.items() if isinstance(t, HammingSignal)},
})
HASH_KINDS: tuple[str, ...] = tuple(HASH_TYPES)
EXACT_DIGESTS: tuple[str, ...] = tuple(n for n, t in HASH_TYPES.items() if not isinstance(t, HammingSignal))
LABELS: Mapping[str, str] = MappingProxyType({n: t.label for n, t in SIGNAL_TYPES.items()})


def get_signal_type(name: str) -> SignalType:
    try:
        return SIGNAL_TYPES[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(SIGNAL_TYPES))
        raise InvalidSignal("unknown_type", f"unknown signal type; known types: {known}") from None


def normalise_signal(name: str, value: str) -> str:
    """Canonical form of ``value`` for the signal type called ``name``."""
    return get_signal_type(name).normalise(value)


def value_key(signal_type: str, value: str) -> str:
    """The key an entry is stored, deduplicated and looked up by (``value`` in canonical form). URLs go through
    ``kernel/urls.py url_match_key``, so http and https links share one key."""
    if signal_type == "url":
        value = url_match_key(value)
    return hashlib.sha256(f"{signal_type}:{value}".encode()).hexdigest()
