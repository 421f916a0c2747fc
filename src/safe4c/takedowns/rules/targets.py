"""What a takedown order names, and when two orders name the same thing (pure).

- ``order_target``: the target (URL, hash or account), its hash type, and the platform it belongs to, for an
  identifier of a network.
- ``resolve``: the target as stored, whichever way it was given. A Telegram username (a user, a group or a
  channel: Telegram serves each at ``t.me/<name>``) is the link ``https://t.me/<name>``, never an "account", so
  the takedown form, the network page and the matcher all name a Telegram group the same way.
- ``target_key``: the normalised target behind the rule "one open order per platform and target"
  (``takedown_orders.target_key``, unique over open orders). Two ways of writing one thing give one key: URL
  spellings (``kernel/urls.url_match_key``: http and https, www. and m. hosts, tracking parameters), a profile
  link and its account (``instagram.com/budi`` and ``@budi``), a Telegram link and its username in any case,
  an invite and its link, a hash in either case. The key is a SHA-256 (fixed length, fit for an index) of
  ``kind:...`` text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from safe4c.kernel.urls import url_match_key
from safe4c.networks.rules.identifiers.handles import HANDLE_RULES, normalise_handle
from safe4c.networks.rules.identifiers.links import identifiers_from_url
from safe4c.networks.rules.identifiers.model import HASH_KINDS
from safe4c.networks.rules.identifiers.urls import normalise_url

# The canonical hosts (kernel/urls.py CANONICAL_HOSTS) of the platforms in the taxonomy.
PLATFORM_OF_HOST = {
    "instagram.com": "instagram", "tiktok.com": "tiktok", "x.com": "x", "facebook.com": "facebook",
    "t.me": "telegram", "youtube.com": "youtube", "snapchat.com": "snapchat", "line.me": "line",
    "wa.me": "whatsapp", "api.whatsapp.com": "whatsapp", "chat.whatsapp.com": "whatsapp",
    "discord.com": "discord", "discord.gg": "discord", "roblox.com": "roblox", "www.roblox.com": "roblox",
}
# Identifier kinds an order can name.
ORDER_KINDS = ("url", "tg_invite", "wa_invite", "handle", *HASH_KINDS)
# Platforms whose usernames are ordered as their link (the platform serves every user, group and channel there).
LINK_PLATFORMS = {"telegram": "https://t.me/{}"}


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
    if platform in LINK_PLATFORMS:
        return Target("url", LINK_PLATFORMS[platform].format(value), None, platform)
    return Target("account", value, None, platform)


def _looks_like_link(value: str) -> bool:
    return "/" in value or value.lower().startswith(("http:", "https:", "tg:"))


def resolve(target_type: str, value: str, platform: str | None) -> tuple[str, str]:
    """(type, value) to store for a target given as ``target_type``/``value`` to a platform whose taxonomy code
    is ``platform``: an account of a platform in ``LINK_PLATFORMS`` (a name, @name or its link) becomes the
    link; an account given as its profile link becomes the account. Anything else is kept as given."""
    if target_type != "account":
        return target_type, value
    text = value.strip()
    if _looks_like_link(text):
        found = identifiers_from_url(text)
        if len(found) == 1 and found[0].kind == "handle":
            handle = found[0]
            if handle.platform in LINK_PLATFORMS:
                return "url", LINK_PLATFORMS[handle.platform].format(handle.value)
            return "account", handle.value
        return target_type, text
    if platform in LINK_PLATFORMS:
        handle = normalise_handle(platform, text)
        if handle:
            return "url", LINK_PLATFORMS[platform].format(handle)
    return target_type, text


def _url_key(value: str) -> str:
    normalised = normalise_url(value)
    if normalised is None:
        return "url:" + value.strip()
    found = identifiers_from_url(normalised)
    if len(found) == 1 and found[0].kind in ("handle", "phone", "tg_invite", "wa_invite"):
        ident = found[0]  # a profile link or an invite: the thing it names, whatever the spelling
        return f"{ident.kind}:{ident.platform or ''}:{ident.value}"
    page = next((i.value for i in found if i.kind == "url"), normalised)  # its author's name case-folded
    return "url:" + url_match_key(page)


def key_text(target_type: str, value: str, hash_type: str | None = None, platform: str | None = None) -> str:
    """The normalised target as text (``kind:...``); ``target_key`` is its SHA-256."""
    if target_type == "hash":
        return f"hash:{hash_type or ''}:{value.strip().lower()}"
    kind, resolved = resolve(target_type, value, platform)
    if kind == "url":
        return _url_key(resolved)
    handle = resolved.strip().lstrip("@")
    normalised = normalise_handle(platform, handle) if platform in HANDLE_RULES else None
    return f"handle:{platform or ''}:{normalised or handle.casefold()}"


def target_key(target_type: str, value: str, hash_type: str | None = None, platform: str | None = None) -> str:
    """SHA-256 (hex) of ``key_text``: the value of ``takedown_orders.target_key``."""
    return hashlib.sha256(key_text(target_type, value, hash_type, platform).encode()).hexdigest()
