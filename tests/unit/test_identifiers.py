"""Identifier extraction and normalisation, with formats seen in real reports (and wrong ones).

All example numbers, names and codes are made up.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safe4c.networks.rules import identifiers as ids
from safe4c.networks.rules.identifiers import Identifier, extract_from_fields, extract_from_text, identifiers_from_url, normalise_email, normalise_handle, normalise_hash, normalise_phone, normalise_platform, normalise_url, parse_profile_url

PHONE = "+6281234567890"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def keys(found: list[Identifier]) -> list[str]:
    return [identifier.key for identifier in found]


# --- the value object ------------------------------------------------------------------------

@pytest.mark.parametrize(("identifier", "key"), [
    (Identifier("phone", PHONE), "phone:+6281234567890"),
    (Identifier("email", "budi@gmail.com"), "email:budi@gmail.com"),
    (Identifier("handle", "budi.s", "instagram"), "handle:instagram:budi.s"),
    (Identifier("handle", "budi", "unknown"), "handle:unknown:budi"),
    (Identifier("url", "https://example.com/a"), "url:https://example.com/a"),
    (Identifier("tg_invite", "AbCdEf123"), "tg_invite:AbCdEf123"),
    (Identifier("wa_invite", "AbCdEfGhIjKl"), "wa_invite:AbCdEfGhIjKl"),
    (Identifier("ewallet", PHONE, "dana"), "ewallet:dana:+6281234567890"),
    (Identifier("bank", "1234567890", "bca"), "bank:bca:1234567890"),
    (Identifier("md5", "d41d8cd98f00b204e9800998ecf8427e"), "md5:d41d8cd98f00b204e9800998ecf8427e"),
    (Identifier("pdq", PDQ), f"pdq:{PDQ}"),
])
def test_key_format_is_stable(identifier, key):
    assert identifier.key == key


@pytest.mark.parametrize(("kind", "value", "platform"), [
    ("telephone", PHONE, None),        # not a kind
    ("handle", "budi", None),          # handle without platform
    ("handle", "budi", "myspace"),     # not a platform code
    ("phone", PHONE, "whatsapp"),      # phones carry no platform: one key per number
    ("ewallet", PHONE, "bca"),         # a bank is not an e-wallet
    ("bank", "1234567890", "dana"),
    ("email", "", None),
])
def test_malformed_identifiers_are_refused(kind, value, platform):
    with pytest.raises(ValueError):
        Identifier(kind, value, platform)


def test_identifier_is_frozen_and_hashable():
    identifier = Identifier("phone", PHONE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        identifier.value = "+6280000000000"  # type: ignore[misc]
    assert len({identifier, Identifier("phone", PHONE)}) == 1


def test_repr_does_not_show_the_personal_data():
    assert "81234567890" not in repr(Identifier("phone", PHONE))
    assert "budi" not in repr(Identifier("handle", "budi", "instagram"))


def test_kinds_are_the_documented_set():
    assert ids.KINDS == ("phone", "email", "handle", "url", "tg_invite", "wa_invite", "ewallet", "bank",
                         "md5", "sha1", "sha256", "pdq")


def test_every_taxonomy_platform_has_a_handle_rule():
    taxonomy = pytest.importorskip("safe4c.reports.rules.taxonomy")
    assert set(taxonomy.PLATFORM_CODES) == set(ids.PLATFORMS)
    assert set(ids.HANDLE_RULES) == set(ids.PLATFORMS) | {"unknown"}


def test_provider_codes_are_unique():
    assert len(set(ids.BANKS)) == len(ids.BANKS)
    assert len(set(ids.EWALLETS)) == len(ids.EWALLETS)
    assert not set(ids.BANKS) & set(ids.EWALLETS)


# --- phones ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("081234567890", PHONE),
    ("0812-3456-7890", PHONE),
    ("0812 3456 7890", PHONE),
    ("0812.3456.7890", PHONE),
    ("(0812) 3456-7890", PHONE),
    ("+6281234567890", PHONE),
    ("+62 812-3456-7890", PHONE),
    ("+62 (0)812 3456 7890", PHONE),
    ("+62 0812 3456 7890", PHONE),     # the common '+62 0…' slip
    ("6281234567890", PHONE),
    ("62 812 3456 7890", PHONE),
    ("006281234567890", PHONE),
    ("0062 812 3456 7890", PHONE),
    ("  081234567890\n", PHONE),
    ("tel:+6281234567890", PHONE),
    ("wa.me/6281234567890", PHONE),
    ("https://wa.me/6281234567890?text=halo%20kak", PHONE),
    ("https://api.whatsapp.com/send?phone=6281234567890&text=hai", PHONE),
    ("api.whatsapp.com/send/?phone=%2B6281234567890", PHONE),
    ("0857-1234-5678", "+6285712345678"),    # Indosat
    ("0896 1234 5678", "+6289612345678"),    # Tri
    ("(021) 555-1234", "+62215551234"),      # Jakarta landline
    ("+60 12-345 6789", "+60123456789"),     # Malaysia, written with +
    ("+1 202-555-0123", "+12025550123"),
    # wrong or not phones
    ("", None),
    (None, None),
    ("0812345", None),                 # too short
    ("08123456789012345", None),       # too long
    ("1234567890", None),
    ("3174012345678901", None),        # a NIK
    ("+62 800 000", None),
    ("0812-3456-789O", None),          # letter O, not zero
    ("0812 3456 7890 (WA)", None),     # not just a number: left to the free-text reader
    ("wa.me/message/ABCDEF123", None),
    ("https://api.whatsapp.com/send?text=hai", None),
    ("https://example.com/6281234567890", None),
])
def test_normalise_phone(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("dia minta aku kirim foto ke WA 0812-3456-7890", [f"phone:{PHONE}"]),
    ("nomornya +62 812 3456 7890 kak", [f"phone:{PHONE}"]),
    ("hubungi 6281234567890 ya", [f"phone:{PHONE}"]),
    ("hubungi 0062 812 3456 7890", [f"phone:{PHONE}"]),
    ("wa: (0812) 3456-7890.", [f"phone:{PHONE}"]),
    ("nomor 0812-3456-7890 dan 0857 1234 5678", [f"phone:{PHONE}", "phone:+6285712345678"]),
    ("call me at +60 12-345 6789", ["phone:+60123456789"]),
    ("WA0812-3456-7890", [f"phone:{PHONE}"]),                 # glued to the word
    ("hp:081234567890 atau wa:+6281234567890", [f"phone:{PHONE}"]),
    # things that look like numbers but are not phones
    ("kejadian tanggal 12-05-2024 jam 20.30", []),
    ("kejadian tgl 05.12.2024", []),
    ("lahir 2010-05-12", []),
    ("dia minta Rp 500.000 atau Rp. 1.250.000", []),
    ("katanya bayar 500.000 rb", []),
    ("NIK 3174012345678901", []),
    ("NIK 6271012345678901", []),      # starts with 62 (Kalimantan Tengah) but is a NIK
    ("order 1234567890 sudah dikirim", []),
    ("kelas 8 umur 13 tahun", []),
])
def test_phones_in_text(text, expected):
    assert keys(extract_from_text(text)) == expected


# --- e-mail ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("budi.santoso@gmail.com", "budi.santoso@gmail.com"),
    ("Budi.Santoso@Gmail.COM", "budi.santoso@gmail.com"),  # dots kept, only lower-cased
    ("b.u.d.i@gmail.com", "b.u.d.i@gmail.com"),
    ("budi+tugas@yahoo.co.id", "budi+tugas@yahoo.co.id"),  # +tag kept
    ("  <budi@ymail.com>, ", "budi@ymail.com"),
    ("(budi@outlook.com).", "budi@outlook.com"),
    ("'siti_nur@sch.id'", "siti_nur@sch.id"),
    ("mailto:Budi@Example.org?subject=hai", "budi@example.org"),
    ("", None),
    (None, None),
    ("budi", None),
    ("budi@", None),
    ("@budi.santoso", None),
    ("budi@gmail", None),
    ("budi@@gmail.com", None),
    ("budi..s@gmail.com", None),
    (".budi@gmail.com.", "budi@gmail.com"),
    ("budi santoso@gmail.com", None),
    ("budi@-gmail.com", None),
    ("budi@gmail.c", None),
])
def test_normalise_email(raw, expected):
    assert normalise_email(raw) == expected


def test_emails_in_text_are_not_also_links_or_handles():
    text = "emailnya Budi.Santoso@Gmail.com, kadang pakai siti@yahoo.co.id."
    assert keys(extract_from_text(text)) == ["email:budi.santoso@gmail.com", "email:siti@yahoo.co.id"]


# --- platforms and handles -------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("instagram", "instagram"), ("IG", "instagram"), ("Insta", "instagram"),
    ("TikTok", "tiktok"), ("Tik Tok", "tiktok"), ("twitter", "x"), ("X", "x"),
    ("FB", "facebook"), ("WA", "whatsapp"), ("WhatsApp", "whatsapp"), ("tele", "telegram"),
    ("Mobile Legends", "mobile_legends"), ("MLBB", "mobile_legends"), ("free-fire", "free_fire"),
    ("FF", "free_fire"), ("Roblox", "roblox"), ("MiChat", "michat"), ("LINE", "line"),
    ("friendster", "other"), ("", None), ("  ", None), (None, None),
])
def test_normalise_platform(raw, expected):
    assert normalise_platform(raw) == expected


@pytest.mark.parametrize(("platform", "raw", "expected"), [
    ("instagram", "@Budi.Santoso99", "budi.santoso99"),
    ("instagram", "  budi_s  ", "budi_s"),
    ("instagram", "a" * 30, "a" * 30),
    ("instagram", "a" * 31, None),
    ("instagram", "budi-santoso", None),      # no dashes on Instagram
    ("instagram", "Budi Santoso", None),      # a display name, not a handle
    ("instagram", "@", None),
    ("instagram", "...", None),
    ("tiktok", "@Budi.S", "budi.s"),
    ("tiktok", "b" * 24, "b" * 24),
    ("tiktok", "b" * 25, None),
    ("x", "@Budi_S", "budi_s"),
    ("x", "budi.s", None),                    # no dots on X
    ("x", "b" * 16, None),
    ("telegram", "@Budi_Santoso", "budi_santoso"),
    ("telegram", "budi", None),               # under 5 characters
    ("telegram", "b" * 33, None),
    ("youtube", "@BudiChannel", "budichannel"),
    ("facebook", "budi.santoso.9", "budi.santoso.9"),
    ("facebook", "100012345678901", "100012345678901"),
    ("discord", "budi_s", "budi_s"),
    ("discord", "Budi#1234", "budi#1234"),
    ("line", "budi_s", "budi_s"),
    ("snapchat", "budi-s", "budi-s"),
    ("roblox", "Budi_Gamer", "budi_gamer"),
    ("roblox", "bu", None),
    ("mobile_legends", "123456789 (2001)", "123456789(2001)"),
    ("mobile_legends", "123456789", "123456789"),
    ("mobile_legends", "BudiGG", None),
    ("free_fire", "1234567890", "1234567890"),
    ("unknown", "@budi.s", "budi.s"),
    ("other", "budi-s", "budi-s"),
    ("instagram", "bùdi", None),              # non-ASCII letters are not allowed in handles
])
def test_normalise_handle(platform, raw, expected):
    assert normalise_handle(platform, raw) == expected


def test_normalise_handle_wants_a_platform_code():
    with pytest.raises(ValueError):
        normalise_handle("IG", "budi")


@pytest.mark.parametrize(("text", "expected"), [
    ("dia minta aku kirim foto ke WA 0812-3456-7890 atau ke ig @budi.santoso99",
     [f"phone:{PHONE}", "handle:instagram:budi.santoso99"]),
    ("akunnya @Budi.S.", ["handle:unknown:budi.s"]),                # sentence full stop
    ("tiktok @budi.s sama ig @siti", ["handle:tiktok:budi.s", "handle:instagram:siti"]),
    ("@budi_s (tiktok)", ["handle:tiktok:budi_s"]),
    ("@budi_s di instagram", ["handle:instagram:budi_s"]),
    ("IG: budi.santoso99", ["handle:instagram:budi.santoso99"]),
    ("ig nya = @budi", ["handle:instagram:budi"]),
    ("telegram @budi_santoso", ["handle:telegram:budi_santoso"]),
    ("twitter @Budi_S", ["handle:x:budi_s"]),
    ("telegram @bud", ["handle:unknown:bud"]),                      # too short for Telegram
    ("ke ig dia terus", []),                                        # no colon: 'dia' is a word
    ("dia pakai ig. terus @budi ngechat", ["handle:unknown:budi"]), # platform in another sentence
    ("jam 7 @ rumah", []),
    ("@2024", []),
    ("@budi @Budi", ["handle:unknown:budi"]),
])
def test_handles_in_text(text, expected):
    assert keys(extract_from_text(text)) == expected


# --- URLs ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("https://Example.COM/Path?a=1", "https://example.com/Path?a=1"),
    ("HTTP://example.com:80/", "http://example.com/"),
    ("https://example.com:443", "https://example.com/"),
    ("https://example.com:8443/x", "https://example.com:8443/x"),
    ("example.com/a#section", "https://example.com/a"),
    ("www.example.co.id", "https://www.example.co.id/"),
    ("//example.com/a", "https://example.com/a"),
    ("https://example.com/a?utm_source=wa&utm_medium=x&id=5", "https://example.com/a?id=5"),
    ("https://example.com/a?id=5&fbclid=IwAR0abc&gclid=xyz", "https://example.com/a?id=5"),
    ("https://example.com/?b=2&a=1", "https://example.com/?a=1&b=2"),       # sorted by name
    ("https://example.com/a?q=Hello%20World", "https://example.com/a?q=Hello%20World"),
    ("https://user:secret@example.com/a", "https://example.com/a"),
    ("https://example.com./a", "https://example.com/a"),
    ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ("https://10.0.0.1:8080/a", "https://10.0.0.1:8080/a"),
    ("<https://example.com/a>", "https://example.com/a"),
    # the big platforms: one host, no trailing slash, no share tracking
    ("https://www.instagram.com/p/Cxyz123/?igshid=MzRlODBiNWFlZA==", "https://instagram.com/p/Cxyz123"),
    ("https://www.instagram.com/reel/Cxyz123/?igsh=abc", "https://instagram.com/reel/Cxyz123"),
    ("https://m.facebook.com/story.php?story_fbid=123&id=456&mibextid=Nif5oz",
     "https://facebook.com/story.php?id=456&story_fbid=123"),
    ("https://youtu.be/dQw4w9WgXcQ?si=AbCdEf", "https://youtu.be/dQw4w9WgXcQ"),
    ("https://vt.tiktok.com/ZSabc123/", "https://vt.tiktok.com/ZSabc123/"),
    ("https://mobile.twitter.com/budi/status/1", "https://x.com/budi/status/1"),
    # not web URLs
    ("", None),
    (None, None),
    ("ftp://example.com/a", None),
    ("javascript:alert(1)", None),
    ("https://localhost/a", None),
    ("https://exa mple.com/", None),
    ("https://example.com:99999/", None),
    ("budi", None),
    ("https://-bad-.com/", None),
])
def test_normalise_url(raw, expected):
    assert normalise_url(raw) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.instagram.com/budi.santoso99/", "handle:instagram:budi.santoso99"),
    ("instagram.com/Budi.Santoso99?igshid=abc", "handle:instagram:budi.santoso99"),
    ("https://m.instagram.com/budi_s", "handle:instagram:budi_s"),
    ("https://instagram.com/stories/budi_s/3123456789", "handle:instagram:budi_s"),
    ("https://www.tiktok.com/@Budi.S", "handle:tiktok:budi.s"),
    ("https://m.tiktok.com/@budi.s/video/7312345678901234567", "handle:tiktok:budi.s"),
    ("https://x.com/Budi_S", "handle:x:budi_s"),
    ("https://twitter.com/budi_s/status/1234567890", "handle:x:budi_s"),
    ("https://www.facebook.com/budi.santoso.9", "handle:facebook:budi.santoso.9"),
    ("https://web.facebook.com/profile.php?id=100012345678901", "handle:facebook:100012345678901"),
    ("https://m.facebook.com/profile.php?id=100012345678901&mibextid=abc", "handle:facebook:100012345678901"),
    ("https://www.facebook.com/people/Budi-Santoso/100012345678901/", "handle:facebook:100012345678901"),
    ("https://t.me/Budi_Santoso", "handle:telegram:budi_santoso"),
    ("https://telegram.me/budi_santoso", "handle:telegram:budi_santoso"),
    ("t.me/s/info_channel", "handle:telegram:info_channel"),
    ("https://www.youtube.com/@BudiChannel", "handle:youtube:budichannel"),
    ("https://m.youtube.com/@budichannel/videos", "handle:youtube:budichannel"),
    ("https://www.snapchat.com/add/budi-s", "handle:snapchat:budi-s"),
    ("https://line.me/ti/p/~budi_s", "handle:line:budi_s"),
    ("https://wa.me/6281234567890", f"phone:{PHONE}"),
    # not a profile
    ("https://www.instagram.com/p/Cxyz123/", None),
    ("https://www.instagram.com/reel/Cxyz123/", None),
    ("https://www.instagram.com/explore/tags/foto/", None),
    ("https://www.tiktok.com/explore", None),
    ("https://vt.tiktok.com/ZSabc123/", None),
    ("https://x.com/i/status/123", None),
    ("https://x.com/search?q=budi", None),
    ("https://www.facebook.com/groups/123456789", None),
    ("https://www.facebook.com/profile.php", None),
    ("https://www.facebook.com/profile.php?id=budi", None),
    ("https://t.me/+AbCdEf123", None),
    ("https://t.me/joinchat/AbCdEf123", None),
    ("https://t.me/c/1234567890/55", None),
    ("https://t.me/bud", None),                          # too short for Telegram
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", None),
    ("https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv", None),
    ("https://example.com/budi", None),
    ("not a url", None),
])
def test_parse_profile_url(url, expected):
    found = parse_profile_url(url)
    assert (found.key if found else None) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.instagram.com/budi.s/", ["handle:instagram:budi.s"]),
    ("https://www.tiktok.com/@Budi.S/video/7312345678901234567?is_from_webapp=1&sender_device=pc",
     ["handle:tiktok:budi.s", "url:https://tiktok.com/@budi.s/video/7312345678901234567"]),
    ("https://twitter.com/Budi_S/status/1234567890?s=20",
     ["handle:x:budi_s", "url:https://x.com/budi_s/status/1234567890?s=20"]),
    ("https://www.instagram.com/p/Cxyz123/", ["url:https://instagram.com/p/Cxyz123"]),
    ("https://t.me/+AbCdEf123", ["tg_invite:AbCdEf123"]),
    ("https://t.me/joinchat/AAAAAEkXyZ_abc-12", ["tg_invite:AAAAAEkXyZ_abc-12"]),
    ("https://telegram.me/joinchat/AbCdEf123", ["tg_invite:AbCdEf123"]),
    ("tg://join?invite=AbCdEf123", ["tg_invite:AbCdEf123"]),
    ("tg://resolve?domain=Budi_Santoso", ["handle:telegram:budi_santoso"]),
    ("https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv", ["wa_invite:AbCdEfGhIjKlMnOpQrStUv"]),
    ("chat.whatsapp.com/invite/AbCdEfGhIjKlMnOpQrStUv", ["wa_invite:AbCdEfGhIjKlMnOpQrStUv"]),
    ("https://wa.me/6281234567890?text=halo", [f"phone:{PHONE}"]),
    ("https://wa.me/message/ABCDEF123", ["url:https://wa.me/message/ABCDEF123"]),
    ("https://t.me/+ab", ["url:https://t.me/+ab"]),                    # too short to be an invite
    ("https://example.com/a?utm_source=x", ["url:https://example.com/a"]),
    ("ftp://example.com", []),
])
def test_identifiers_from_url(url, expected):
    assert keys(identifiers_from_url(url)) == expected


def test_invite_codes_keep_their_case():
    lower = identifiers_from_url("https://t.me/+abcdef123")
    upper = identifiers_from_url("https://t.me/+ABCDEF123")
    assert lower[0].key != upper[0].key


@pytest.mark.parametrize(("text", "expected"), [
    ("gabung grup t.me/+AbCdEf123", ["tg_invite:AbCdEf123"]),
    ("gabung grup t.me/+AbCdEf123.", ["tg_invite:AbCdEf123"]),
    ("linknya (https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv) ya",
     ["wa_invite:AbCdEfGhIjKlMnOpQrStUv"]),
    ("chat aku di wa.me/6281234567890 aja", [f"phone:{PHONE}"]),
    ("liat instagram.com/budi.s, dia yang kirim", ["handle:instagram:budi.s"]),
    ("videonya https://vt.tiktok.com/ZSabc123/ udah viral", ["url:https://vt.tiktok.com/ZSabc123/"]),
    ("buka www.contoh-situs.xyz/halaman?utm_source=wa", ["url:https://www.contoh-situs.xyz/halaman"]),
    ("namanya budi.santoso terus", []),       # a dotted name is not a web address
    ("file foto.jpg dihapus", []),
])
def test_links_in_text(text, expected):
    assert keys(extract_from_text(text)) == expected


# --- e-wallets and bank accounts -------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("transfer ke DANA 081234567890", [f"ewallet:dana:{PHONE}", f"phone:{PHONE}"]),
    ("kirim ke ovo: 0812-3456-7890", [f"ewallet:ovo:{PHONE}", f"phone:{PHONE}"]),
    ("GoPay no 0812 3456 7890 a.n. Budi", [f"ewallet:gopay:{PHONE}", f"phone:{PHONE}"]),
    ("DANA:081234567890", [f"ewallet:dana:{PHONE}", f"phone:{PHONE}"]),
    ("go-pay 081234567890", [f"ewallet:gopay:{PHONE}", f"phone:{PHONE}"]),
    ("Shopee Pay 081234567890", [f"ewallet:shopeepay:{PHONE}", f"phone:{PHONE}"]),
    ("link aja 081234567890", [f"ewallet:linkaja:{PHONE}", f"phone:{PHONE}"]),
    ("dana/ovo 081234567890",
     [f"ewallet:dana:{PHONE}", f"ewallet:ovo:{PHONE}", f"phone:{PHONE}"]),
    ("butuh dana 500.000", []),                            # 'dana' also means money
    ("DANA 12345", []),
    ("BCA 1234567890", ["bank:bca:1234567890"]),
    ("bca: 123 456 7890", ["bank:bca:1234567890"]),
    ("rek. BRI 0123-01-000123-50-1", ["bank:bri:012301000123501"]),
    ("no rekening mandiri 123-00-1234567-8", ["bank:mandiri:1230012345678"]),
    ("norek BNI 0123456789 a.n. Budi", ["bank:bni:0123456789"]),
    ("Bank Syariah Indonesia 7123456789", ["bank:bsi:7123456789"]),
    ("transfer ke CIMB Niaga 701234567890", ["bank:cimb_niaga:701234567890"]),
    ("bank jago 100012345678", ["bank:jago:100012345678"]),
    ("SeaBank 901234567890", ["bank:seabank:901234567890"]),
    ("blu bca 001234567890", ["bank:blu:001234567890"]),
    ("permata 4123456789, danamon 003612345678",
     ["bank:permata:4123456789", "bank:danamon:003612345678"]),
    ("BCA 1234567890 terus WA 081234567890", ["bank:bca:1234567890", f"phone:{PHONE}"]),
    ("BCA 1234", []),                                      # too short for an account
    ("BCA Rp 500.000", []),                                # an amount, not an account
    ("kirim uang 1234567890", []),                         # no bank named
])
def test_payments_in_text(text, expected):
    assert keys(extract_from_text(text)) == expected


# --- hashes ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "kind", "expected"), [
    ("D41D8CD98F00B204E9800998ECF8427E", None, "md5:d41d8cd98f00b204e9800998ecf8427e"),
    ("da39a3ee5e6b4b0d3255bfef95601890afd80709", None, "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    (SHA256, None, f"sha256:{SHA256}"),
    (PDQ, None, f"sha256:{PDQ}"),       # unlabelled 64 hex digits: sha256
    (PDQ, "pdq", f"pdq:{PDQ}"),
    (f"  {PDQ.upper()} ", "pdq", f"pdq:{PDQ}"),
    ("d41d8cd98f00b204e9800998ecf8427e", "pdq", None),
    ("d41d8cd98f00b204e9800998ecf8427e", "sha256", None),
    ("d41d8cd98f00b204e9800998ecf8427", None, None),       # 31 digits
    ("g41d8cd98f00b204e9800998ecf8427e", None, None),      # not hex
    ("", None, None),
])
def test_normalise_hash(raw, kind, expected):
    found = normalise_hash(raw, kind)
    assert (found.key if found else None) == expected


@pytest.mark.parametrize(("text", "expected"), [
    (f"PDQ: {PDQ}", [f"pdq:{PDQ}"]),
    (f"pdq hash = {PDQ.upper()}", [f"pdq:{PDQ}"]),
    (f"sha256 {PDQ}", [f"sha256:{PDQ}"]),
    (f"hash {SHA256}", [f"sha256:{SHA256}"]),
    ("md5 D41D8CD98F00B204E9800998ECF8427E", ["md5:d41d8cd98f00b204e9800998ecf8427e"]),
    ("12345678901234567890123456789012", []),               # only digits: not taken as a hash
    (f"{SHA256}ff", []),                                   # 66 digits: no hash of that length
    (f"https://example.com/{SHA256}", [f"url:https://example.com/{SHA256}"]),
])
def test_hashes_in_text(text, expected):
    assert keys(extract_from_text(text)) == expected


# --- free text as a whole ----------------------------------------------------------------------

def test_text_results_are_deduplicated_in_order_of_appearance():
    text = ("awalnya dia DM dari ig @budi.santoso99, terus minta pindah ke WA 0812-3456-7890. "
            "katanya kalau ga mau, fotoku disebar di t.me/+AbCdEf123. "
            "dia juga minta transfer ke DANA 081234567890. akunnya instagram.com/budi.santoso99")
    assert keys(extract_from_text(text)) == [
        "handle:instagram:budi.santoso99",
        f"phone:{PHONE}",
        "tg_invite:AbCdEf123",
        f"ewallet:dana:{PHONE}",
    ]


@pytest.mark.parametrize("text", ["", "   ", "aku takut, tolong", "halo kak 🙏🙏", "\x00\x01"])
def test_text_without_identifiers(text):
    assert extract_from_text(text) == []


# --- structured fields -----------------------------------------------------------------------

@pytest.mark.parametrize(("accounts", "platform", "expected"), [
    (["@Budi.Santoso99"], "instagram", ["handle:instagram:budi.santoso99"]),
    (["budi.santoso99"], "IG", ["handle:instagram:budi.santoso99"]),
    (["@budi"], None, ["handle:unknown:budi"]),
    (["0812-3456-7890"], "whatsapp", [f"phone:{PHONE}"]),
    (["812 3456 7890"], "whatsapp", [f"phone:{PHONE}"]),          # trunk 0 forgotten
    (["+62 812 3456 7890"], None, [f"phone:{PHONE}"]),
    (["0812-3456-7890"], "instagram", [f"phone:{PHONE}"]),        # a number is a number
    (["100012345678901"], "facebook", ["handle:facebook:100012345678901"]),
    (["123456789 (2001)"], "mobile_legends", ["handle:mobile_legends:123456789(2001)"]),
    (["https://www.instagram.com/budi_s/"], "tiktok", ["handle:instagram:budi_s"]),  # the link wins
    (["tiktok.com/@budi.s/video/7312345678901234567"], None,
     ["handle:tiktok:budi.s", "url:https://tiktok.com/@budi.s/video/7312345678901234567"]),
    (["t.me/+AbCdEf123"], "telegram", ["tg_invite:AbCdEf123"]),
    (["Budi@Gmail.com"], None, ["email:budi@gmail.com"]),
    (["@budi.s, 0812-3456-7890"], "instagram", ["handle:instagram:budi.s", f"phone:{PHONE}"]),
    (["@budi_s (tiktok)"], None, ["handle:tiktok:budi_s"]),       # read as text when the shape fails
    (["0812 3456 7890 (WA)"], None, [f"phone:{PHONE}"]),
    (["Budi Santoso"], "instagram", []),                          # a display name: nothing to act on
    (["", "   "], "instagram", []),
    (["@budi", "@Budi"], "x", ["handle:x:budi"]),
])
def test_extract_from_fields_accounts(accounts, platform, expected):
    assert keys(extract_from_fields(accounts=accounts, platform=platform)) == expected


def test_extract_from_fields_other_boxes():
    found = extract_from_fields(
        accounts=["@budi.s"],
        platform="instagram",
        phones=["0812-3456-7890", "bukan nomor"],
        emails=["<Budi@Gmail.com>"],
        urls=["https://www.instagram.com/p/Cxyz123/?igshid=abc", "https://wa.me/6281234567890"],
    )
    assert keys(found) == [
        "handle:instagram:budi.s",
        f"phone:{PHONE}",
        "email:budi@gmail.com",
        "url:https://instagram.com/p/Cxyz123",
    ]


def test_extract_from_fields_takes_keywords_only():
    with pytest.raises(TypeError):
        extract_from_fields(["@budi"], "instagram")  # type: ignore[misc]


# --- properties --------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_extract_from_text_never_fails_and_returns_unique_keys(text):
    found = extract_from_text(text)
    assert len({identifier.key for identifier in found}) == len(found)


@settings(max_examples=150, deadline=None)
@given(st.from_regex(r"0?8[1-9][0-9]{8,10}", fullmatch=True))
def test_normalised_phone_is_a_fixed_point(raw):
    e164 = normalise_phone(raw)
    if e164 is not None:
        assert e164.startswith("+62")
        assert normalise_phone(e164) == e164


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="abcXYZ019-._/?=&#:%", max_size=30))
def test_normalised_url_is_a_fixed_point(path):
    url = normalise_url("https://Example.com/" + path)
    if url is not None:
        assert normalise_url(url) == url


def test_an_account_on_a_named_platform_has_an_unknown_platform_twin():
    from safe4c.networks.rules.identifiers import Identifier, unknown_platform_twin

    assert unknown_platform_twin(Identifier("handle", "budi.s", "instagram")) == Identifier("handle", "budi.s", "unknown")
    assert unknown_platform_twin(Identifier("handle", "budi.s", "unknown")) is None
    assert unknown_platform_twin(Identifier("handle", "budi", "other")) is None
    assert unknown_platform_twin(Identifier("phone", "+6281234567890")) is None
    assert unknown_platform_twin(Identifier("handle", "123456789(2001)", "mobile_legends")) is None  # shape
