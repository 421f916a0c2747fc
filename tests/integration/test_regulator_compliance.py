"""The regulator's compliance page, CSV and PDF over HTTP, on SQLite and PostgreSQL (issue 12): overdue now
apart from the month, per platform with the escalation step; the national total; urgent and standard apart;
withdrawals counted; the PDF's notes never alone on a page."""

from __future__ import annotations

import csv
import io
import re

import pytest
import regulator_scenario
from helpers import sign_in_new

from safe4c.takedowns import compliance
from safe4c.web.pages import transparency_pdf


def test_overdue_now_counts_every_month_per_platform_with_its_step(uow_factory, clock):
    ids = regulator_scenario.build(uow_factory, clock)
    with uow_factory() as uow:
        january = compliance.period(uow=uow, month="2026-01")
        december = compliance.period(uow=uow, month="2025-12")
    overdue = [(r.platform, r.overdue, r.urgent, r.by_level, r.highest_level) for r in january.overdue]
    assert overdue == [("Telegram Messenger", 13, 13, (0, 0, 0, 13), 3), ("Meta", 3, 0, (0, 0, 3, 0), 2),
                       ("X Corp", 4, 0, (0, 4, 0, 0), 1), ("TikTok Indonesia", 1, 1, (1, 0, 0, 0), 0)]
    assert january.overdue_total == december.overdue_total == 21  # the month on screen does not hide any
    assert sum(r.overdue_now for r in january.rows) == 5  # what the month filter alone showed
    with uow_factory() as uow:  # a platform sees only its own
        assert [r.platform for r in compliance.overdue_now(uow=uow, platform_id=ids["Meta"])] == ["Meta"]


def test_the_months_figures_count_withdrawals_and_split_urgent_from_standard(uow_factory, clock):
    regulator_scenario.build(uow_factory, clock)
    with uow_factory() as uow:
        p = compliance.period(uow=uow, month="2026-01")
    x = next(r for r in p.rows if r.platform == "X Corp")
    assert (x.received, x.withdrawn, x.removed, x.share_within_deadline) == (5, 1, 0, 0.0)  # 0 of 4 due
    t = p.total
    assert (t.received, t.urgent, t.removed, t.removed_within_deadline, t.withdrawn) == (9, 4, 3, 3, 1)
    assert (p.urgent.received, p.urgent.removed, p.urgent.withdrawn) == (4, 3, 0)
    assert (p.standard.received, p.standard.removed, p.standard.withdrawn) == (5, 0, 1)
    assert t.median_hours == 2.0


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_page_shows_overdue_now_apart_and_the_months_totals(client, uow_factory, clock, lang):
    regulator_scenario.build(uow_factory, clock)
    sign_in_new(client, uow_factory, "regulator1", "regulator")
    html = client.get(f"/staff/compliance?month=2025-12&lang={lang}").text
    overdue, period = html.split('id="period-title"')
    words = {"en": ("Warning 3: access blocking recommended", "All platforms", "Withdrawn", "Urgent (deadline 4 hours)"),
             "id": ("Teguran 3", "Semua platform", "Dicabut", "Mendesak (batas waktu 4 jam)")}[lang]
    assert "21." in overdue  # every order overdue now, although December is on screen
    telegram = re.search(r"<th scope=\"row\">Telegram Messenger</th>(.*?)</tr>", overdue, re.S).group(1)
    assert '<span class="overdue">13</span>' in telegram and words[0] in telegram
    assert words[1] in period and words[2] in period and words[3] in period
    total = re.search(r'<tr class="total">(.*?)</tr>', period, re.S).group(1)
    assert re.findall(r'<td class="num">(\d+)</td>', total)[:2] == ["18", "13"]  # December: 18 orders, 13 urgent


def test_the_csv_has_withdrawals_and_urgent_orders(client, uow_factory, clock):
    regulator_scenario.build(uow_factory, clock)
    sign_in_new(client, uow_factory, "regulator1", "regulator")
    rows = {r["platform"]: r for r in csv.DictReader(io.StringIO(client.get("/staff/compliance.csv?month=2026-01").text))}
    assert (rows["X Corp"]["withdrawn"], rows["X Corp"]["received"], rows["TikTok Indonesia"]["urgent"]) == ("1", "5", "4")


