"""Marking user-facing words for translation where no language is known yet (rules, the kernel)."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a string for translation without translating it here (Babel extracts ``N_``; the web translates)."""
    return message
