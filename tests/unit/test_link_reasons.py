"""Link reasons say the platform (networks/rules/link_reasons.py): plain values."""

from safe4c.networks.rules.link_reasons import UNKNOWN_PLATFORM_LINK, link_reason


def said(kind, platform, value):
    text, values = link_reason(kind, platform, value)
    return text % values


def test_links_and_accounts_name_their_platform():
    assert said("url", None, "https://t.me/grupku") == "Telegram link t.me/grupku"
    assert said("url", None, "https://tiktok.com/@kak.rian/video/1") == "TikTok link tiktok.com/@kak.rian/video/1"
    assert said("handle", "instagram", "budi.s") == "Instagram account @budi.s"
    assert said("handle", "telegram", "grupku") == "Telegram link t.me/grupku"  # a group, channel or user
    assert said("tg_invite", None, "AbCdEf123") == "Telegram group invite t.me/+AbCdEf123"
    assert said("url", None, "https://contoh.id/a?b=1") == "Web link contoh.id/a?b=1"
    assert said("ewallet", "dana", "+628123") == "DANA e-wallet +628123"
    assert said("bank", "cimb_niaga", "123") == "CIMB NIAGA bank account 123"
    assert said("md5", None, "ab") == "MD5 hash ab"


def test_a_handle_of_unknown_platform_is_a_weaker_explained_link():
    assert link_reason("handle", "unknown", "budi.s")[0] == UNKNOWN_PLATFORM_LINK
    assert said("handle", "unknown", "budi.s") == "Same handle @budi.s, platform not known: a weaker link, check it"
    assert "Account" not in said("handle", "unknown", "budi.s")
