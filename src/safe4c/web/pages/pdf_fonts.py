"""Fonts for the PDFs: Noto from the ``manimgx-fonts`` package (Noto Sans, Noto Sans Arabic and the other scripts,
Noto Sans Symbols, Noto Emoji; SIL OFL, installed from the package registry with safe4c, never downloaded at run
time), and Debian's Droid Sans Fallback for Chinese, Japanese and Korean when it is installed
(``fonts-droid-fallback``: ``make setup`` installs it where it can; reportlab embeds only TrueType outlines, and
every Noto CJK package on the registry is OpenType/CFF).

``markup(text)`` escapes text for a reportlab Paragraph and wraps each run of characters in the first font that
has them, so a child's story in Arabic, Chinese or with emoji is set in real glyphs, not boxes. Only the
glyphs used are embedded (reportlab subsets TrueType fonts).
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

BASE = "Safe4cSans"
# (reportlab name, file in manimgx_fonts); the first one that has a character sets it.
PACKAGED = (
    (BASE, "NotoSans[wght].ttf"),
    ("Safe4cArabic", "NotoSansArabic[wght].ttf"),
    ("Safe4cDevanagari", "NotoSansDevanagari[wght].ttf"),
    ("Safe4cThai", "NotoSansThai[wght].ttf"),
    ("Safe4cKhmer", "NotoSansKhmer[wght].ttf"),
    ("Safe4cMyanmar", "NotoSansMyanmar[wght].ttf"),
    ("Safe4cHebrew", "NotoSansHebrew[wght].ttf"),
    ("Safe4cTamil", "NotoSansTamil[wght].ttf"),
    ("Safe4cSymbols", "NotoSansSymbols[wght].ttf"),
    ("Safe4cEmoji", "NotoEmoji[wght].ttf"),
)
SYSTEM = (("Safe4cCJK", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),)
FALLBACK = "Helvetica"  # only if the font package is missing: Latin text still renders


@lru_cache(maxsize=1)
def fonts() -> tuple[tuple[str, frozenset[int]], ...]:
    """(name, code points it covers) of every font registered with reportlab, in fallback order."""
    found = []
    try:
        folder = resources.files("manimgx_fonts")
        paths = [(name, str(folder / file)) for name, file in PACKAGED]
    except ModuleNotFoundError:
        paths = []
    for name, path in [*paths, *SYSTEM]:
        if not os.path.exists(path):
            continue
        font = TTFont(name, path)
        pdfmetrics.registerFont(font)
        found.append((name, frozenset(font.face.charToGlyph)))
    return tuple(found)


def base_font() -> str:
    return fonts()[0][0] if fonts() else FALLBACK


def font_for(char: str) -> str:
    point = ord(char)
    for name, covered in fonts():
        if point in covered:
            return name
    return base_font()


def markup(text: object) -> str:
    """``text`` escaped for a Paragraph, each run in a font that covers it."""
    value = "—" if text is None or text == "" else str(text)
    if not fonts():
        return escape(value)
    base = base_font()
    out, run, current = [], [], base
    for char in value:
        name = base if char.isspace() or char in "\u200d\ufe0f" else font_for(char)
        if name != current and run:
            out.append(_run("".join(run), current, base))
            run = []
        current = name
        run.append(char)
    if run:
        out.append(_run("".join(run), current, base))
    return "".join(out)


def _run(text: str, name: str, base: str) -> str:
    return escape(text) if name == base else f'<font name="{name}">{escape(text)}</font>'
