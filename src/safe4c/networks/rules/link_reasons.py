"""Why two reports are linked, in words an analyst can check: the identifier with its platform ("Telegram link
t.me/…", "Instagram account @budi"), never a bare "Account". A link through a handle whose platform is not
known is weaker, and says so (pure: msgids with their values; the web layer translates them).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from safe4c.kernel.i18n import N_
from safe4c.kernel.platforms import PLATFORMS
from safe4c.networks.rules.identifiers.links import PLATFORM_OF_HOST
from safe4c.networks.rules.identifiers.model import HASH_KINDS, UNKNOWN_PLATFORM

PLATFORM_NAMES = dict(PLATFORMS)
_HOSTS = {**PLATFORM_OF_HOST, "wa.me": "whatsapp", "api.whatsapp.com": "whatsapp", "chat.whatsapp.com": "whatsapp"}
_PROVIDERS = {"dana": "DANA", "ovo": "OVO", "gopay": "GoPay", "shopeepay": "ShopeePay", "linkaja": "LinkAja"}

UNKNOWN_PLATFORM_LINK = N_("Same handle @%(value)s, platform not known: a weaker link, check it")


def platform_name(code: str | None) -> str:
    return PLATFORM_NAMES.get(code or "", code or "")


def _short(url: str) -> str:
    """A link as people write it: no scheme, no trailing slash (t.me/grupku)."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/") + (f"?{parts.query}" if parts.query else "")


def link_reason(kind: str, platform: str | None, value: str) -> tuple[str, dict]:
    """(msgid, values) saying which identifier links two reports, with its platform or provider."""
    if kind == "handle":
        if platform in (None, UNKNOWN_PLATFORM):
            return UNKNOWN_PLATFORM_LINK, {"value": value}
        if platform == "telegram":  # a Telegram name is a link (a user, a group or a channel), ordered as one
            return N_("%(platform)s link %(value)s"), {"platform": platform_name(platform), "value": f"t.me/{value}"}
        if platform == "other":
            return N_("Account @%(value)s on another app or website"), {"value": value}
        return N_("%(platform)s account @%(value)s"), {"platform": platform_name(platform), "value": value}
    if kind == "url":
        host = urlsplit(value).hostname or ""
        code = _HOSTS.get(host)
        if code:
            return N_("%(platform)s link %(value)s"), {"platform": platform_name(code), "value": _short(value)}
        return N_("Web link %(value)s"), {"value": _short(value)}
    if kind == "tg_invite":
        return N_("Telegram group invite t.me/+%(value)s"), {"value": value}
    if kind == "wa_invite":
        return N_("WhatsApp group invite chat.whatsapp.com/%(value)s"), {"value": value}
    if kind == "phone":
        return N_("Phone number %(value)s"), {"value": value}
    if kind == "email":
        return N_("E-mail address %(value)s"), {"value": value}
    if kind == "ewallet":
        provider = _PROVIDERS.get(platform or "", (platform or "").upper())
        return N_("%(provider)s e-wallet %(value)s"), {"provider": provider, "value": value}
    if kind == "bank":
        bank = (platform or "").replace("_", " ").upper()
        return N_("%(provider)s bank account %(value)s"), {"provider": bank, "value": value}
    if kind in HASH_KINDS:
        return N_("%(provider)s hash %(value)s"), {"provider": kind.upper(), "value": value}
    return "%(value)s", {"value": value}
