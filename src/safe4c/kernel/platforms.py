"""The online platforms a report, an order or a platform account can name: stable codes (stored and sent
through the API) with their display names. Shared by reports, takedowns, networks and platform accounts."""

from __future__ import annotations

from safe4c.kernel.i18n import N_

PLATFORMS: tuple[tuple[str, str], ...] = (
    ("whatsapp", "WhatsApp"),
    ("instagram", "Instagram"),
    ("tiktok", "TikTok"),
    ("facebook", "Facebook"),
    ("telegram", "Telegram"),
    ("x", "X (Twitter)"),
    ("youtube", "YouTube"),
    ("line", "LINE"),
    ("michat", "MiChat"),
    ("discord", "Discord"),
    ("snapchat", "Snapchat"),
    ("roblox", "Roblox"),
    ("mobile_legends", "Mobile Legends"),
    ("free_fire", "Free Fire"),
    ("other", N_("Another app or website")),
)
PLATFORM_CODES = tuple(code for code, _ in PLATFORMS)
