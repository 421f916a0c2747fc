"""What a link points at: an account, a phone, a group invite, or just a page.

Paths that are platform features rather than accounts (instagram.com/p/…, /explore, t.me/c/…)
are listed per platform; anything not listed is read as a handle and then checked against the
platform's handle shape.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from safe4c.networks.rules.identifiers.handles import normalise_handle
from safe4c.networks.rules.identifiers.model import Identifier
from safe4c.networks.rules.identifiers.phones import normalise_phone
from safe4c.networks.rules.identifiers.urls import normalise_url

_RESERVED: dict[str, frozenset[str]] = {
    "instagram.com": frozenset({
        "p", "reel", "reels", "tv", "explore", "accounts", "direct", "about", "developer", "legal",
        "web", "challenge", "graphql", "api", "stories", "emails", "session", "privacy", "press",
    }),
    "x.com": frozenset({
        "home", "explore", "search", "i", "intent", "share", "hashtag", "settings", "notifications",
        "messages", "login", "signup", "tos", "privacy", "compose", "about", "download", "logout",
    }),
    "facebook.com": frozenset({
        "groups", "pages", "watch", "share", "sharer", "sharer.php", "events", "photo", "photo.php",
        "photos", "story.php", "permalink.php", "marketplace", "gaming", "reel", "reels", "login",
        "login.php", "help", "policies", "hashtag", "stories", "videos", "video.php", "notes",
        "messages", "friends", "settings", "home.php", "search", "dialog", "plugins", "privacy",
        "ads", "business", "fundraisers", "l.php", "media", "profile.php", "people",
    }),
    "t.me": frozenset({
        "c", "s", "joinchat", "addstickers", "addemoji", "addtheme", "share", "proxy", "socks", "iv",
        "setlanguage", "login", "confirmphone", "boost", "bg", "contact", "addlist", "invoice",
        "giftcode",
    }),
}
PLATFORM_OF_HOST = {
    "instagram.com": "instagram", "tiktok.com": "tiktok", "x.com": "x", "facebook.com": "facebook",
    "t.me": "telegram", "youtube.com": "youtube", "snapchat.com": "snapchat", "line.me": "line",
}
_TG_INVITE = re.compile(r"[A-Za-z0-9_-]{5,64}")
_WA_INVITE = re.compile(r"[A-Za-z0-9]{10,40}")
_FB_ID = re.compile(r"[0-9]{1,20}")


def parse_profile_url(url: str) -> Identifier | None:
    """The account a link points at: a handle, or the phone of a wa.me / api.whatsapp.com link.

    Posts and videos still give their author (tiktok.com/@x/video/1 -> @x). Group invites and
    pages that name no account give None."""
    normalised = normalise_url(url)
    if normalised is None:
        return None
    parts = urlsplit(normalised)
    host = parts.hostname or ""
    if host in ("wa.me", "api.whatsapp.com"):
        phone = normalise_phone(normalised)
        return Identifier("phone", phone) if phone else None
    platform = PLATFORM_OF_HOST.get(host)
    if platform is None:
        return None
    segments = [s for s in parts.path.split("/") if s]
    raw = _handle_in_path(host, segments, parts.query)
    if raw is None:
        return None
    handle = normalise_handle(platform, raw)
    return Identifier("handle", handle, platform) if handle else None


def _handle_in_path(host: str, segments: list[str], query: str) -> str | None:
    if host == "facebook.com":
        if segments[:1] == ["profile.php"]:
            ids = parse_qs(query).get("id", [])
            return ids[0] if ids and _FB_ID.fullmatch(ids[0]) else None
        if segments[:1] == ["people"] and len(segments) >= 3 and _FB_ID.fullmatch(segments[2]):
            return segments[2]  # facebook.com/people/Display-Name/100012345678901
    if host == "instagram.com" and segments[:1] == ["stories"] and len(segments) >= 2:
        return segments[1]  # instagram.com/stories/<user>/<story id>
    if host == "t.me" and segments[:1] == ["s"] and len(segments) >= 2:
        return segments[1]  # channel preview page
    if host == "snapchat.com":
        return segments[1] if segments[:1] == ["add"] and len(segments) >= 2 else None
    if host == "line.me":
        # line.me/ti/p/~lineid (a personal LINE ID; the other line.me/ti/p/<code> form is opaque)
        if segments[:2] == ["ti", "p"] and len(segments) >= 3 and segments[2].startswith("~"):
            return segments[2][1:]
        return None
    if not segments:
        return None
    first = segments[0]
    if host in ("tiktok.com", "youtube.com"):
        return first[1:] if first.startswith("@") else None
    if first.startswith("+") or first.casefold() in _RESERVED.get(host, frozenset()):
        return None
    return first


def _is_profile_page(normalised: str, identifier: Identifier) -> bool:
    """True when the link is the profile itself, so the URL adds nothing beyond the handle."""
    parts = urlsplit(normalised)
    segments = [s for s in parts.path.split("/") if s]
    if parts.hostname == "facebook.com" and segments == ["profile.php"]:
        return True
    last = segments[-1].casefold().lstrip("@~") if segments else ""
    return not parts.query and last == identifier.value


def _invite(normalised: str) -> Identifier | None:
    """Telegram group invites (t.me/+HASH, t.me/joinchat/HASH) and WhatsApp group invites.

    Invite codes are case-sensitive, so they keep their case."""
    parts = urlsplit(normalised)
    segments = [s for s in parts.path.split("/") if s]
    if parts.hostname == "t.me" and segments:
        if segments[0].startswith("+") and _TG_INVITE.fullmatch(segments[0][1:]):
            return Identifier("tg_invite", segments[0][1:])
        if segments[0] == "joinchat" and len(segments) >= 2 and _TG_INVITE.fullmatch(segments[1]):
            return Identifier("tg_invite", segments[1])
    if parts.hostname == "chat.whatsapp.com" and segments:
        code = segments[1] if segments[0] == "invite" and len(segments) >= 2 else segments[0]
        if _WA_INVITE.fullmatch(code):
            return Identifier("wa_invite", code)
    return None


def _tg_scheme(url: str) -> list[Identifier] | None:
    """tg://join?invite=HASH and tg://resolve?domain=NAME, the app's own link forms."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "tg":
        return None
    query = parse_qs(parts.query)
    if parts.netloc.lower() == "join" and query.get("invite"):
        code = query["invite"][0]
        return [Identifier("tg_invite", code)] if _TG_INVITE.fullmatch(code) else []
    if parts.netloc.lower() == "resolve" and query.get("domain"):
        handle = normalise_handle("telegram", query["domain"][0])
        return [Identifier("handle", handle, "telegram")] if handle else []
    return []


def identifiers_from_url(url: str) -> list[Identifier]:
    """Everything a link gives: an invite, an account, and the URL itself when it is a post,
    video or any other page. A bare profile link gives only the account."""
    from_tg = _tg_scheme(url)
    if from_tg is not None:
        return from_tg
    normalised = normalise_url(url)
    if normalised is None:
        return []
    invite = _invite(normalised)
    if invite:
        return [invite]
    account = parse_profile_url(normalised)
    if account is None:
        return [Identifier("url", normalised)]
    if account.kind == "phone" or _is_profile_page(normalised, account):
        return [account]
    return [account, Identifier("url", _fold_handle_segment(normalised, account.value))]


def _fold_handle_segment(normalised: str, handle: str) -> str:
    """tiktok.com/@Budi.S/video/1 -> tiktok.com/@budi.s/video/1: handles are case-insensitive,
    so the same post must not get two URL keys because of how its author's name was typed."""
    parts = urlsplit(normalised)
    segments = parts.path.split("/")
    folded = [s.casefold() if s.casefold().lstrip("@~") == handle else s for s in segments]
    return parts._replace(path="/".join(folded)).geturl()
