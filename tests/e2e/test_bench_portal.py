"""`safe4c bench portal` runs and prints its figures (one timed run; the figures themselves are not asserted)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers import need

from safe4c.bench import portal

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_bench_portal_prints_the_form_and_the_time_to_send(tmp_path):
    need(os.path.exists(portal.CHROMIUM), f"Debian's chromium is not installed at {portal.CHROMIUM} (make browser)")
    # The command as a user runs it, in a process of its own: Playwright's sync API refuses to start inside a test
    # process whose browser fixture already runs one.
    done = subprocess.run([sys.executable, "-m", "safe4c.cli", "bench", "portal", "--runs", "1",
                           "--screenshots", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for line in ("form height", "visible inputs", "'Send' starts at", "refused form height", "open to sent report"):
        assert line in out, out
    assert (tmp_path / "form-360.png").stat().st_size > 0 and (tmp_path / "form-refused-360.png").exists()
