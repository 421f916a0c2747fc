"""gettext catalogs (Bahasa Indonesia first, English) read straight from the .po files.

Every ``*.po`` file in ``locale/<lang>/LC_MESSAGES/`` is merged, so each area of the app keeps its own
catalog file. Source strings (msgids) are English; ``en`` needs no translations but exists for plurals.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("id", "en")
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    if lang not in LANGUAGES:
        lang = LANGUAGES[0]
    merged = None
    for po in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang)
        buf = BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        t = gettext.GNUTranslations(buf)
        if merged is None:
            merged = t
        else:
            merged._catalog.update(t._catalog)  # later files add to the first; msgids are unique per file
    return merged or gettext.NullTranslations()


def pick_language(*, query: str | None, cookie: str | None, accept: str | None, default: str) -> str:
    """An explicit choice (query, then cookie) wins; then the browser's Accept-Language; then the default."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    if accept:
        for part in accept.split(","):
            tag = part.split(";")[0].strip().lower()[:2]
            if tag == "in":  # the old code for Indonesian, still sent by some phones
                tag = "id"
            if tag in LANGUAGES:
                return tag
    return default if default in LANGUAGES else LANGUAGES[0]


def translate(lang: str, message: str, **params) -> str:
    text = translations(lang).gettext(message)
    return text.format(**params) if params else text
