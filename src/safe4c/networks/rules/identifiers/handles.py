"""Platform codes, what people call the platforms, and the (loose) shape of a handle on each.

The rules are deliberately loose: they reject text that cannot be a handle (spaces, a display
name, an e-mail) but do not try to mirror every platform's current sign-up rules, which change.
"""

from __future__ import annotations

import re

from safe4c.networks.rules.identifiers.model import PLATFORMS, UNKNOWN_PLATFORM, Identifier

# What people type for a platform, in Indonesian and English chat, lower-cased and without spaces.
PLATFORM_ALIASES: dict[str, str] = {
    **{code: code for code in PLATFORMS},
    "ig": "instagram", "insta": "instagram", "instagram": "instagram",
    "tt": "tiktok", "tiktok": "tiktok",
    "fb": "facebook", "facebook": "facebook",
    "wa": "whatsapp", "whatsapp": "whatsapp", "whatsap": "whatsapp",
    "tg": "telegram", "tele": "telegram", "telegram": "telegram",
    "twitter": "x", "twt": "x", "x": "x",
    "yt": "youtube", "youtube": "youtube",
    "dc": "discord", "discord": "discord",
    "line": "line",
    "snap": "snapchat", "sc": "snapchat", "snapchat": "snapchat",
    "michat": "michat",
    "ml": "mobile_legends", "mlbb": "mobile_legends", "mobilelegends": "mobile_legends",
    "mobile_legends": "mobile_legends",
    "ff": "free_fire", "freefire": "free_fire", "free_fire": "free_fire",
    "roblox": "roblox",
}

_GENERIC = re.compile(r"[a-z0-9._-]{1,50}")

# Per platform: allowed characters and length, after case folding and removing the leading @.
HANDLE_RULES: dict[str, re.Pattern[str]] = {
    "instagram": re.compile(r"[a-z0-9._]{1,30}"),
    "tiktok": re.compile(r"[a-z0-9._]{2,24}"),
    "x": re.compile(r"[a-z0-9_]{1,15}"),
    "telegram": re.compile(r"[a-z0-9_]{5,32}"),
    "youtube": re.compile(r"[a-z0-9._-]{3,30}"),
    # Usernames, or the numeric id from profile.php?id=.
    "facebook": re.compile(r"[a-z0-9.]{1,50}"),
    # WhatsApp accounts are phone numbers; usernames are new, so accept a loose shape.
    "whatsapp": re.compile(r"[a-z0-9._]{3,35}"),
    # New-style usernames, or the legacy name#1234 form people still quote.
    "discord": re.compile(r"[a-z0-9._]{2,32}(?:#[0-9]{4})?"),
    "line": re.compile(r"[a-z0-9._-]{3,20}"),
    "snapchat": re.compile(r"[a-z0-9._-]{3,15}"),
    "michat": _GENERIC,
    # Player id, optionally with the server (zone) id in parentheses: 123456789(2001).
    "mobile_legends": re.compile(r"[0-9]{5,12}(?:\([0-9]{3,5}\))?"),
    # Numeric UID or an ASCII nickname.
    "free_fire": re.compile(r"[a-z0-9._-]{2,30}"),
    "roblox": re.compile(r"[a-z0-9_]{3,20}"),
    "other": _GENERIC,
    UNKNOWN_PLATFORM: re.compile(r"[a-z0-9._]{1,32}"),
}


def normalise_platform(raw: str | None) -> str | None:
    """Map what a person typed ('IG', 'Tik Tok', 'twitter') to a platform code.

    None or blank stays None (no platform given); anything unrecognised is 'other'."""
    if raw is None or not raw.strip():
        return None
    folded = re.sub(r"[\s\-]+", "", raw.casefold())
    return PLATFORM_ALIASES.get(folded, "other")


def normalise_handle(platform: str, raw: str) -> str | None:
    """Case-fold a handle, strip whitespace and one leading @, and check the platform's shape.

    ``platform`` must be a platform code (see ``normalise_platform``) or 'unknown'.
    Returns None when the text cannot be a handle on that platform."""
    rule = HANDLE_RULES.get(platform)
    if rule is None:
        raise ValueError(f"unknown platform code {platform!r}")
    handle = raw.strip().casefold()
    if handle.startswith("@"):
        handle = handle[1:]
    if platform == "mobile_legends":
        # Players write the zone as '123456789 (2001)'; one spelling keeps one key.
        handle = re.sub(r"\s+", "", handle)
    if not rule.fullmatch(handle):
        return None
    # A handle made only of punctuation is a typo, not an account.
    if not any(ch.isalnum() for ch in handle):
        return None
    return handle


def unknown_platform_twin(identifier: Identifier) -> Identifier | None:
    """The same handle with its platform not known, for an account on a named platform: a child who ticks two
    platforms (Instagram and WhatsApp) or writes '@budi' in her story gets ``handle:unknown:budi``, which must
    still meet a platform's report of Instagram @budi. The linker treats the twin as a *weak* key (it links
    only to reports whose platform really is unknown). None for other kinds, unknown or 'other' platforms,
    and handles the unknown-platform shape does not allow."""
    if identifier.kind != "handle" or identifier.platform in (None, UNKNOWN_PLATFORM, "other"):
        return None
    handle = normalise_handle(UNKNOWN_PLATFORM, identifier.value)
    return Identifier("handle", handle, UNKNOWN_PLATFORM) if handle else None
