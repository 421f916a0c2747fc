"""A real server and Debian's chromium for the browser tests (never a downloaded browser).

The server is uvicorn in a thread on a free loopback port, with the app on a temporary SQLite database
migrated like production. Without /usr/bin/chromium the browser tests skip locally and fail in CI.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import need

from safe4c.kernel.settings import Settings
from safe4c.db.migrate import upgrade
from safe4c.db.session import make_engine

CHROMIUM = "/usr/bin/chromium"
STAFF_USER, STAFF_PASSWORD = "e2e-analis", "kata-sandi-uji-panjang"
REGULATOR_USER = "e2e-regulator"


SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@contextmanager
def serve(app):
    """Serve ``app`` with uvicorn in a thread on a free loopback port; yields its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def migrated_app(data: Path, **kwargs):
    """The app on a new SQLite database under ``data``, migrated like production; returns (app, engine)."""
    from safe4c.web.app import create_app

    settings = Settings(data_dir=data, secret_key="e2e-secret-not-for-production",
                        public_rate_limit_per_minute=0, worker_in_process=False)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    return create_app(settings, engine=engine, **kwargs), engine


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    app, engine = migrated_app(tmp_path_factory.mktemp("live"))
    _seed_staff_and_a_report(app)
    with serve(app) as url:
        yield url
    engine.dispose()


@pytest.fixture(scope="session")
def regulator_server(tmp_path_factory):
    """A server of its own for the regulator's case (tests/regulator_scenario.py): time stands on 17 January
    2026, with 21 orders overdue. Signs in as REGULATOR_USER."""
    import regulator_scenario

    from safe4c.access import accounts
    from safe4c.kernel.clock import FrozenClock

    clock = FrozenClock()
    app, engine = migrated_app(tmp_path_factory.mktemp("regulator"), clock=clock)
    regulator_scenario.build(app.state.uow_factory, clock)
    with app.state.uow_factory() as uow:
        accounts.create_user(uow=uow, username=REGULATOR_USER, password=STAFF_PASSWORD, role="regulator",
                             display_name="Regulator Uji")
    with serve(app) as url:
        yield url
    engine.dispose()


def _seed_staff_and_a_report(app) -> None:
    from safe4c.reports.rules.report import parse_report
    from safe4c.access import accounts
    from safe4c.reports import intake

    with app.state.uow_factory() as uow:
        accounts.create_user(uow=uow, username=STAFF_USER, password=STAFF_PASSWORD, role="admin",
                             display_name="Analis Uji")
    with app.state.uow_factory() as uow:
        intake.submit_report(uow=uow, report=parse_report({
            "situations": ["sextortion"], "urgent_signals": ["threat_deadline"], "platforms": ["instagram"],
            "accounts": ["@akun.pengancam", "0812-3456-7890"], "province_code": "32", "regency_code": "32.76",
            "story": "Dia meminta uang dan mengancam menyebarkan foto saya besok.",
            "contact_method": "email", "contact_value": "pelapor@contoh.id"}), channel="web", language="id")
    # a second report with the same account, so there is a network; an order, so there is an order page
    with app.state.uow_factory() as uow:
        intake.submit_report(uow=uow, report=parse_report({
            "situations": ["grooming"], "platforms": ["instagram", "telegram"],
            "accounts": ["+62 812 3456 7890", "t.me/+Qx7aBcDeFgH12"], "reporter_role": "parent"}),
            channel="api", language="id")
    from safe4c.access import platforms
    from safe4c.takedowns import orders as takedowns
    from safe4c.worker import Worker

    Worker(app.state.uow_factory).run_once(limit=100)  # link the two reports
    with app.state.uow_factory() as uow:
        made = platforms.create_platform(uow=uow, name="Instagram (test)", taxonomy_code="instagram")
    with app.state.uow_factory() as uow:
        takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=made.id, target_type="url", target_value="https://instagram.com/p/uji", category="csam"))
    # a platform's report, left unprocessed (no worker runs after it): its page shows what the platform sent
    # and that it is still being processed
    from safe4c.access.platforms import PlatformPrincipal
    from safe4c.reports.platform_intake import submit_platform_report
    from safe4c.reports.rules.platform_report import parse_platform_report

    with app.state.uow_factory() as uow:
        SEEDED["platform_report"] = submit_platform_report(
            uow=uow, platform=PlatformPrincipal(made.id, made.name, "instagram"), idempotency_key=None,
            report=parse_platform_report(PLATFORM_REPORT)).report_id

    from safe4c.directory import seed as directory_seed

    with app.state.uow_factory() as uow:
        directory_seed.seed(uow=uow)  # the service directory's pages (test_directory_browser.py)

