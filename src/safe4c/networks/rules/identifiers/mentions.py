"""Handles mentioned in free text: '@budi', 'ig @budi', '@budi (tiktok)', 'IG: budi.santoso'.

The platform comes from a platform name just before the handle (same sentence) or just after it;
with none, the handle's platform is 'unknown' (or the caller's default).
"""

from __future__ import annotations

import re

from safe4c.networks.rules.identifiers.handles import PLATFORM_ALIASES, normalise_handle
from safe4c.networks.rules.identifiers.model import UNKNOWN_PLATFORM, Identifier

# Words that name a platform in chat. A bare 'x' is left out: it is too common a letter.
_CONTEXT_WORDS = sorted(
    [alias for alias in PLATFORM_ALIASES if alias not in ("x", "other", "unknown")]
    + ["tik tok", "mobile legends", "free fire", "akun x", "di x"],
    key=len, reverse=True,
)
_WORDS = "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in _CONTEXT_WORDS)
_PLATFORM_WORD = r"(?<![a-z0-9])(?:" + _WORDS + r")(?![a-z0-9])"
_WORD_BEFORE = re.compile(_PLATFORM_WORD, re.IGNORECASE)
_WORD_AFTER = re.compile(r"^\s*(?:\(|di\s+|on\s+|at\s+|-\s*|,\s*)?(" + _PLATFORM_WORD + r")", re.IGNORECASE)
_AT_HANDLE = re.compile(r"(?<![\w.@/])@([a-z0-9._]{1,64})", re.IGNORECASE)
# 'IG: budi', 'tiktok nya = budi' — a colon or '=' is required, otherwise 'ke ig dia' would give 'dia'.
_LABELLED = re.compile(
    r"(?P<word>" + _PLATFORM_WORD + r")(?:\s*nya)?\s*[:=]\s*@?(?P<handle>[a-z0-9._]{1,64})(?![a-z0-9._@])",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?\n]\s")
_LOOKS_LIKE_DOMAIN = re.compile(r"\.(?:com|net|org|co|id)$")


def _platform_of(word: str) -> str:
    folded = re.sub(r"\s+", "", word.casefold())
    return {"akunx": "x", "dix": "x"}.get(folded) or PLATFORM_ALIASES[folded]


def _platform_near(text: str, start: int, end: int) -> str | None:
    before = text[max(0, start - 24):start]
    sentence_breaks = list(_SENTENCE_END.finditer(before))
    if sentence_breaks:
        before = before[sentence_breaks[-1].end():]
    words = _WORD_BEFORE.findall(before)
    if words:
        return _platform_of(words[-1])
    after = _WORD_AFTER.match(text[end:end + 20])
    return _platform_of(after.group(1)) if after else None


def _identifier(platform: str, raw: str) -> Identifier | None:
    handle = normalise_handle(platform, raw)
    if handle is None and platform != UNKNOWN_PLATFORM:
        # Named platform but a handle it would not allow: keep it, without claiming the platform.
        platform, handle = UNKNOWN_PLATFORM, normalise_handle(UNKNOWN_PLATFORM, raw)
    if handle is None or _LOOKS_LIKE_DOMAIN.search(handle):
        return None
    if platform == UNKNOWN_PLATFORM and not any(ch.isalpha() for ch in handle):
        return None  # '@2024', '@08123…': a number with an @ is not evidence of an account
    return Identifier("handle", handle, platform)


def find_handles(text: str, default_platform: str | None = None) -> list[tuple[int, int, Identifier]]:
    """Handles in free text as (start, end, Identifier). ``default_platform`` applies when the
    text names no platform (a form field where the child already chose one)."""
    fallback = default_platform or UNKNOWN_PLATFORM
    found = []
    taken: list[tuple[int, int]] = []
    for match in _LABELLED.finditer(text):
        raw = match.group("handle").rstrip(".")
        identifier = _identifier(_platform_of(match.group("word")), raw)
        if identifier:
            end = match.start("handle") + len(match.group("handle"))
            found.append((match.start(), end, identifier))
            taken.append((match.start(), end))
    for match in _AT_HANDLE.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        raw = match.group(1).rstrip(".")  # a full stop ends the sentence, not the handle
        end = match.start() + 1 + len(raw)
        platform = _platform_near(text, match.start(), end) or fallback
        identifier = _identifier(platform, raw)
        if identifier:
            found.append((match.start(), end, identifier))
    return found
