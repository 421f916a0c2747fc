"""E-mail addresses: lower-cased and trimmed, nothing more.

We do not remove Gmail dots or '+tags': that would merge addresses on the say-so of one provider's
current policy, and a false merge links unrelated reports. Lower-casing the local part is a small,
deliberate exception: no provider people use in Indonesia treats it as case-sensitive.
"""

from __future__ import annotations

import re

_LOCAL = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}"
_EMAIL = re.compile(rf"{_LOCAL}@{_DOMAIN}", re.ASCII)
# In free text, a narrower local part so that quotes and brackets around an address are not taken in.
_EMAIL_IN_TEXT = re.compile(
    r"(?<![a-z0-9._%+-])[a-z0-9._%+-]+@(?:[a-z0-9-]+\.)+[a-z]{2,24}(?![a-z0-9-])",
    re.ASCII | re.IGNORECASE,
)
_WRAPPING = " \t\r\n<>()[]{}\"'`,;:.!?"


def normalise_email(raw: str | None) -> str | None:
    """'  <Budi.Santoso@Gmail.com>, ' -> 'budi.santoso@gmail.com'; None if it is not an address."""
    if not raw:
        return None
    text = raw.strip().strip(_WRAPPING)
    if text.casefold().startswith("mailto:"):
        text = text[7:].split("?")[0]
    text = text.strip(_WRAPPING).lower()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        return None
    if ".." in text or len(text.split("@")[0]) > 64:
        return None
    return text


def find_emails(text: str) -> list[tuple[int, int, str]]:
    """E-mail addresses in free text as (start, end, normalised)."""
    found = []
    for match in _EMAIL_IN_TEXT.finditer(text):
        email = normalise_email(match.group())
        if email:
            found.append((match.start(), match.end(), email))
    return found