class Recorder:
    """What the PDF is made of: its paragraphs, its tables' cells, and which page each flowable landed on."""

    def __init__(self, monkeypatch):
        self.text: list[str] = []
        self.cells: list[list] = []
        self.pages: list[tuple[int, str]] = []
        recorder = self
        original_paragraph, original_table = transparency_pdf.Paragraph, transparency_pdf.Table

        def paragraph(text, *args, **kwargs):
            recorder.text.append(text)
            made = original_paragraph(text, *args, **kwargs)
            made.said = text
            return made

        def table(data, *args, **kwargs):
            recorder.cells += [[getattr(c, "said", c) for c in row] for row in data]
            return original_table(data, *args, **kwargs)

        class Doc(transparency_pdf.SimpleDocTemplate):
            def afterFlowable(self, flowable):
                recorder.pages.append((self.page, getattr(flowable, "said", type(flowable).__name__)))

        monkeypatch.setattr(transparency_pdf, "Paragraph", paragraph)
        monkeypatch.setattr(transparency_pdf, "Table", table)
        monkeypatch.setattr(transparency_pdf, "SimpleDocTemplate", Doc)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_pdf_has_the_national_total_the_split_and_withdrawals(uow_factory, clock, monkeypatch, lang):
    regulator_scenario.build(uow_factory, clock)
    with uow_factory() as uow:
        period = compliance.period(uow=uow, month="2026-01")
    seen = Recorder(monkeypatch)
    pdf = transparency_pdf.render_pdf(period, lang=lang, generated_at=clock.now(),
                                      hours={"urgent": "4", "standard": "24"})
    assert pdf.startswith(b"%PDF")
    said = {"en": ("All platforms", "Withdrawn", "Urgent (deadline 4 hours)", "Standard (deadline 24 hours)",
                   "Nationally, 9 orders (4 urgent, 5 standard): 3 removed"),
            "id": ("Semua platform", "Dicabut", "Mendesak (batas waktu 4 jam)", "Biasa (batas waktu 24 jam)",
                   "Secara nasional, 9 perintah (4 mendesak, 5 biasa): 3 dihapus")}[lang]
    total = next(row for row in seen.cells if said[0] in str(row[0]) and row[1] == 9)
    assert total[1:5] == [9, 4, 3, 3] and total[8] == 1  # orders, urgent, acknowledged, removed; withdrawn
    assert any(said[1] in str(c) for row in seen.cells for c in row)
    assert any(said[2] in str(row[0]) and row[1] == 4 for row in seen.cells)
    assert any(said[3] in str(row[0]) and row[1] == 5 and row[-1] == 1 for row in seen.cells)
    assert any(t.startswith(said[4]) for t in seen.text)


@pytest.mark.parametrize("platform_count", [1, 4, 9, 16])
def test_the_pdf_notes_never_sit_alone_on_a_page(uow_factory, clock, monkeypatch, platform_count):
    """However many platforms push the chart and notes down, the notes share their page with the chart."""
    from safe4c.access import platforms

    for i in range(platform_count):
        with uow_factory() as uow:
            platforms.create_platform(uow=uow, name=f"Platform {i:02d} with a rather long name")
    with uow_factory() as uow:
        period = compliance.period(uow=uow, month="2026-01")
    seen = Recorder(monkeypatch)
    transparency_pdf.render_pdf(period, lang="en", generated_at=clock.now(), hours={"urgent": "4", "standard": "24"})
    notes_page = next(page for page, what in seen.pages if str(what).startswith("Deadlines:"))
    on_that_page = [what for page, what in seen.pages if page == notes_page]
    assert len(on_that_page) >= 3, on_that_page  # the heading and the chart came along
    assert on_that_page[-1].startswith("Deadlines:")
