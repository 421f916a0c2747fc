"""The identifier value object and the fixed vocabulary of kinds.

Keys built here are stored and used to link reports into clusters, so the key format is a
contract: change it only with a data migration.
"""

from __future__ import annotations

from dataclasses import dataclass

from safe4c.kernel.signals import HASH_KINDS

# Platform codes for accounts; the same codes as ``safe4c.reports.rules.taxonomy.PLATFORM_CODES``
# (a unit test pins that). 'unknown' is extra: an @handle in free text with no platform named.
PLATFORMS: tuple[str, ...] = (
    "instagram", "tiktok", "facebook", "whatsapp", "telegram", "x", "youtube", "discord", "line",
    "snapchat", "michat", "mobile_legends", "free_fire", "roblox", "other",
)
UNKNOWN_PLATFORM = "unknown"

EWALLETS: tuple[str, ...] = ("dana", "ovo", "gopay", "shopeepay", "linkaja")

# Banks by a short stable code (usually the name people type, or the ticker when that is ambiguous).
BANKS: tuple[str, ...] = (
    "bca", "bri", "bni", "mandiri", "bsi", "cimb_niaga", "permata", "btn", "danamon", "jago",
    "seabank", "ocbc", "panin", "maybank", "btpn", "muamalat", "mega", "bjb", "dki", "blu",
    "allo", "neo", "superbank", "sinarmas", "uob",
)

# kind -> what goes in Identifier.platform: None, a platform code, or a provider code.
_QUALIFIER: dict[str, tuple[str, ...] | None] = {
    "phone": None,
    "email": None,
    "handle": PLATFORMS + (UNKNOWN_PLATFORM,),
    "url": None,
    "tg_invite": None,
    "wa_invite": None,
    "ewallet": EWALLETS,
    "bank": BANKS,
    **{kind: None for kind in HASH_KINDS},
}
KINDS: tuple[str, ...] = tuple(_QUALIFIER)


@dataclass(frozen=True)
class Identifier:
    """One normalised identifier. ``platform`` is the platform of a handle or the provider of an
    e-wallet or bank account; it is None for every other kind."""

    kind: str
    value: str
    platform: str | None = None

    def __post_init__(self) -> None:
        # Fail loudly on a malformed identifier: a bad key would silently split a cluster.
        if self.kind not in _QUALIFIER:
            raise ValueError(f"unknown identifier kind {self.kind!r}")
        allowed = _QUALIFIER[self.kind]
        if allowed is None and self.platform is not None:
            raise ValueError(f"kind {self.kind!r} takes no platform")
        if allowed is not None and self.platform not in allowed:
            raise ValueError(f"kind {self.kind!r} needs a platform from {allowed}")
        if not self.value:
            raise ValueError("identifier value is empty")

    @property
    def key(self) -> str:
        """Stable linking key: 'kind:value', or 'kind:platform:value' for handles, e-wallets, banks."""
        if self.platform is None:
            return f"{self.kind}:{self.value}"
        return f"{self.kind}:{self.platform}:{self.value}"

    def __repr__(self) -> str:
        # Identifiers are personal data; keep them out of reprs that end up in logs and tracebacks.
        return f"Identifier(kind={self.kind!r}, platform={self.platform!r}, value=<{len(self.value)} chars>)"
