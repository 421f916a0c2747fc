"""The platform guide's worked integration (examples/platform_client.py), run end to end against a real server.

uvicorn serves the app on a migrated SQLite database with its in-process worker (so webhooks really go out over
HTTP) and ``SAFE4C_WEBHOOK_ALLOW_PRIVATE`` (the script's receiver is on 127.0.0.1). The script runs as a separate
process with only the base URL, the API key and the webhook secret; this test plays the analyst: when the
script's report arrives it issues a takedown order from it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from conftest import serve
from safe4c.access import platforms
from safe4c.db.migrate import upgrade
from safe4c.db.platforms import PlatformReport, TakedownOrder
from safe4c.db.session import make_engine
from safe4c.db.tables import Report
from safe4c.hashlist import banks as hashlist
from safe4c.kernel.settings import Settings
from safe4c.takedowns import orders as takedowns

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "platform_client.py"


def test_the_worked_integration_runs_end_to_end(tmp_path):
    from safe4c.web.app import create_app

    settings = Settings(data_dir=tmp_path, secret_key="e2e-example-not-for-production", public_rate_limit_per_minute=0,
                        worker_in_process=True, webhook_allow_private=True, worker_poll_seconds=0.2)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    app = create_app(settings, engine=engine)
    uow_factory = app.state.uow_factory
    with uow_factory() as uow:
        made = platforms.create_platform(uow=uow, name="Contoh Video", taxonomy_code="tiktok")
    with uow_factory() as uow:
        bank = hashlist.create_bank(uow=uow, name="Daftar nasional")
    with uow_factory() as uow:
        hashlist.add_entry(uow=uow, bank_id=bank, signal_type="md5", value="0f343b0931126a20f133d67c2b018a3b",
                           source="analyst", actor_id=None)
    with serve(app) as base_url:
        script = subprocess.Popen(
            [sys.executable, str(SCRIPT), "--base-url", base_url, "--api-key", made.api_key,
             "--webhook-secret", made.webhook_secret, "--external-id", "EX-2026-0001", "--wait-seconds", "60"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            report_id = _wait_for_report(uow_factory, "EX-2026-0001", script)
            with uow_factory() as uow:  # the analyst orders the content the report names
                takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
                    platform_id=made.id, target_type="url", target_value="https://video.example.com/v/EX-2026-0001",
                    category="csam", report_id=report_id))
            out, err = script.communicate(timeout=120)
        finally:
            if script.poll() is None:
                script.kill()
                script.communicate()
    engine.dispose()
    assert script.returncode == 0, err
    steps = [line for line in out.splitlines() if line.startswith("- ")]
    assert len(steps) == 7 and "test event received, signature verified" in steps[1]
    summary = json.loads(out.splitlines()[-1])
    assert summary["external_id"] == "EX-2026-0001" and summary["order_status"] == "removed"
    assert summary["signals"] == 1 and summary["match"] == "match"
    with uow_factory() as uow:
        order = uow.session.scalar(select(TakedownOrder).where(TakedownOrder.public_id == summary["order"]))
        assert order.status == "removed" and order.acknowledged_at is not None


def _wait_for_report(uow_factory, external_id: str, script) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with uow_factory() as uow:
            found = uow.session.scalar(select(Report.public_id).join(PlatformReport, PlatformReport.report_id == Report.id)
                                       .where(PlatformReport.external_id == external_id))
        if found:
            return found
        if script.poll() is not None:
            raise AssertionError(f"the script stopped early: {script.communicate()}")
        time.sleep(0.2)
    raise AssertionError("the script's report did not arrive")
