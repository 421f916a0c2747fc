"""The regulator's compliance page in a real browser, in both languages (issue 12): what is overdue now is shown
apart from the month, every column fits a 1,920 px screen (and a 1,280 px one) without the page scrolling
sideways, the language chosen stays on the next page, and axe-core finds nothing."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# Widths that overflow: the page itself, and each table beyond its own box.
OVERFLOW = """() => ({
  page: document.documentElement.scrollWidth - window.innerWidth,
  tables: [...document.querySelectorAll('.table-scroll')].map(r => r.scrollWidth - r.clientWidth),
})"""


@pytest.mark.parametrize("locale, lang, other", [("id-ID", "id", "en"), ("en-US", "en", "id")])
def test_compliance_page_fits_wide_screens_keeps_the_language_and_has_no_axe_violations(
        browser, regulator_server, regulator_credentials, screenshots, locale, lang, other):
    from axe_playwright_python.sync_playwright import Axe

    words = {"id": ("Teguran 3: rekomendasi pemutusan akses", "Semua platform"),
             "en": ("Warning 3: access blocking recommended", "All platforms")}
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(regulator_server + "/staff/login")
        username, password = regulator_credentials
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        page.wait_for_url(regulator_server + "/staff/compliance")
        assert page.locator("html").get_attribute("lang") == lang
        page.goto(regulator_server + "/staff/compliance?month=2025-12")
        overdue = page.locator("section[aria-labelledby=overdue-title]")
        assert "21" in overdue.locator("p").first.inner_text()
        telegram = overdue.locator("tbody tr", has_text="Telegram Messenger")
        assert "13" in telegram.inner_text() and words[lang][0] in telegram.inner_text()
        assert words[lang][1] in page.locator("tfoot").inner_text()
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        fits = page.evaluate(OVERFLOW)
        assert fits["page"] <= 0 and all(w <= 0 for w in fits["tables"]), fits
        page.screenshot(path=str(screenshots / f"compliance-1920-{locale}.png"), full_page=True)

        page.set_viewport_size({"width": 1280, "height": 900})
        fits = page.evaluate(OVERFLOW)
        assert fits["page"] <= 0 and all(w <= 0 for w in fits["tables"]), fits
        page.screenshot(path=str(screenshots / f"compliance-1280-{locale}.png"), full_page=True)

        # the other language, chosen once, stays on the next page (and keeps the month)
        page.locator(f".langs a[lang={other}]").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == other
        assert page.locator("#month").input_value() == "2025-12"
        page.goto(regulator_server + "/staff/compliance")
        assert page.locator("html").get_attribute("lang") == other
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()
