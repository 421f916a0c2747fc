"""Phone numbers to E.164, from a field, a WhatsApp link, or free text.

Indonesia is the default region: '0812…', '62812…', '+62 812…', '0062 812…' and the common
'+62 0812…' slip all give '+62812…'. Only numbers that ``phonenumbers`` calls valid are kept,
because a wrong phone key would link unrelated children's reports.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import phonenumbers

DEFAULT_REGION = "ID"

_SEPARATORS = re.compile(r"[\s\-.()/\u00a0]+")
_DIALLABLE = re.compile(r"\+?[0-9]{7,15}", re.ASCII)
_WA_HOSTS = ("wa.me", "api.whatsapp.com", "whatsapp.com", "web.whatsapp.com")


def normalise_phone(raw: str | None) -> str | None:
    """Return the E.164 form ('+6281234567890') of a phone number or wa.me / api.whatsapp.com link,
    or None when it is not a valid number."""
    if not raw:
        return None
    text = raw.strip()
    if "whatsapp" in text.casefold() or "wa.me" in text.casefold():
        text = _number_in_whatsapp_link(text) or ""
    if text.casefold().startswith("tel:"):
        text = text[4:]
    compact = _SEPARATORS.sub("", text)
    if not _DIALLABLE.fullmatch(compact):
        return None  # letters, stray symbols, too short or too long
    if compact.startswith("00"):
        compact = "+" + compact[2:]  # international call prefix, e.g. 0062 from abroad
    return _e164(compact)


def _e164(candidate: str) -> str | None:
    try:
        number = phonenumbers.parse(candidate, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _number_in_whatsapp_link(text: str) -> str | None:
    """'wa.me/6281…', 'https://api.whatsapp.com/send?phone=6281…&text=…' -> '6281…'."""
    url = text if "://" in text else "https://" + text
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return None
    if host not in _WA_HOSTS:
        return None
    if host == "wa.me":
        segment = parts.path.strip("/").split("/")[0]
        return segment or None
    phone = parse_qs(parts.query).get("phone")
    return phone[0] if phone else None


# --- free text ---------------------------------------------------------------------------------

# Indonesians always write a number with its trunk '0' or with '62' / '+62'; anything that starts
# otherwise (a date, an amount, a NIK, an order number) is not treated as a phone in free text.
# Foreign numbers are kept only when written with '+'.
_PHONE_START = re.compile(r"[(\s]*(?:\+|0|62)")
_DATE = re.compile(r"[0-9]{1,4}[-./][0-9]{1,2}[-./][0-9]{2,4}")
_MONEY_BEFORE = re.compile(r"(?:rp|idr|usd|\$)\.?\s*$", re.IGNORECASE)
_MONEY_AFTER = re.compile(r"^\s*(?:rb|ribu|jt|juta|k|rupiah|idr)\b", re.IGNORECASE)
# The matcher does not know the 0062 prefix; rewrite it in place (same length, offsets stay put).
_ZERO_ZERO_62 = re.compile(r"(?<![0-9+])00(?=\s?62)")
# 'WA081234567890', 'hp:0812…': the matcher skips a number glued to a word; people type them so.
# Only mobile numbers (08…, 628…), which cannot be confused with a date or an amount.
_GLUED_MOBILE = re.compile(
    r"(?<=[a-z:])(?:\+?62|0)8[0-9](?:[0-9]|[ .\-](?=[0-9])){7,13}(?![0-9])", re.IGNORECASE
)


def find_phones(text: str) -> list[tuple[int, int, str]]:
    """Phone numbers in free text as (start, end, E.164), leaving out dates, money and IDs."""
    prepared = _ZERO_ZERO_62.sub(" +", text)
    found: list[tuple[int, int, str]] = []
    for match in phonenumbers.PhoneNumberMatcher(prepared, DEFAULT_REGION):
        raw = match.raw_string
        if not _PHONE_START.match(raw) or _DATE.fullmatch(raw.strip()):
            continue
        if _MONEY_BEFORE.search(prepared[max(0, match.start - 6):match.start]):
            continue
        if _MONEY_AFTER.match(prepared[match.end:match.end + 8]):
            continue
        if sum(ch.isdigit() for ch in raw) > 15:
            continue  # longer than any E.164 number: a NIK or an account number
        if not phonenumbers.is_valid_number(match.number):
            continue
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        found.append((match.start, match.end, e164))
    for match in _GLUED_MOBILE.finditer(prepared):
        e164 = normalise_phone(match.group())
        if e164 and not any(start < match.end() and match.start() < end for start, end, _ in found):
            found.append((match.start(), match.end(), e164))
    return sorted(found)
