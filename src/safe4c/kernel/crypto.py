"""Keys derived from the one master secret, and sealing of sensitive text at rest (AES-256-GCM)."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"  # key version, so keys can rotate without losing old rows


def derive_key(secret: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"safe4c", info=purpose.encode()).derive(secret)


class Sealer:
    def __init__(self, secret: bytes):
        self._aead = AESGCM(derive_key(secret, "seal-v1"))

    def seal(self, text: str | None, *, context: str) -> bytes | None:
        """Encrypt; ``context`` (e.g. "report.story") is bound in, so a value cannot be moved to another column."""
        if text is None:
            return None
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, text.encode(), context.encode())

    def open(self, sealed: bytes | None, *, context: str) -> str | None:
        if sealed is None:
            return None
        if sealed[:1] != _VERSION:
            raise ValueError("unknown key version")
        nonce, body = sealed[1:13], sealed[13:]
        return self._aead.decrypt(nonce, body, context.encode()).decode()
