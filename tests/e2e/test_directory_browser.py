"""The service directory's staff pages in a real browser, in Indonesian and English: filter the list, open an
organisation, the coverage table of the 3T regencies; axe-core on each page, screenshots to look at."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
def test_directory_pages_work_and_have_no_axe_violations(browser, live_server, screenshots, staff_credentials,
                                                         locale):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(live_server + "/staff/login?next=/staff/directory")
        username, password = staff_credentials
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        page.wait_for_url(live_server + "/staff/directory")
        checked = {"list": axe.run(page)}
        page.select_option("select[name=type]", "uptd_ppa")
        page.select_option("select[name=province]", "53")
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("main table tbody tr").count() == 1
        assert "UPTD PPA Provinsi Nusa Tenggara Timur" in page.content()
        checked["filtered"] = axe.run(page)
        page.screenshot(path=str(screenshots / f"directory-list-{locale}.png"), full_page=True)

        page.locator("main table tbody a").first.click()
        page.wait_for_load_state()
        assert page.locator("main h3").count() == 6  # the six services of a UPTD PPA
        checked["organization"] = axe.run(page)
        page.screenshot(path=str(screenshots / f"directory-organization-{locale}.png"), full_page=True)

        page.goto(live_server + "/staff/directory/coverage?province=53&only=remote")
        assert page.locator("main table tbody tr").count() == 13  # NTT's 3T regencies
        checked["coverage"] = axe.run(page)
        # a column per service type: the table scrolls inside its region, not the page, and each row's regency
        # stays in view while it does
        assert page.evaluate("(m => m.scrollWidth <= m.clientWidth)(document.querySelector('main'))")
        region = page.locator("main .table-scroll")
        heading = page.locator("main table tbody th").first
        before = heading.bounding_box()["x"]
        region.evaluate("r => { r.scrollLeft = 600; }")
        assert region.evaluate("r => r.scrollLeft") > 0
        assert heading.bounding_box()["x"] == before
        page.screenshot(path=str(screenshots / f"directory-coverage-{locale}.png"), full_page=True)
        for name, results in checked.items():
            assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    finally:
        context.close()
