"""Compliance and transparency, on SQLite and PostgreSQL: figures per platform and month, who may see them,
the page, CSV and PDF."""

from __future__ import annotations

import itertools

import csv
import io
import os
from pathlib import Path

from helpers import sign_in_new

from safe4c.takedowns import compliance, orders as takedowns
from safe4c.access import platforms

_ORDERS = itertools.count(1)  # one open order per platform and target: each order its own target


def issue(uow_factory, platform_id, category="csam"):
    with uow_factory() as uow:
        return takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=platform_id, target_type="url", target_value=f"https://example.com/v/{next(_ORDERS)}", category=category))


def scenario(uow_factory, clock):
    """TikTok: removed in 1 h (in time), removed in 6 h (late), one still open (overdue). Meta: one disputed."""
    with uow_factory() as uow:
        tiktok = platforms.create_platform(uow=uow, name="TikTok Indonesia")
    with uow_factory() as uow:
        meta = platforms.create_platform(uow=uow, name="Meta")
    a, b, c = (issue(uow_factory, tiktok.id) for _ in range(3))
    d = issue(uow_factory, meta.id, category="other")
    clock.advance(hours=1)
    with uow_factory() as uow:
        takedowns.mark_removed(uow=uow, platform_id=tiktok.id, public_id=a)
    with uow_factory() as uow:
        takedowns.dispute(uow=uow, platform_id=meta.id, public_id=d, reason="Bukan konten kami")
    clock.advance(hours=5)
    with uow_factory() as uow:
        takedowns.acknowledge(uow=uow, platform_id=tiktok.id, public_id=b)
    with uow_factory() as uow:
        takedowns.mark_removed(uow=uow, platform_id=tiktok.id, public_id=b)
    return tiktok, meta


def test_monthly_figures(uow_factory, clock):
    tiktok, meta = scenario(uow_factory, clock)
    with uow_factory() as uow:
        rows = {r.platform: r for r in compliance.monthly(uow=uow, month="2026-01")}
        empty = compliance.monthly(uow=uow, month="2025-12")
    t = rows["TikTok Indonesia"]
    assert (t.received, t.acknowledged, t.removed, t.removed_within_deadline) == (3, 2, 2, 1)
    assert (t.median_hours, t.p90_hours) == (1.0, 6.0)
    assert abs(t.share_within_deadline - 1 / 3) < 1e-9  # 1 in time of 3 due (2 removed + 1 overdue)
    assert t.overdue_now == 1 and t.disputes == 0
    m = rows["Meta"]
    assert (m.received, m.disputes, m.overdue_now, m.share_within_deadline) == (1, 1, 0, None)
    assert [r.received for r in empty] == [0, 0]
    assert compliance.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.9) == 5.0


def test_regulator_sees_every_platform_page_csv_pdf(client, uow_factory, clock):
    scenario(uow_factory, clock)
    sign_in_new(client, uow_factory, "regulator1", "regulator")
    page = client.get("/staff/compliance?month=2026-01")
    assert page.status_code == 200
    assert "TikTok Indonesia" in page.text and "Meta" in page.text and "<meter" in page.text
    r = client.get("/staff/compliance.csv?month=2026-01")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    tiktok = next(row for row in rows if row["platform"] == "TikTok Indonesia")
    assert tiktok["median_hours"] == "1.00" and tiktok["p90_hours"] == "6.00" and tiktok["overdue_now"] == "1"
    r = client.get("/staff/compliance.pdf?month=2026-01")
    assert r.status_code == 200 and r.content.startswith(b"%PDF") and len(r.content) > 2000
    out = os.environ.get("SAFE4C_PDF_OUT")  # set it to look at the PDF (pdftoppm -png)
    if out:
        Path(out).write_bytes(r.content)
    assert client.get("/staff/compliance?month=2026-13").status_code == 422
    # a regulator issues no orders and sees no takedown list
    assert client.get("/staff/takedowns").status_code == 403


def test_analyst_cannot_see_compliance_and_a_platform_sees_its_own(client, uow_factory, clock):
    tiktok, meta = scenario(uow_factory, clock)
    sign_in_new(client, uow_factory, "analis", "analyst")
    assert client.get("/staff/compliance").status_code == 403
    assert client.get("/staff/compliance.csv").status_code == 403
    r = client.get("/api/v1/compliance?month=2026-01", headers={"Authorization": f"Bearer {tiktok.api_key}"})
    assert r.status_code == 200
    assert [row["platform"] for row in r.json()] == ["TikTok Indonesia"]
    assert r.json()[0]["median_hours"] == 1.0
    sign_in_new(client, uow_factory, "boss", "admin")
    assert client.get("/staff/compliance").status_code == 200


def test_pages_and_the_pdf_say_the_configured_deadlines(engine, settings, clock, monkeypatch):
    from fastapi.testclient import TestClient

    from safe4c.web.app import create_app
    from safe4c.web.pages.transparency_pdf import render_pdf

    settings = settings.model_copy(update={"takedown_deadline_hours": {"urgent": 6, "standard": 48}})
    with TestClient(create_app(settings, clock=clock, engine=engine)) as client:
        uow_factory = client.app.state.uow_factory
        with uow_factory() as uow:
            platforms.create_platform(uow=uow, name="TikTok Indonesia")
        sign_in_new(client, uow_factory)
        page = client.get("/staff/takedowns", headers={"Accept-Language": "en"})
        assert "Urgent (6 hours)." in page.text and "4 hours" not in page.text
        page = client.get("/staff/takedowns", headers={"Accept-Language": "id"})
        assert "Mendesak (6 jam)." in page.text
        sign_in_new(client, uow_factory, "regulator1", "regulator")
        assert client.get("/staff/compliance.pdf").status_code == 200
        with uow_factory() as uow:
            period = compliance.period(uow=uow, month="2026-01")
    from safe4c.web.pages import transparency_pdf

    drawn: list[str] = []  # the paragraphs the PDF is made of

    def paragraph(text, *args, **kwargs):
        drawn.append(text)
        return original(text, *args, **kwargs)

    original = transparency_pdf.Paragraph
    monkeypatch.setattr(transparency_pdf, "Paragraph", paragraph)
    for lang, said in (("en", ("6 hours for urgent", "48 hours otherwise")), ("id", ("6 jam untuk", "48 jam untuk"))):
        drawn.clear()
        assert render_pdf(period, lang=lang, generated_at=clock.now(),
                          hours={"urgent": "6", "standard": "48"}).startswith(b"%PDF")
        note = next(t for t in drawn if said[0] in t)
        assert said[1] in note and "4 " not in note.replace("524", ""), note
