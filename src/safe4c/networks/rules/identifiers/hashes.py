"""Content hashes (MD5, SHA-1, SHA-256, PDQ) as lower-case hex.

PDQ and SHA-256 are both 64 hex digits. A PDQ hash is only recognised when labelled 'pdq'
close before it; otherwise a 64-digit hash is taken as SHA-256, the commoner of the two in
reports and the one whose mistakes are cheap (an exact hash never matches by accident).
"""

from __future__ import annotations

import re

from safe4c.kernel.signals import EXACT_DIGESTS, HASH_TYPES, InvalidSignal, PdqSignal
from safe4c.networks.rules.identifiers.model import Identifier

# The hash signal types (kernel/signals.py) decide what a valid value is.
# An unlabelled hash is guessed from its length among the exact digests (a PDQ hash needs its label).
_KIND_BY_LENGTH = {HASH_TYPES[name].hex_length: name for name in EXACT_DIGESTS}
_LENGTHS = "|".join(f"[0-9a-f]{{{n}}}" for n in sorted(_KIND_BY_LENGTH, reverse=True))
_HEX_IN_TEXT = re.compile(rf"(?<![0-9a-z])(?:{_LENGTHS})(?![0-9a-z])", re.ASCII | re.IGNORECASE)
# 'PDQ: <hex>', 'pdq hash = <hex>', 'pdqhash <hex>' (the label within a few characters, same line).
_PDQ_LABEL = re.compile(r"\bpdq(?:[\s_-]?hash)?\b[^\n]{0,16}$", re.IGNORECASE)


def normalise_hash(raw: str, kind: str | None = None) -> Identifier | None:
    """Lower-case hex of the right length for ``kind`` (a hash signal type: the registry validates it); with no
    kind, guess from the length (64 digits -> sha256). Returns None for anything else."""
    if kind is None:
        kind = _KIND_BY_LENGTH.get(len(raw.strip()))
    signal_type = HASH_TYPES.get(kind)
    if signal_type is None:
        return None
    try:
        return Identifier(kind, signal_type.normalise(raw))
    except InvalidSignal:
        return None


def find_hashes(text: str) -> list[tuple[int, int, Identifier]]:
    """Hashes in free text. A run of decimal digits only is skipped: that is an account number
    or an ID far more often than a hash (and a real MD5 of only digits is vanishingly rare)."""
    found = []
    for match in _HEX_IN_TEXT.finditer(text):
        value = match.group()
        if value.isdigit():
            continue
        labelled_pdq = len(value) == 64 and _PDQ_LABEL.search(text[max(0, match.start() - 24):match.start()])
        identifier = normalise_hash(value, PdqSignal.name if labelled_pdq else None)
        if identifier:
            found.append((match.start(), match.end(), identifier))
    return found
