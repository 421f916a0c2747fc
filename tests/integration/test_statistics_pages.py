"""The statistics pages on SQLite and PostgreSQL: staff dashboards, /statistik in both languages, the downloads
(suppressed, the same cells in CSV, Parquet and on the page)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest
from helpers import sign_in_new
from test_statistics_rollups import add_report

from safe4c.statistics import PAGES, recount, rollups

UTC = timezone.utc


def seed(uow_factory):
    """2025 (closed: the test clock is in January 2026): 30 reports in Jawa Barat, 12 in Jakarta, 1 in Aceh."""
    with uow_factory() as uow:
        for i in range(30):
            add_report(uow, datetime(2025, 3, 1, tzinfo=UTC) + timedelta(days=i * 3))
        for i in range(12):
            add_report(uow, datetime(2025, 3, 2, tzinfo=UTC) + timedelta(days=i * 7), province="31", regency="31.71",
                       situations=("sextortion",), platforms=("instagram",))
        add_report(uow, datetime(2025, 6, 1, tzinfo=UTC), province="11", regency="11.71")
        uow.commit()
        rollups.refresh(uow)


def test_every_statistics_page_answers_and_equals_a_recount(client, uow_factory):
    seed(uow_factory)
    sign_in_new(client, uow_factory, "analis", "analyst")
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    with uow_factory() as uow:
        assert recount.differences(uow) == []
    page = client.get("/staff/statistics/reports?dim=province").text
    assert "Jawa Barat" in page and "Aceh" in page


@pytest.mark.parametrize("lang,words", [("id", "Statistik terbuka"), ("en", "Open statistics")])
def test_public_page_in_both_languages_hides_small_counts(client, uow_factory, lang, words):
    seed(uow_factory)
    page = client.get(f"/statistik?lang={lang}").text
    assert words in page
    assert "<svg" in page and "<script" not in page.split("<main", 1)[-1]  # charts need no JavaScript
    # Aceh's single report is never shown; Jawa Barat's 30 and Jakarta's 12 are.
    assert ">30<" in page and ">12<" in page


def test_downloads_hold_the_same_suppressed_cells(client, uow_factory):
    seed(uow_factory)
    rows = list(csv.DictReader(io.StringIO(client.get("/statistik/data.csv").text)))
    table = pq.read_table(io.BytesIO(client.get("/statistik/data.parquet").content)).to_pylist()
    assert [(r["table"], r["period"], r["code"], r["reports"]) for r in rows] == \
           [(r["table"], r["period"], r["code"], "" if r["reports"] is None else str(r["reports"])) for r in table]
    values = [int(r["reports"]) for r in rows if r["reports"]]
    assert values and all(v == 0 or v >= 10 for v in values)
    year = {(r["table"], r["code"]): r["reports"] for r in rows if r["period"] == "2025"}
    assert year[("province", "32")] == "30" and year[("province", "31")] == "12"
    assert year[("province", "11")] == ""  # the single report in Aceh
    assert not any(r["period"] == "2026-01" for r in rows)  # the current month is not closed


def test_regulator_sees_dashboards_not_reports(client, uow_factory):
    seed(uow_factory)
    sign_in_new(client, uow_factory, "regulator", "regulator")
    assert client.get("/staff/statistics/iceberg").status_code == 200
    assert client.get("/staff").status_code == 403
