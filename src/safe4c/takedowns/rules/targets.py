"""What a takedown order names when it is made from a network's identifier: the target (URL, hash or
account), its hash type, and the platform it belongs to when the identifier says so (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from safe4c.networks.rules.identifiers.model import HASH_KINDS

# The canonical hosts (kernel/urls.py CANONICAL_HOSTS) of the platforms in the taxonomy.
PLATFORM_OF_HOST = {
    "instagram.com": "instagram", "tiktok.com": "tiktok", "x.com": "x", "facebook.com": "facebook",
    "t.me": "telegram", "youtube.com": "youtube", "snapchat.com": "snapchat", "line.me": "line",
    "wa.me": "whatsapp", "api.whatsapp.com": "whatsapp", "chat.whatsapp.com": "whatsapp",
    "discord.com": "discord", "discord.gg": "discord", "roblox.com": "roblox", "www.roblox.com": "roblox",
}
# Identifier kinds an order can name.
ORDER_KINDS = ("url", "tg_invite", "wa_invite", "handle", *HASH_KINDS)


@dataclass(frozen=True)
class Target:
    type: str  # takedown target type: url, hash or account
    value: str
    hash_type: str | None
    platform: str | None  # taxonomy code of the platform it belongs to, if the identifier tells


def platform_of_url(url: str) -> str | None:
    """The taxonomy code of the platform whose canonical host serves ``url``, if any."""
    return PLATFORM_OF_HOST.get(urlsplit(url).hostname or "")


def order_target(kind: str, value: str, platform: str | None = None) -> Target:
    """The order's target for an identifier of ``kind`` with its (opened) ``value`` and ``platform``."""
    if kind in HASH_KINDS:
        return Target("hash", value, kind, None)
    if kind == "url":
        return Target("url", value, None, platform_of_url(value))
    if kind == "tg_invite":
        return Target("url", f"https://t.me/+{value}", None, "telegram")
    if kind == "wa_invite":
        return Target("url", f"https://chat.whatsapp.com/{value}", None, "whatsapp")
    return Target("account", value, None, platform)
