"""Issue 12 in a real browser, in both languages, with axe-core at zero violations and screenshots: the takedown
form refuses a second open order for the same target and links to the open one; withdrawing asks for a reason
and a confirmation; after "Refer to the police" the report page links to the evidence package."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

WORDS = {
    "id": {"duplicate": "sudah ada perintah yang masih terbuka", "withdrawn": "Perintah dicabut",
           "evidence": "Paket bukti:"},
    "en": {"duplicate": "an open order already exists", "withdrawn": "Order withdrawn",
           "evidence": "Evidence package:"},
}


def axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("locale, lang", [("id-ID", "id"), ("en-US", "en")])
def test_duplicate_order_withdrawal_and_evidence_link(browser, live_server, staff_credentials, screenshots,
                                                       locale, lang):
    words = WORDS[lang]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(live_server + f"/staff/login?lang={lang}")
        page.fill("input[name=username]", staff_credentials[0])
        page.fill("input[name=password]", staff_credentials[1])
        page.click("main button[type=submit]")
        page.wait_for_load_state()

        # the seeded order's target, spelled otherwise: refused, with a link to the open order
        page.goto(live_server + f"/staff/takedowns?lang={lang}")
        page.select_option("#platform_id", label="Instagram (test)")
        page.select_option("#target_type", "url")
        page.fill("#target_value", "http://www.instagram.com/p/uji/?utm_source=wa")
        page.click("form.staff-form button[type=submit]")
        page.wait_for_load_state()
        alert = page.locator("#issue-title + .error-summary")
        assert words["duplicate"] in alert.inner_text()
        assert alert.locator("a[href^='/staff/takedowns/']").count() == 1
        axe_clean(page)
        page.screenshot(path=str(screenshots / f"orders-duplicate-{locale}.png"), full_page=True)

        # a new order, then withdrawn with a reason and the confirmation
        page.fill("#target_value", f"https://www.instagram.com/p/tarik-{lang}")
        page.click("form.staff-form button[type=submit]")
        page.wait_for_url("**/staff/takedowns/*?saved=issued")
        page.fill("#withdraw-reason", "Dikirim ke akun yang salah.")
        page.check("#withdraw-confirm")
        axe_clean(page)
        page.screenshot(path=str(screenshots / f"orders-withdraw-form-{locale}.png"), full_page=True)
        page.click("section[aria-labelledby=withdraw-title] button[type=submit]")
        page.wait_for_url("**saved=withdrawn")
        history = page.locator("ol.history").inner_text()
        assert words["withdrawn"] in history and "Dikirim ke akun yang salah." in history
        axe_clean(page)
        page.screenshot(path=str(screenshots / f"orders-withdrawn-{locale}.png"), full_page=True)

        # refer a report to the police: the report page links to the evidence package
        page.goto(live_server + f"/staff?lang={lang}")
        page.locator("main a[href^='/staff/reports/']").first.click()
        page.wait_for_load_state()
        page.fill("#refer_police-reason", "Pelaku aktif, anak dalam bahaya.")
        page.click("form[action$='/decisions/refer_police'] button[type=submit]")
        page.wait_for_url("**saved=refer_police")
        links = page.locator(".evidence-links").first
        assert words["evidence"] in links.inner_text()
        assert links.locator("a[href$='.pdf']").count() == 1 and links.locator("a[href$='.json']").count() == 1
        axe_clean(page)
        page.locator("#decisions-list").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / f"orders-evidence-link-{locale}.png"))
    finally:
        context.close()
