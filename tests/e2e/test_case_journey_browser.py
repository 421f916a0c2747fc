"""ONE case from a child's report to its closure in a real browser, in Indonesian and in English (docs/cases.md).

The child reports on /lapor with consent to services and WhatsApp as the way to reach them; the worker opens the
case automatically at the UPTD PPA of the child's city; the supervisor assigns it to a case worker; the case
worker records consent and the statement (once), makes first contact, assesses, plans, and refers the child to a
psychosocial provider; the provider's counsellor signs in, sees the referral waiting in the caseload, reads the
statement (shared under consent), accepts and records the services delivered; the case worker follows up and
asks to close; the supervisor approves. The child's status page says someone is taking care of the report and
how they will be contacted, then that the work is finished. axe-core finds no violation on any page visited;
screenshots in var/screenshots/case-journey-*.png."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "correct horse battery staple"
STORY = "Ada orang di gim daring yang terus meminta foto saya dan mengancam akan menyebarkan obrolan kami."
STATEMENT = "Anak bercerita ia dikenal lewat gim daring, lalu diminta foto dan diancam. Ia takut dan ingin akunnya aman."
TEXT = {"id": {"send": "Kirim laporan", "check": "Cek", "care": "Ada yang sedang mengurus laporanmu",
               "whatsapp": "WhatsApp", "done": "sudah menyelesaikan"},
        "en": {"send": "Send report", "check": "Check", "care": "Someone is taking care of your report",
               "whatsapp": "WhatsApp", "done": "have finished their work"}}


@pytest.fixture(scope="module")
def journey_server(tmp_path_factory):
    """A server with the UPTD PPA of Kota Bandung (a case worker and a supervisor) and a psychosocial provider in
    Bandung (a counsellor). Yields (base url, the app's unit-of-work factory, the provider's agency id)."""
    from case_helpers import make_agency  # needs tests/ on the path
    from e2e.conftest import migrated_app, serve
    from safe4c.access import accounts

    app, engine = migrated_app(tmp_path_factory.mktemp("journey"))
    factory = app.state.uow_factory
    make_agency(factory, "uptd-ppa-3273", region="32.73", name="UPTD PPA Kota Bandung (contoh)")
    provider = make_agency(factory, "psikososial-bandung", agency_type="psychosocial", region="32.73",
                           name="Layanan Psikososial Bandung (contoh)")
    for username, role, name, agency in (
            ("pekerja", "case_worker", "Sari Pekerja", "uptd-ppa-3273"),
            ("penyelia", "supervisor", "Budi Penyelia", "uptd-ppa-3273"),
            ("konselor", "case_worker", "Wulan Konselor", "psikososial-bandung")):
        with factory() as uow:
            accounts.create_user(uow=uow, username=username, password=PASSWORD, role=role, display_name=name,
                                 agency_code=agency)
    with serve(app) as url:
        yield url, factory, provider
    engine.dispose()


def _sign_in(page, base, username, next_url):
    page.context.clear_cookies()
    page.goto(f"{base}/staff/login?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + next_url)


def _status(page, base, code, lang, words):
    page.context.clear_cookies()
    page.goto(f"{base}/status?lang={lang}")
    page.fill("#code", code)
    page.get_by_role("button", name=words["check"], exact=True).click()
    page.wait_for_load_state()
    return page.locator("main").inner_text()


@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
def test_one_case_from_a_childs_report_to_closure(browser, journey_server, screenshots, locale):
    from axe_playwright_python.sync_playwright import Axe
    from sqlalchemy import select

    from safe4c.db.cases import Case
    from safe4c.worker import Worker

    base, factory, provider = journey_server
    axe, lang, words = Axe(), locale[:2], TEXT[locale[:2]]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    checked = {}

    def look(name: str) -> None:
        checked[name] = axe.run(page)
        page.screenshot(path=str(screenshots / f"case-journey-{lang}-{name}.png"), full_page=True)

    try:
        # 1. the child reports, agrees to be passed to services and gives WhatsApp as the way to reach them
        page.goto(f"{base}/lapor?lang={lang}")
        page.check("#situations-sextortion")
        page.fill("#story", STORY)
        for fold in ("more-where", "more-you", "more-contact"):
            if page.locator(f"#{fold}").get_attribute("open") is None:
                page.click(f"#{fold} > summary")
        page.select_option("#province_code", "32")
        page.select_option("#regency_code", "32.73")
        page.check("#age_band-13_15")
        page.check("#reporter_role-child")
        page.check("#contact_method-whatsapp")
        page.fill("#contact_value", "0812-7777-8888")
        page.check("#consent_services")
        page.get_by_role("button", name=words["send"]).click()
        code = page.locator("#followup-code").inner_text().strip()
        assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code), code

        # 2. the worker triages the report and opens the case at the UPTD PPA of Kota Bandung
        Worker(factory).run_once(limit=100)
        with factory() as uow:
            case_id = uow.session.scalar(select(Case.public_id).order_by(Case.id.desc()).limit(1))
        assert case_id
        case_url, short = f"{base}/staff/cases/{case_id}", case_id[:8]

        # 3. the supervisor finds it among the unassigned cases and assigns it to the case worker
        _sign_in(page, base, "penyelia", "/staff/cases?view=unassigned")
        assert short in page.locator("main table").first.inner_text()
        look("1-unassigned")
        page.click(f"main a[href='/staff/cases/{case_id}']")
        page.select_option("#assignee", label="Sari Pekerja")
        page.click("main form[action$='/assign'] button[type=submit]")
        page.wait_for_url(f"{case_url}?done=assigned")
        assert "Sari Pekerja" in page.locator("main").inner_text()
        look("2-assigned")

        # 4. the case worker sees it as theirs: consent, the statement (once), first contact, assessment, plan
        _sign_in(page, base, "pekerja", "/staff/cases?view=mine")
        assert short in page.locator("main table").first.inner_text()
        look("3-mine")
        page.goto(case_url)
        page.click("main details summary")
        for item in ("child_assent", "guardian_consent", "services", "share_statement", "statistics"):
            page.check(f"#cv-{item}")
        page.select_option("#share_with", ["type:psychosocial"])
        page.click("main form[action$='/consent'] button[type=submit]")
        page.wait_for_url(f"{case_url}?done=consent")
        page.fill("#body", STATEMENT)
        page.click("main form[action$='/statement'] button[type=submit]")
        page.wait_for_url(f"{case_url}?done=statement")
        page.click("main form[action*='/steps/']:has(textarea) >> nth=0 >> button[type=submit]")  # first contact
        page.wait_for_url(f"{case_url}?done=step")
        text = _status(page, base, code, lang, words)  # the child checks: someone is taking care of it
        assert words["care"] in text and words["whatsapp"] in text and "Pekerja" not in text
        assert "UPTD" not in text and case_id not in text
        look("4-status-care")
        _sign_in(page, base, "pekerja", f"/staff/cases/{case_id}")
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
        look("5-planned")

        # 5. the referral to the psychosocial provider
        page.click(f"main a[href='/staff/cases/{case_id}/referrals']")
        page.wait_for_url(f"{case_url}/referrals")
        look("6-refer")
        page.select_option("#provider", f"agency:{provider}")
        page.select_option("#service_type", "psychosocial_support")
        page.fill("#reason", "Anak membutuhkan konseling setelah ancaman.")
        page.click("main form[action$='/referrals'] button[type=submit]")
        page.wait_for_url(re.compile(r".*/staff/case-referrals/.*\?saved=sent"))
        referral_url = page.url.split("?")[0]
        look("7-sent")

        # 6. the provider's counsellor: the referral waits in the caseload; reads the statement, accepts, delivers
        _sign_in(page, base, "konselor", "/staff/cases")
        waiting = page.locator("main table").nth(1)
        assert waiting.locator(f"a[href='{referral_url.removeprefix(base)}']").count() == 1
        look("8-provider-caseload")
        page.goto(referral_url)
        assert STATEMENT in page.locator("main").inner_text()
        page.click("main form[action$='/accept'] button[type=submit]")
        page.wait_for_url(f"{referral_url}?saved=accepted")
        page.click("main form[action$='/delivered'] button[type=submit]")
        page.wait_for_url(f"{referral_url}?saved=delivered")
        look("9-delivered")

        # 7. follow-up, closure requested, approved by the supervisor
        _sign_in(page, base, "pekerja", f"/staff/cases/{case_id}")
        page.click("main form[action*='/steps/']:has(textarea) >> nth=0 >> button[type=submit]")  # follow-up
        page.wait_for_url(f"{case_url}?done=step")
        page.fill("#closure-request", "Konseling selesai; anak merasa aman dan keluarga setuju.")
        page.click("main form[action$='/closure'] button[type=submit]")
        page.wait_for_url(f"{case_url}?done=closure")
        look("10-closure-requested")
        _sign_in(page, base, "penyelia", f"/staff/cases/{case_id}")
        page.click("main button[value=approve]")
        page.wait_for_url(f"{case_url}?done=closed")
        look("11-closed")
        with factory() as uow:
            case = uow.session.scalar(select(Case).where(Case.public_id == case_id))
            assert case.stage == "closed" and case.first_contact_at is not None
        text = _status(page, base, code, lang, words)
        assert words["done"] in text
        look("12-status-done")
        for name, results in checked.items():
            assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    finally:
        context.close()
