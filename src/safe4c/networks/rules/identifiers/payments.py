"""E-wallet and bank account numbers named in free text ('DANA 0812…', 'rek. BRI 0123-01-…').

Money trails matter in sextortion cases. A number only counts when a provider is named right
before it: a bare 10-digit number could be anything.
"""

from __future__ import annotations

import re

from safe4c.networks.rules.identifiers.model import Identifier

# Spellings people use, mapped to provider codes (model.EWALLETS / model.BANKS).
EWALLET_ALIASES: dict[str, str] = {
    "dana": "dana", "ovo": "ovo", "gopay": "gopay", "go-pay": "gopay", "go pay": "gopay",
    "shopeepay": "shopeepay", "shopee pay": "shopeepay", "spay": "shopeepay",
    "linkaja": "linkaja", "link aja": "linkaja",
}
BANK_ALIASES: dict[str, str] = {
    "bca": "bca", "bri": "bri", "bni": "bni", "mandiri": "mandiri",
    "bsi": "bsi", "bank syariah indonesia": "bsi", "syariah indonesia": "bsi",
    "cimb niaga": "cimb_niaga", "cimb": "cimb_niaga", "niaga": "cimb_niaga",
    "permata": "permata", "permatabank": "permata", "btn": "btn", "danamon": "danamon",
    "jago": "jago", "seabank": "seabank", "sea bank": "seabank",
    "ocbc nisp": "ocbc", "ocbc": "ocbc", "panin": "panin", "maybank": "maybank",
    "btpn": "btpn", "jenius": "btpn", "muamalat": "muamalat", "bank mega": "mega",
    "bjb": "bjb", "bank dki": "dki", "blu bca": "blu", "bca digital": "blu", "blu": "blu",
    "allo bank": "allo", "allobank": "allo", "neo commerce": "neo", "bank neo": "neo",
    "neobank": "neo", "superbank": "superbank", "sinarmas": "sinarmas", "uob": "uob",
}


def _alternation(aliases: dict[str, str]) -> str:
    # Longest first, so 'blu bca' wins over 'bca' and 'cimb niaga' over 'cimb'.
    names = sorted(aliases, key=len, reverse=True)
    return "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in names)


_ACCOUNT_WORD = r"(?:no\.?|nomor|nomer|rek(?:ening)?\.?|norek|acc(?:ount)?|akun|ke)"
_BANK = re.compile(
    r"(?<![a-z0-9])(?:" + _ACCOUNT_WORD + r"\s*)*(?:bank\s+)?"
    r"(?P<bank>" + _alternation(BANK_ALIASES) + r")(?![a-z0-9])"
    r"(?:\s*(?:[:=\-]|" + _ACCOUNT_WORD + r"(?![a-z])))*\s*"
    r"(?P<number>[0-9](?:[0-9]|[ .\-](?=[0-9]))*)",
    re.IGNORECASE,
)
_EWALLET = _alternation(EWALLET_ALIASES)
# A provider or a list of them ('dana/ovo'), then only filler words, right before a phone number.
_EWALLET_BEFORE = re.compile(
    r"(?<![a-z0-9])(?P<providers>(?:" + _EWALLET + r")(?:\s*(?:/|,|&|atau|or)\s*(?:" + _EWALLET + r"))*)"
    r"(?:\s*(?:[:=\-]|no\.?|nomor|nomer|ke|akun|acc|account|number)(?![a-z]))*\s*$",
    re.IGNORECASE,
)
_EWALLET_NAME = re.compile(_EWALLET, re.IGNORECASE)
_ACCOUNT_DIGITS = (8, 20)  # BCA 10, BRI 15, Mandiri 13; fewer or more is not an account number


def find_bank_accounts(text: str) -> list[tuple[int, int, Identifier]]:
    """Bank accounts named with their bank, as (start, end, Identifier('bank', digits, bank))."""
    found = []
    for match in _BANK.finditer(text):
        number = match.group("number")
        digits = re.sub(r"[^0-9]", "", number)
        if len(digits) > _ACCOUNT_DIGITS[1] and " " in number:
            # Spaces may join the account to whatever follows; keep the first group only.
            number = number.split(" ")[0]
            digits = re.sub(r"[^0-9]", "", number)
        if not _ACCOUNT_DIGITS[0] <= len(digits) <= _ACCOUNT_DIGITS[1]:
            continue
        bank = BANK_ALIASES[_fold(match.group("bank"))]
        end = match.start("number") + len(number)
        found.append((match.start(), end, Identifier("bank", digits, bank)))
    return found


def ewallets_before(prefix: str) -> list[str]:
    """E-wallet providers named at the end of ``prefix`` (the text just before a phone number)."""
    match = _EWALLET_BEFORE.search(prefix)
    if not match:
        return []
    names = _EWALLET_NAME.findall(match.group("providers"))
    return list(dict.fromkeys(EWALLET_ALIASES[_fold(name)] for name in names))


def _fold(name: str) -> str:
    return re.sub(r"\s+", " ", name.casefold())
