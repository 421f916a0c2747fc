"""The case pages in a real browser, in Indonesian and English (docs/cases.md): a case worker opens a case for
a SAPA 129 call, records consent and the statement, reads it back (audited), walks the steps to a closure
request; a supervisor approves it. axe-core finds no violation on the caseload, the new-case form and the case
page; screenshots to look at in var/screenshots/."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "correct horse battery staple"
STORY = "Seseorang di gim daring meminta foto saya dan mengancam akan menyebarkannya."


@pytest.fixture(scope="module")
def case_server(tmp_path_factory):
    """A server of its own: agency A (a regency UPTD PPA) with a case worker and a supervisor, a health
    agency the consent can share with, and one automatic case from a report with consent to services."""
    from case_helpers import make_agency  # needs tests/ on the path
    from e2e.conftest import migrated_app, serve
    from safe4c.access import accounts
    from safe4c.reports import intake
    from safe4c.reports.rules.report import parse_report
    from safe4c.worker import Worker

    app, engine = migrated_app(tmp_path_factory.mktemp("cases"))
    factory = app.state.uow_factory
    make_agency(factory, "uptd-ppa-3273", region="32.73", name="UPTD PPA Kota Bandung (contoh)")
    make_agency(factory, "rs-bandung", agency_type="health", region="32.73", name="RS Contoh Bandung")
    for username, role, name in (("pekerja", "case_worker", "Sari Pekerja"), ("penyelia", "supervisor", "Budi Penyelia")):
        with factory() as uow:
            accounts.create_user(uow=uow, username=username, password=PASSWORD, role=role, display_name=name,
                                 agency_code="uptd-ppa-3273")
    with factory() as uow:
        intake.submit_report(uow=uow, report=parse_report({
            "situations": ["sextortion"], "urgent_signals": ["threat_deadline"], "province_code": "32",
            "regency_code": "32.73", "age_band": "13_15", "consent_services": True, "contact_method": "whatsapp",
            "contact_value": "0812-1111-2222", "story": STORY}), channel="web", language="id")
    Worker(factory).run_once(limit=100)
    with serve(app) as url:
        yield url
    engine.dispose()


def _sign_in(page, base, username, next_url):
    page.context.clear_cookies()
    page.goto(f"{base}/staff/login?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + next_url)


@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
def test_a_case_from_a_call_to_closure_with_no_axe_violations(browser, case_server, screenshots, locale):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    lang = locale[:2]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    checked = {}
    try:
        _sign_in(page, case_server, "pekerja", "/staff/cases")
        page.goto(f"{case_server}/staff/cases?lang={lang}")
        assert page.locator("main table tbody tr").count() >= 1  # the automatic case from the report
        checked["caseload"] = axe.run(page)
        page.screenshot(path=str(screenshots / f"cases-caseload-{locale}.png"), full_page=True)

        page.goto(f"{case_server}/staff/cases/new")
        checked["new"] = axe.run(page)
        page.check("#origin-hotline")
        page.select_option("#priority", "P1")
        page.select_option("#age_band", "13_15")
        page.select_option("#region_code", "32.73")
        page.select_option("#contact_method", "phone")
        page.fill("#contact_value", "0812-3333-4444")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{case_server}/staff/cases/*?done=opened")
        case_url = page.url.split("?")[0]
        assert page.locator("main .notice").count() == 1

        page.click("main details summary")  # record consent
        for code in ("child_assent", "guardian_consent", "services", "share_statement", "statistics"):
            page.check(f"#cv-{code}")
        page.select_option("#share_with", ["type:health"])
        page.click("main form[action$='/consent'] button[type=submit]")
        page.wait_for_url(f"{case_url}?done=consent")

        page.fill("#body", STORY)
        page.click("main form[action$='/statement'] button[type=submit]")
        page.wait_for_url(f"{case_url}?done=statement")
        assert STORY not in page.content()  # shown only on request
        page.click("main form[action$='/statement/read'] button[type=submit]")
        page.wait_for_load_state()
        assert STORY in page.content()
        checked["case (statement shown)"] = axe.run(page)
        page.screenshot(path=str(screenshots / f"cases-case-statement-{locale}.png"), full_page=True)

        page.goto(case_url)
        page.click("main form[action*='/steps/']:has(textarea) >> nth=0 >> button[type=submit]")  # first contact
        page.wait_for_url(f"{case_url}?done=step")
        assessment = page.locator("main form[action*='/steps/']").first
        assessment.locator("input[value=offender_has_access]").check()
        assessment.locator("input[value=psychosocial]").check()
        assessment.locator("select[name=safety]").select_option("at_risk")
        assessment.locator("button[type=submit]").click()
        page.wait_for_url(f"{case_url}?done=step")
        plan = page.locator("main form[action*='/steps/']").first
        plan.locator("input[value=psychosocial]").check()
        plan.locator("button[type=submit]").click()
        page.wait_for_url(f"{case_url}?done=step")
        page.fill("#closure-request", "Layanan konseling selesai dan anak aman.")
        page.click("main form[action$='/closure'] button[type=submit]")
        page.wait_for_url(f"{case_url}?done=closure")
        checked["case (closure requested)"] = axe.run(page)
        page.screenshot(path=str(screenshots / f"cases-case-{locale}.png"), full_page=True)

        path = case_url.removeprefix(case_server)
        _sign_in(page, case_server, "penyelia", path)
        page.click("main button[value=approve]")
        page.wait_for_url(f"{case_url}?done=closed")
        assert page.locator("main .notice").count() == 1
        checked["case (closed)"] = axe.run(page)
        page.screenshot(path=str(screenshots / f"cases-closed-{locale}.png"), full_page=True)
        for name, results in checked.items():
            assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    finally:
        context.close()
