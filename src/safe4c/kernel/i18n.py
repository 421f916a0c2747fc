"""Marking text for translation where no language is known yet (rules, errors, settings)."""


def N_(message: str) -> str:
    """Mark a string for translation without translating it here; the web layer translates it for the reader."""
    return message
