"""The signal type interface and the exact (cryptographic digest) types.

A signal type is one short class: a stable ``name`` used as a storage key and a
``normalise`` that either returns the canonical string form or raises
:class:`InvalidSignal`. Types that support near matching add a distance (see
:class:`HammingSignal`). The registry of all types lives in ``registry.py``;
:func:`build_registry` refuses two types sharing a name, because the name is
what the database stores.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

from safe4c.hashlist.matching.errors import InvalidSignal

_HEX = re.compile(r"[0-9a-f]*")


@dataclass(frozen=True, slots=True)
class SignalValue:
    """One computed or submitted signal: its type name, canonical value and,
    for perceptual hashes, the hasher's quality score (0-100)."""

    signal_type: str
    value: str
    quality: int | None = None


class SignalType:
    """Interface of every signal type. Subclasses set ``name`` and implement
    ``normalise``. Instances hold no state; the registry keeps one of each."""

    name: ClassVar[str]
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
    description = "MD5 of the file bytes (exact match)"
    hex_length = 32


class Sha1Signal(HexDigestSignal):
    # CyberTipline and several platforms report SHA-1, so we accept it as is.
    name = "sha1"
    description = "SHA-1 of the file bytes (exact match)"
    hex_length = 40


class Sha256Signal(HexDigestSignal):
    name = "sha256"
    description = "SHA-256 of the file bytes (exact match)"
    hex_length = 64


def build_registry(types: Iterable[SignalType]) -> Mapping[str, SignalType]:
    """Map name -> signal type, refusing duplicate or missing names.

    Raised at import time of ``registry.py``, so a clash fails every test
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
