"""A platform's report on the analyst's report page in a real browser: what the platform sent, "Who reported",
the notice that the report is still being processed; axe-core at zero violations, both languages."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
def test_the_report_page_of_a_platform_report(browser, live_server, screenshots, staff_credentials,
                                              platform_report_id, locale):
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(live_server + "/staff/login")
        username, password = staff_credentials
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        page.wait_for_url(live_server + "/staff")
        page.goto(f"{live_server}/staff/reports/{platform_report_id}")
        html = page.content()
        assert "IG-2026-000417" in html and "rekaman_layar_2026-01-05.mp4" in html
        assert "Pelaku memberi batas waktu malam ini" in html
        assert "9e107d9d372bb6826bd81d3542a419d6" in html
        english = locale.startswith("en")
        assert ("What the platform sent" if english else "Yang dikirim platform") in html
        assert ("The platform Instagram (test), on its users" if english else "Platform Instagram (test), atas nama") in html
        assert ("still being processed" if english else "masih diproses") in html
        page.screenshot(path=str(screenshots / f"staff-platform-report-{locale}.png"), full_page=True)
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()
