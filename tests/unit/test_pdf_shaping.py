"""Arabic in a child's story is set joined and right to left in the evidence PDF: reportlab shapes with HarfBuzz
(uharfbuzz) when a paragraph style asks for it and the font allows it."""

from __future__ import annotations

import io

from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.platypus import Paragraph, SimpleDocTemplate

from safe4c.web.pages import pdf_fonts

ARABIC = "مرحبا بالعالم"


def _pdf(shaping: int) -> bytes:
    style = getSampleStyleSheet()["BodyText"].clone(f"s{shaping}", fontName=pdf_fonts.base_font(), shaping=shaping)
    out = io.BytesIO()
    SimpleDocTemplate(out, invariant=1).build([Paragraph(pdf_fonts.markup(ARABIC), style)])
    return out.getvalue()


def test_the_arabic_font_is_shaped_and_shaping_changes_what_is_drawn():
    assert pdf_fonts.font_for("م") == "Safe4cArabic"
    assert getFont("Safe4cArabic").shapable  # uharfbuzz is installed and the font may be shaped
    assert _pdf(1) != _pdf(0)  # joined forms and right-to-left order: other glyphs than the isolated letters