PLATFORM_REPORT = {
    "external_id": "IG-2026-000417",
    "incident": {"situation": "sextortion", "time": "2026-01-05T06:30:00+07:00", "escalate_to_urgent": True,
                 "escalation_reason": "Pelaku memberi batas waktu malam ini dan korban berusia 13 tahun.",
                 "annotations": ["sextortion", "minor_to_minor"]},
    "reported_accounts": [{"platform_user_id": "5512009", "screen_name": "@akun.pengancam",
                           "display_names": ["Kak Dimas"],
                           "profile_urls": ["https://www.instagram.com/akun.pengancam"]}],
    "victims": [{"age": 13, "screen_name": "@korban_uji"}],
    "content": [{"url": "https://www.instagram.com/p/Cx1234567890abcdef/", "md5": "9e107d9d372bb6826bd81d3542a419d6",
                 "sha256": "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
                 "file_name": "rekaman_layar_2026-01-05.mp4", "industry_classification": "B2"}],
}
SEEDED: dict[str, str] = {}


@pytest.fixture(scope="session")
def platform_report_id(live_server) -> str:
    """The platform's report seeded in the live server (not processed: no worker runs after it)."""
    return SEEDED["platform_report"]


@pytest.fixture(scope="session")
def browser():
    need(os.path.exists(CHROMIUM), f"Debian's chromium is not installed at {CHROMIUM} (make browser)")
    from playwright.sync_api import sync_playwright

    watchdog, killed = None, []
    try:
        with sync_playwright() as p:
            instance = p.chromium.launch(executable_path=CHROMIUM,
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            yield instance
            watchdog = threading.Timer(DRIVER_EXIT_SECONDS, lambda: killed.extend(_kill_playwright_driver()))
            watchdog.daemon = True
            watchdog.start()
            instance.close()
    finally:
        if watchdog is not None:
            watchdog.cancel()
    if killed:
        warnings.warn(f"the Playwright driver (pid {killed}) did not exit within {DRIVER_EXIT_SECONDS} s of "
                      "closing the browser and was killed: a process still holds its pipe", stacklevel=1)


# Leaving sync_playwright() waits for its driver (node ... run-driver) to exit once its stdin closes; a driver
# that never sees the close (a stray child process holding the pipe) would hold the whole test run at its end.
# After this long the driver is killed instead, with a message, so the run ends and says why.
DRIVER_EXIT_SECONDS = 60


def _kill_playwright_driver() -> list[int]:
    """SIGKILL this process's Playwright drivers (its children running ``run-driver``); their pids."""
    import signal

    me, killed = str(os.getpid()), []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                parent = f.read().rsplit(")", 1)[1].split()[1]
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read()
        except OSError:
            continue
        if parent == me and b"run-driver" in command:
            os.kill(int(pid), signal.SIGKILL)
            killed.append(int(pid))
    return killed


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def staff_credentials() -> tuple[str, str]:
    """The staff account seeded in the live server."""
    return STAFF_USER, STAFF_PASSWORD


@pytest.fixture(scope="session")
def regulator_credentials() -> tuple[str, str]:
    """The regulator seeded in regulator_server."""
    return REGULATOR_USER, STAFF_PASSWORD
