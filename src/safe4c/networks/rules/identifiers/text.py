"""Identifiers in free text (a child's or a parent's own words, in Indonesian or English).

Finders run from the most specific shape to the loosest, and each one blanks out what it took,
so that an e-mail is not also read as a link, a link's digits as a phone, a bank account as a
phone, or a phone as a hash.
"""

from __future__ import annotations

from safe4c.networks.rules.identifiers.emails import find_emails
from safe4c.networks.rules.identifiers.hashes import find_hashes
from safe4c.networks.rules.identifiers.links import identifiers_from_url
from safe4c.networks.rules.identifiers.mentions import find_handles
from safe4c.networks.rules.identifiers.model import Identifier
from safe4c.networks.rules.identifiers.payments import ewallets_before, find_bank_accounts
from safe4c.networks.rules.identifiers.phones import find_phones
from safe4c.networks.rules.identifiers.urls import find_urls

# Not a phone separator, not hex, not a handle or URL character: blanking with it cannot join
# two pieces of text into a new identifier.
_BLANK = "|"


class _Scan:
    def __init__(self, text: str) -> None:
        self.text = text
        self._found: list[tuple[int, int, Identifier]] = []

    def take(self, start: int, end: int, identifiers: list[Identifier]) -> None:
        for identifier in identifiers:
            self._found.append((start, len(self._found), identifier))
        self.text = self.text[:start] + _BLANK * (end - start) + self.text[end:]

    def identifiers(self) -> list[Identifier]:
        unique: dict[str, Identifier] = {}
        for _, _, identifier in sorted(self._found, key=lambda item: item[:2]):
            unique.setdefault(identifier.key, identifier)
        return list(unique.values())


def extract_from_text(text: str) -> list[Identifier]:
    """All identifiers in a piece of free text, deduplicated by key, in order of appearance."""
    return scan_text(text)


def scan_text(text: str, default_platform: str | None = None) -> list[Identifier]:
    """``extract_from_text`` with a platform for @handles the text does not place on one."""
    if not text:
        return []
    scan = _Scan(text)
    for start, end, email in find_emails(scan.text):
        scan.take(start, end, [Identifier("email", email)])
    for start, end, raw in find_urls(scan.text):
        scan.take(start, end, identifiers_from_url(raw))
    for start, end, identifier in find_hashes(scan.text):
        scan.take(start, end, [identifier])
    for start, end, identifier in find_bank_accounts(scan.text):
        scan.take(start, end, [identifier])
    for start, end, e164 in find_phones(scan.text):
        # An Indonesian e-wallet account is its phone number: keep both, so a report giving the
        # number as 'DANA 0812…' links with one giving it as 'WA 0812…'.
        providers = ewallets_before(scan.text[max(0, start - 40):start])
        wallets = [Identifier("ewallet", e164, provider) for provider in providers]
        scan.take(start, end, wallets + [Identifier("phone", e164)])
    for start, end, identifier in find_handles(scan.text, default_platform):
        scan.take(start, end, [identifier])
    return scan.identifiers()
