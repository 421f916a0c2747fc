"""The statistics in a real browser, in Indonesian and English: the staff dashboard with its map, the iceberg,
and the public /statistik page with its map and downloads; axe-core on each page, screenshots to look at."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from conftest import migrated_app, serve

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

USER, PASSWORD = "e2e-statistik", "kata-sandi-uji-panjang"
PROVINCES = {"32": ("32.73", 90), "31": ("31.71", 60), "33": ("33.74", 45), "35": ("35.78", 40),
             "53": ("53.71", 12), "11": ("11.71", 1), "94": ("94.01", 3)}


def _seed(uow_factory) -> None:
    from sqlalchemy import select

    from safe4c.access import accounts
    from safe4c.db.platforms import Platform, TakedownOrder
    from safe4c.db.tables import Report, ReportEvent, StaffUser
    from safe4c.directory import seed
    from safe4c.statistics import rollups
    from safe4c.takedowns.rules import targets

    rng = random.Random(11)
    with uow_factory() as uow:
        accounts.create_user(uow=uow, username=USER, password=PASSWORD, role="analyst", display_name="Statistik")
    with uow_factory() as uow:
        seed.seed(uow=uow)
    with uow_factory() as uow:
        for province, (regency, count) in PROVINCES.items():
            for _ in range(count):
                at = datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randrange(365 * 24 * 60))
                uow.session.add(Report(
                    public_id=str(uuid.uuid4()), channel="web", received_at=at, language="id",
                    situations=[rng.choice(["grooming", "sextortion", "image_sharing", "gaming"])],
                    platforms=[rng.choice(["tiktok", "instagram", "whatsapp", "facebook"])], incident_when="today",
                    province_code=province, regency_code=regency, age_band=rng.choice(["13_15", "16_17"]),
                    gender=rng.choice(["girl", "boy"]), disability="no", reporter_role="child", urgent_signals=[],
                    contact_method="none", consent_services=False, followup_hash=uuid.uuid4().hex * 2,
                    status="new", priority=rng.choice(["P2", "P3"]), triage_reasons=[], triaged_at=at,
                    deadline_at=at + timedelta(hours=4), updated_at=at))
        uow.session.flush()
        staff_id = uow.session.scalar(select(StaffUser.id).where(StaffUser.username == USER))
        for report in uow.session.scalars(select(Report).where(Report.province_code.in_(("31", "33")))):
            acted = report.received_at + timedelta(minutes=rng.randrange(30, 600))
            uow.session.add(ReportEvent(report_id=report.id, at=acted, actor_id=staff_id, kind="status",
                                        from_status="new", to_status="in_review"))
            report.status, report.updated_at = "in_review", acted
        platform = Platform(name="Contoh Video", taxonomy_code="tiktok", webhook_secret_sealed=b"-",
                            created_at=datetime(2025, 1, 1, tzinfo=timezone.utc))
        uow.session.add(platform)
        uow.session.flush()
        for i in range(20):
            issued = datetime(2025, 3, 1, tzinfo=timezone.utc) + timedelta(days=i * 9)
            removed = issued + timedelta(hours=rng.choice([1, 2, 3, 30])) if i % 5 else None
            uow.session.add(TakedownOrder(
                public_id=str(uuid.uuid4()), platform_id=platform.id, target_type="url",
                target_value=f"https://video.example/{i}",
                target_key=targets.target_key("url", f"https://video.example/{i}", None, None), category="csam", legal_basis="PM Kominfo 5/2020",
                urgent=True, status="removed" if removed else "issued", issued_at=issued,
                deadline_at=issued + timedelta(hours=4), preserve_until=issued + timedelta(days=90),
                removed_at=removed, escalation_level=0 if removed else 2, updated_at=issued))
        _seed_cases(uow, rng, staff_id)
        uow.commit()
    with uow_factory() as uow:
        rollups.refresh(uow)


def _seed_cases(uow, rng, staff_id) -> None:
    """Forty cases of one example agency in 2025: opened from reports, walk-ins and SAPA 129 calls, some contacted
    late, some closed, some with two statements, referrals in every state; two refuse statistics."""
    from sqlalchemy import select

    from safe4c.db.cases import Agency, Case, CaseConsent, CaseReferral, CaseStatement
    from safe4c.db.tables import Report

    reports = uow.session.execute(select(Report.id, Report.received_at).order_by(Report.received_at)).all()

    agency = Agency(code="uptd-ppa-31", name="UPTD PPA DKI Jakarta (contoh)", agency_type="uptd_ppa",
                    region_code="31", is_example=True, active=True, created_at=datetime(2025, 1, 1, tzinfo=timezone.utc))
    uow.session.add(agency)
    uow.session.flush()
    for i in range(40):
        opened = datetime(2025, 1, 10, tzinfo=timezone.utc) + timedelta(days=i * 8)
        origin = ("report", "auto", "walk_in", "hotline")[i % 4]
        # a case from a report is opened a few hours after the latest report received before it
        report_id, received = [r for r in reports if r[1] <= opened][-1] if origin in ("report", "auto") else (None, None)
        opened = received + timedelta(hours=rng.choice([1, 3, 6])) if received else opened
        contacted = opened + timedelta(hours=rng.choice([2, 5, 12, 20, 30])) if i % 6 else None
        case = Case(public_id=str(uuid.uuid4()), report_id=report_id, agency_id=agency.id, origin=origin,
                    region_code=("31.71", "33.74", "32.73")[i % 3], priority=("P1", "P2", "P3")[i % 3],
                    stage="services", assigned_to=staff_id, opened_by=staff_id, opened_at=opened,
                    first_contact_due_at=opened + timedelta(hours=24), first_contact_at=contacted,
                    closed_at=opened + timedelta(days=40) if i % 3 == 0 else None, child_age_band="13_15",
                    child_gender="girl", contact_method="none", updated_at=opened)
        uow.session.add(case)
        uow.session.flush()
        uow.session.add(CaseConsent(case_id=case.id, child_assent=True, guardian_consent=True, services=True,
                                    share_statement=False, police=False, statistics=i not in (7, 21), share_with=[],
                                    withheld=[], legal_basis="consent", recorded_by=staff_id, recorded_at=opened))
        for n in range(1, 2 + (i % 10 == 0)):
            uow.session.add(CaseStatement(public_id=str(uuid.uuid4()), case_id=case.id, number=n, language="id",
                                          body_sealed=b"-", taken_by=staff_id, taken_by_agency_id=agency.id,
                                          taken_at=opened))
        uow.session.add(CaseReferral(
            public_id=str(uuid.uuid4()), case_id=case.id, kind="services", to_agency_id=agency.id,
            service_type=("psychosocial_support", "legal_aid", "medical_care")[i % 3], shares_statement=False,
            status=("sent", "accepted", "declined", "delivered")[i % 4], sent_by=staff_id,
            sent_at=opened + timedelta(days=1), services_delivered=[]))


@pytest.fixture(scope="module")
def stats_server(tmp_path_factory):
    from safe4c.kernel.clock import FrozenClock

    app, engine = migrated_app(tmp_path_factory.mktemp("statistics"), clock=FrozenClock())  # 5 January 2026
    _seed(app.state.uow_factory)
    with serve(app) as url:
        yield url
    engine.dispose()


@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
def test_statistics_pages_work_and_have_no_axe_violations(browser, stats_server, screenshots, locale):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    checked = {}
    try:
        # the home page and every public footer lead to the open statistics
        page.goto(stats_server + "/")
        assert page.locator("main a[href='/statistik']").count() == 1
        assert page.locator("footer a[href='/statistik']").count() == 1
        page.locator("main a[href='/statistik']").click()
        page.wait_for_url(stats_server + "/statistik")
        assert page.locator("footer a[href='/statistik']").count() == 1
        assert page.locator("main svg[role=img]").count() == 2  # the monthly trend and the map, no JavaScript
        assert page.locator("main table").count() == 4
        text = page.inner_text("main")
        assert "Aceh" in text and ("1 to 9" in text or "1 sampai 9" in text)
        page.screenshot(path=str(screenshots / f"statistik-public-{locale}.png"), full_page=True)
        context_js = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
        js_page = context_js.new_page()
        js_page.goto(stats_server + "/")
        checked["home"] = axe.run(js_page)
        js_page.goto(stats_server + "/statistik")
        checked["public"] = axe.run(js_page)

        js_page.goto(stats_server + "/staff/login?next=/staff/statistics")
        js_page.fill("input[name=username]", USER)
        js_page.fill("input[name=password]", PASSWORD)
        js_page.click("main button[type=submit]")
        js_page.wait_for_url(stats_server + "/staff/statistics")
        assert js_page.locator("main svg[role=img]").count() == 2
        checked["overview"] = axe.run(js_page)
        js_page.screenshot(path=str(screenshots / f"statistics-overview-{locale}.png"), full_page=True)
        js_page.goto(f"{stats_server}/staff/statistics/cases")
        assert js_page.locator("main svg[role=img]").count() == 3  # cases per month, the map, first contact
        assert js_page.locator("main table").count() == 6
        for path in ("reports?dim=platform", "response", "cases", "coverage", "iceberg"):
            js_page.goto(f"{stats_server}/staff/statistics/{path}")
            checked[path] = axe.run(js_page)
            js_page.screenshot(path=str(screenshots / f"statistics-{path.split('?')[0]}-{locale}.png"),
                               full_page=True)
        context_js.close()
        for name, results in checked.items():
            assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    finally:
        context.close()
