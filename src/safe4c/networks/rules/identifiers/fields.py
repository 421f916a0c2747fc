"""Identifiers from form fields, where a person typed an account, a number or a link into a box.

The kind is decided by the shape of what was typed. When the strict reading finds nothing
('@budi (ig)', '0812 3456 7890 WA'), the entry is read as free text, so nothing typed is lost
that the free-text rules would have found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from safe4c.networks.rules.identifiers.emails import normalise_email
from safe4c.networks.rules.identifiers.handles import normalise_handle, normalise_platform
from safe4c.networks.rules.identifiers.hashes import normalise_hash
from safe4c.networks.rules.identifiers.links import identifiers_from_url
from safe4c.networks.rules.identifiers.model import UNKNOWN_PLATFORM, Identifier
from safe4c.networks.rules.identifiers.phones import _PHONE_START, normalise_phone
from safe4c.networks.rules.identifiers.text import scan_text
from safe4c.networks.rules.identifiers.urls import find_urls

_ENTRY_SEPARATORS = re.compile(r"[\n,;]+")
_PHONE_SHAPE = re.compile(r"[+0-9()\s.\-]{7,}")
# Written the way Indonesians write a phone; a bare run of digits may be a game or Facebook id.


def extract_from_fields(
    *,
    accounts: Iterable[str] = (),
    platform: str | None = None,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    urls: Iterable[str] = (),
) -> list[Identifier]:
    """Identifiers from structured report fields, deduplicated by key, in the order given.

    ``accounts``: what the person typed in the account box (one or more per entry, separated by
    new lines, commas or semicolons); ``platform``: the platform they chose, as a code or a
    common name, or None."""
    code = normalise_platform(platform)
    found: list[Identifier] = []
    for entry in _entries(accounts):
        found += _account(entry, code) or scan_text(entry, code)
    for entry in _entries(phones):
        phone = normalise_phone(entry)
        found += [Identifier("phone", phone)] if phone else scan_text(entry, code)
    for entry in _entries(emails):
        email = normalise_email(entry)
        found += [Identifier("email", email)] if email else scan_text(entry, code)
    for entry in _entries(urls):
        found += identifiers_from_url(entry) or scan_text(entry, code)
    unique: dict[str, Identifier] = {}
    for identifier in found:
        unique.setdefault(identifier.key, identifier)
    return list(unique.values())


def _entries(values: Iterable[str]) -> list[str]:
    parts = (part.strip() for value in values if value for part in _ENTRY_SEPARATORS.split(value))
    return [part for part in parts if part]


def _account(entry: str, platform: str | None) -> list[Identifier]:
    """Read one typed account by its shape: link, e-mail, phone, hash, then handle."""
    if _is_link(entry):
        return identifiers_from_url(entry)
    if "@" in entry.strip("@"):
        email = normalise_email(entry)
        return [Identifier("email", email)] if email else []
    if _PHONE_SHAPE.fullmatch(entry):
        phone = normalise_phone(entry)
        if phone and (platform == "whatsapp" or _PHONE_START.match(entry)):
            return [Identifier("phone", phone)]
    hashed = normalise_hash(entry)
    if hashed:
        return [hashed]
    handle = normalise_handle(platform or UNKNOWN_PLATFORM, entry)
    return [Identifier("handle", handle, platform or UNKNOWN_PLATFORM)] if handle else []


def _is_link(entry: str) -> bool:
    if re.match(r"(?:https?|tg)://|www\.", entry, re.IGNORECASE):
        return True
    links = find_urls(entry)
    return len(links) == 1 and links[0][0] == 0 and links[0][1] == len(entry)
