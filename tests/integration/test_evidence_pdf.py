"""Issue 12: after "Refer to the police" the report page links to the evidence package; its PDF is readable
(labels, age band and gender, Indonesian time without microseconds) and its embedded fonts cover what a child
writes (Arabic, Chinese, emoji); on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os
import re

import pytest
from helpers import hidden, make_user, sign_in
from pypdf import PdfReader

from safe4c.reports import intake
from safe4c.reports.rules.report import parse_report
from safe4c.web.pages import pdf_fonts
from safe4c.worker import Worker

STORY = "Dia kirim pesan: مرحبا يا صديقي، 你好朋友 lalu 😀🙏 dan minta foto."


def test_the_report_page_links_the_package_and_its_pdf_is_readable(client, uow_factory):
    with uow_factory() as uow:
        rid = intake.submit_report(uow=uow, channel="web", language="id", report=parse_report({
            "situations": ["grooming"], "platforms": ["instagram"], "age_band": "13_15", "gender": "girl",
            "province_code": "73", "reporter_role": "child", "story": STORY})).report_id
    worker = Worker(uow_factory)
    while worker.run_once():
        pass
    make_user(uow_factory, "analis")
    sign_in(client, "analis")
    csrf = hidden(client.get(f"/staff/reports/{rid}").text)
    r = client.post(f"/staff/reports/{rid}/decisions/refer_police", follow_redirects=False,
                    data={"csrf": csrf, "reason": "Anak dalam bahaya, pelaku aktif."})
    assert r.status_code == 303
    page = client.get(r.headers["location"] + "&lang=en").text
    assert "The evidence package is ready" in page
    pdf_link = re.search(r'href="(/staff/referrals/[0-9a-f-]+\.pdf)"', page).group(1)
    assert pdf_link.replace(".pdf", ".json") in page
    assert "Paket bukti:" in client.get(f"/staff/reports/{rid}?lang=id").text

    pdf = client.get(pdf_link + "?lang=en")
    assert pdf.status_code == 200
    reader = PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())  # cells wrap between words
    assert "Girl" in text and "13–15" in text and "Web form" in text and "Grooming" in text and "Instagram" in text
    assert "Times are in WITA" in text  # South Sulawesi (73) is in WITA
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d WITA", text)
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", text) and "+00:00" not in text and "grooming" not in text
    fonts = {}
    for pdf_page in reader.pages:
        for font in pdf_page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            fonts[str(font["/BaseFont"])] = descriptor is not None and "/FontFile2" in descriptor.get_object()
    embedded = {name.split("+")[-1] for name, has_file in fonts.items() if has_file}
    assert {"NotoSans-Regular", "NotoSansArabic-Regular"} <= embedded, fonts
    assert any(name.startswith("NotoEmoji") for name in embedded), fonts
    story_chars = {c for c in STORY if not c.isspace() and c not in "\u200d\ufe0f"}
    covered = set().union(*(covers for name, covers in pdf_fonts.fonts()))
    missing = [c for c in story_chars if ord(c) not in covered]
    if os.path.exists(pdf_fonts.SYSTEM[0][1]):
        assert "DroidSansFallback" in embedded and not missing
    else:  # without Debian's fonts-droid-fallback only the Chinese is missing
        assert all("\u4e00" <= c <= "\u9fff" for c in missing)
        pytest.skip("fonts-droid-fallback is not installed: Chinese is not covered here")
    pdf_id = client.get(pdf_link + "?lang=id")
    text_id = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_id.content)).pages).split())
    assert "Perempuan" in text_id and "Waktu dalam WITA" in text_id
