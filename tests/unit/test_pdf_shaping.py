"""Arabic in a child's story is set joined and right to left in the evidence PDF: reportlab shapes with HarfBuzz
(uharfbuzz) when a paragraph style asks for it and the font allows it, and the evidence PDF's own rendering
(web/pages/evidence_pdf.render_pdf) asks for it."""

from __future__ import annotations

import io
from functools import partial

from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.platypus import Paragraph, SimpleDocTemplate

from safe4c.web.i18n import translate
from safe4c.web.pages import evidence_pdf, pdf_fonts

ARABIC = "مرحبا بالعالم"
LETTERS = len(ARABIC.replace(" ", ""))  # 12 isolated letters
SHAPED_GLYPHS = 14  # what HarfBuzz draws for them with Noto Sans Arabic (joined forms and marks)


def _pdf(shaping: int) -> bytes:
    style = getSampleStyleSheet()["BodyText"].clone(f"s{shaping}", fontName=pdf_fonts.base_font(), shaping=shaping)
    out = io.BytesIO()
    SimpleDocTemplate(out, invariant=1).build([Paragraph(pdf_fonts.markup(ARABIC), style)])
    return out.getvalue()


def _package(statement: str) -> dict:
    """An evidence package as workspace/evidence.build writes it, with one report whose statement is ``statement``
    and nothing else in Arabic."""
    return {"package_id": "5f0c2a9e-1b7d-4c1e-9a53-0d6f3b2c7e11", "created_at": "2026-01-05T06:30:00Z",
            "created_by": {"name": "Analis Satu"}, "integrity": {"sha256": "a" * 64}, "reason": "Anak dalam bahaya.",
            "path": [{"platform": "instagram"}],
            "reports": [{"id": "0b8f7c6d-5e4a-4b3c-9d2e-1f0a9b8c7d6e", "received_at": "2026-01-05T06:30:00Z",
                         "channel": "web", "situations": ["grooming"], "platforms": ["instagram"], "priority": "P1",
                         "age_band": "13_15", "gender": "girl", "regency": None, "province": "Sulawesi Selatan",
                         "province_code": "73", "statement": statement}],
            "identifiers": [], "timeline": [], "takedown_orders": [], "chain_of_custody": []}


def arabic_glyph_widths(pdf: bytes) -> list[int]:
    """The advance widths of the glyphs drawn in the Arabic font, in the order they are drawn."""
    widths = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = {name: ref.get_object() for name, ref in page["/Resources"]["/Font"].items()}
        arabic = {name: font for name, font in fonts.items()
                  if str(font["/BaseFont"]).endswith("NotoSansArabic-Regular")}
        current = None
        for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
            if operator == b"Tf":
                current = arabic.get(operands[0])
            elif operator in (b"Tj", b"TJ") and current is not None:
                pieces = operands[0] if operator == b"TJ" else [operands[0]]
                first = current["/FirstChar"]
                widths += [current["/Widths"][code - first] for piece in pieces if not isinstance(piece, (int, float))
                           for code in piece.get_original_bytes()]
    return widths


def test_the_arabic_font_is_shaped_and_shaping_changes_what_is_drawn():
    assert pdf_fonts.font_for("م") == "Safe4cArabic"
    assert getFont("Safe4cArabic").shapable  # uharfbuzz is installed and the font may be shaped
    assert _pdf(1) != _pdf(0)  # joined forms and right-to-left order: other glyphs than the isolated letters
    assert len(arabic_glyph_widths(_pdf(0))) == LETTERS and len(arabic_glyph_widths(_pdf(1))) == SHAPED_GLYPHS


def test_the_evidence_pdf_draws_a_statement_in_arabic_shaped():
    pdf = evidence_pdf.render_pdf(_package(f"Dia kirim pesan: {ARABIC}"), translate=partial(translate, "en"))
    drawn = arabic_glyph_widths(pdf)
    assert len(drawn) == SHAPED_GLYPHS
    assert drawn == arabic_glyph_widths(_pdf(1))  # the same glyphs, in the same order, as a shaping paragraph
    assert drawn != arabic_glyph_widths(_pdf(0))
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Statement in report 0b8f7c6d" in text and "Dia kirim pesan:" in text
