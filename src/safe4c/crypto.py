"""Kept at this path because the landed migration 0005_sealing imports ``safe4c.crypto.Sealer``, and landed
migrations are never edited. The code lives in ``safe4c.kernel.crypto``."""

from safe4c.kernel.crypto import Sealer

__all__ = ["Sealer"]
