"""PDQ: Meta's perceptual hash for images (256 bits, Hamming distance).

Bit order: ``pdqhash.compute`` returns 256 bits which, packed most significant
bit first (``numpy.packbits``), give exactly the hexadecimal form Meta's
reference implementations print; ``tests/unit/matching/test_pdq_reference.py``
checks this against Meta's published hashes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from safe4c.kernel.signals import PDQ_BITS, PDQ_MATCH_DISTANCE, PDQ_MIN_QUALITY, InvalidSignal, PdqSignal

__all__ = ["PDQ_BITS", "PDQ_BYTES", "PDQ_MATCH_DISTANCE", "PDQ_MIN_QUALITY", "PdqSignal", "array_to_hashes",
           "compute_pdq", "hashes_to_array"]

PDQ_BYTES = PDQ_BITS // 8


def compute_pdq(rgb: Any) -> tuple[str, int]:
    """PDQ hex and quality (0-100) of an RGB image (PIL image or HxWx3 uint8)."""
    import pdqhash  # imported here so validating hashes never needs the C extension

    pixels = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError("compute_pdq needs an RGB image of shape HxWx3")
    bits, quality = pdqhash.compute(pixels)
    packed = np.packbits(np.asarray(bits, dtype=np.uint8))
    return packed.tobytes().hex(), int(quality)


def hashes_to_array(hashes: Iterable[str] | np.ndarray) -> np.ndarray:
    """PDQ hashes as an (n, 32) uint8 array, the form every index stores.

    Accepts hex strings (validated) or an array that already has that shape.
    """
    if isinstance(hashes, np.ndarray):
        if hashes.dtype != np.uint8 or hashes.ndim != 2 or hashes.shape[1] != PDQ_BYTES:
            raise InvalidSignal("wrong_length", f"PDQ arrays must be uint8 of shape (n, {PDQ_BYTES})")
        return np.ascontiguousarray(hashes)
    signal = PdqSignal()
    raw = b"".join(bytes.fromhex(signal.normalise(h)) for h in hashes)
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, PDQ_BYTES).copy()


def array_to_hashes(array: np.ndarray) -> list[str]:
    return [row.tobytes().hex() for row in array]
