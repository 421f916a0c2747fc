"""The registry of signal types, keyed by their stable storage name."""

from __future__ import annotations

from collections.abc import Mapping

from safe4c.hashlist.matching.errors import InvalidSignal
from safe4c.hashlist.matching.pdq import PdqSignal
from safe4c.hashlist.matching.signals import Md5Signal, Sha1Signal, Sha256Signal, SignalType, build_registry
from safe4c.hashlist.matching.url import UrlSignal

SIGNAL_TYPES: Mapping[str, SignalType] = build_registry(
    [PdqSignal(), Md5Signal(), Sha1Signal(), Sha256Signal(), UrlSignal()]
)


def get_signal_type(name: str) -> SignalType:
    try:
        return SIGNAL_TYPES[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(SIGNAL_TYPES))
        raise InvalidSignal("unknown_type", f"unknown signal type; known types: {known}") from None


def normalise_signal(name: str, value: str) -> str:
    """Canonical form of ``value`` for the signal type called ``name``."""
    return get_signal_type(name).normalise(value)
