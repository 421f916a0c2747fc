"""The real `safe4c` command, run as a subprocess on a fresh SQLite database."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys

import pytest

from safe4c.demo.platforms import DEMO_PLATFORMS

SAFE4C = [sys.executable, "-m", "safe4c.cli"]


@pytest.fixture
def env(tmp_path):
    return dict(os.environ, SAFE4C_DATA_DIR=str(tmp_path), SAFE4C_DATABASE_URL="", SAFE4C_SECRET_KEY="cli-test")


def run(env, *args, stdin=None):
    return subprocess.run([*SAFE4C, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_help_lists_the_commands(env):
    out = run(env, "--help").stdout
    for command in ("serve", "worker", "db", "demo", "user", "audit", "bench"):
        assert command in out


def test_serve_refuses_an_unmigrated_database(env):
    result = run(env, "serve", "--port", "1")
    assert result.returncode == 1 and "safe4c db upgrade" in result.stderr


def test_upgrade_demo_user_audit(env, tmp_path):
    assert "database at revision" in run(env, "db", "upgrade").stdout
    demo = run(env, "demo", "--count", "12")
    assert demo.returncode == 0, demo.stderr
    assert "12 reports added" in demo.stdout and "password" in demo.stdout
    assert f"demo platforms: {len(DEMO_PLATFORMS)} platforms" in demo.stdout and len(DEMO_PLATFORMS) == 4
    # the dashboards count the demo at once (a starting worker refreshes the statistics only after an interval)
    assert "statistics rollups current" in demo.stdout
    with sqlite3.connect(tmp_path / "safe4c.db") as db:
        counted = db.execute("SELECT sum(reports) FROM stat_report_counts WHERE dim = 'total'").fetchone()[0]
        assert counted == db.execute("SELECT count(*) FROM reports").fetchone()[0] >= 12  # the cases' reports too
    again = run(env, "demo", "--count", "12", "--if-empty")
    assert "already loaded" in again.stdout

    created = run(env, "user", "create", "siti", "--role", "analyst", "--password-stdin",
                  stdin="panjang-sekali-rahasia\n")
    assert created.returncode == 0, created.stderr
    short = run(env, "user", "create", "budi", "--role", "analyst", "--password-stdin", stdin="pendek\n")
    assert short.returncode == 2
    users = run(env, "user", "list").stdout
    assert "siti\tanalyst" in users and "budi" not in users

    assert run(env, "audit", "verify").returncode == 0
    worker = run(env, "worker", "--once")
    assert worker.returncode == 0, worker.stderr
    ran = re.fullmatch(r"ran (\d+) jobs\n", worker.stdout)
    assert ran and int(ran.group(1)) > 0  # the demo reports left linking and matching jobs
    with sqlite3.connect(tmp_path / "safe4c.db") as db:
        failed = db.execute("SELECT kind, last_error FROM jobs WHERE failed_at IS NOT NULL OR last_error IS NOT NULL")
        assert failed.fetchall() == []
        assert db.execute("SELECT count(*) FROM jobs WHERE done_at IS NOT NULL").fetchone() == (int(ran.group(1)),)
