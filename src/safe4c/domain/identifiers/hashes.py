"""Content hashes (MD5, SHA-1, SHA-256, PDQ) as lower-case hex.

PDQ and SHA-256 are both 64 hex digits. A PDQ hash is only recognised when labelled 'pdq'
close before it; otherwise a 64-digit hash is taken as SHA-256, the commoner of the two in
reports and the one whose mistakes are cheap (an exact hash never matches by accident).
"""

from __future__ import annotations

import re

from .model import Identifier

_KIND_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256"}
_HEX = re.compile(r"[0-9a-f]+", re.ASCII)
_HEX_IN_TEXT = re.compile(r"(?<![0-9a-z])(?:[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32})(?![0-9a-z])",
                          re.ASCII | re.IGNORECASE)
# 'PDQ: <hex>', 'pdq hash = <hex>', 'pdqhash <hex>' (the label within a few characters, same line).
_PDQ_LABEL = re.compile(r"\bpdq(?:[\s_-]?hash)?\b[^\n]{0,16}$", re.IGNORECASE)


def normalise_hash(raw: str, kind: str | None = None) -> Identifier | None:
    """Lower-case hex of the right length for ``kind``; with no kind, guess from the length
    (64 digits -> sha256). Returns None for anything else."""
    value = raw.strip().lower()
    if not _HEX.fullmatch(value):
        return None
    guessed = _KIND_BY_LENGTH.get(len(value))
    if kind is None:
        kind = guessed
    elif kind == "pdq":
        kind = "pdq" if len(value) == 64 else None
    elif kind != guessed:
        return None
    return Identifier(kind, value) if kind else None


def find_hashes(text: str) -> list[tuple[int, int, Identifier]]:
    """Hashes in free text. A run of decimal digits only is skipped: that is an account number
    or an ID far more often than a hash (and a real MD5 of only digits is vanishingly rare)."""
    found = []
    for match in _HEX_IN_TEXT.finditer(text):
        value = match.group()
        if value.isdigit():
            continue
        labelled_pdq = len(value) == 64 and _PDQ_LABEL.search(text[max(0, match.start() - 24):match.start()])
        identifier = normalise_hash(value, "pdq" if labelled_pdq else None)
        if identifier:
            found.append((match.start(), match.end(), identifier))
    return found
