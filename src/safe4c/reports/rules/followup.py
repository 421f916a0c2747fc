"""Follow-up codes: 80 random bits a reporter keeps to check on their report.

Shown once, stored only as a keyed hash. Crockford base32 (no I, L, O, U) so a code read aloud
or copied by hand still works: lookalike letters are folded when the code is read back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 16  # 16 x 5 bits = 80 bits
_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


_FROM_RFC4648 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET.encode())


def new_code() -> str:
    # 10 random bytes are exactly 80 bits, exactly 16 base32 characters (no padding).
    raw = base64.b32encode(secrets.token_bytes(10)).translate(_FROM_RFC4648).decode()
    return "-".join(raw[i:i + 4] for i in range(0, CODE_CHARS, 4))


def canonical(code: str) -> str | None:
    """The code as stored, or None when it cannot be a code (wrong length or letters)."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum()).translate(_FOLD)
    if len(cleaned) != CODE_CHARS or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def code_hash(code: str, *, key: bytes) -> str | None:
    canon = canonical(code)
    if canon is None:
        return None
    return hmac.new(key, canon.encode(), hashlib.sha256).hexdigest()
