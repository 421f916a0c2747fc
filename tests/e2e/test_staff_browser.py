"""The staff side in a real browser: sign in, the queue, a report, a status change; axe-core on each page."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
def test_staff_pages_work_and_have_no_axe_violations(browser, live_server, screenshots, staff_credentials, locale):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(live_server + "/staff")
        assert page.url.startswith(live_server + "/staff/login")
        checked = {"login": axe.run(page)}
        username, password = staff_credentials
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        page.wait_for_url(live_server + "/staff")
        assert page.locator("table tbody tr").count() >= 1
        checked["queue"] = axe.run(page)
        page.screenshot(path=str(screenshots / f"staff-queue-{locale}.png"))

        # the top of the queue: a new P1 (new reports come before those already taken up, so which one depends on
        # what the other locale's run did); every seeded report is decrypted on its page with its history
        page.locator("table tbody a").first.click()
        page.wait_for_load_state()
        assert page.locator("#history-title").count() == 1 and page.locator("ul.accounts code").count() >= 1
        checked["report"] = axe.run(page)

        target = page.locator("select[name=status] option").first.get_attribute("value")
        page.select_option("select[name=status]", target)
        # No note: the browser holds the form back (required); without that, the server refuses it (422).
        page.evaluate("document.querySelector('textarea[name=note]').removeAttribute('required')")
        page.click("form.staff-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#note-error").count() == 1
        checked["report-error"] = axe.run(page)
        page.select_option("select[name=status]", target)
        page.fill("textarea[name=note]", f"Saya tangani sekarang ({locale}).")
        page.click("form.staff-form button[type=submit]")
        page.wait_for_load_state()
        assert f"Saya tangani sekarang ({locale})." in page.content()
        page.screenshot(path=str(screenshots / f"staff-report-{locale}.png"), full_page=True)
        for path in ("/staff/takedowns", "/staff/compliance", "/staff/hashlist", "/staff/clusters"):
            response = page.goto(live_server + path)
            assert response.status == 200, path
            checked[path] = axe.run(page)
            if path in ("/staff/takedowns", "/staff/clusters"):  # and the first order / network itself
                page.locator("main table tbody a").first.click()
                page.wait_for_load_state()
                assert page.url != live_server + path
                checked[page.url] = axe.run(page)
        for name, results in checked.items():
            assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    finally:
        context.close()
