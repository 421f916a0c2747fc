"""`safe4c platform ...`, the real command on a fresh SQLite database: the key is printed once and works
against the API (the app in-process, on the same database); a key revoked by the CLI is refused within
platforms.AUTH_CACHE_SECONDS by a process that had just accepted it."""

from __future__ import annotations

import os
import re
import subprocess
import sys

SAFE4C = [sys.executable, "-m", "safe4c.cli"]


def run(env, *args):
    return subprocess.run([*SAFE4C, *args], env=env, capture_output=True, text=True, timeout=120)


def test_platform_create_key_add_revoke_list(tmp_path, monkeypatch):
    env = dict(os.environ, SAFE4C_DATA_DIR=str(tmp_path), SAFE4C_DATABASE_URL="", SAFE4C_SECRET_KEY="cli-test")
    assert run(env, "db", "upgrade").returncode == 0
    made = run(env, "platform", "create", "TikTok Indonesia", "--code", "tiktok", "--webhook-url",
               "https://hooks.example.com/safe4c")
    assert made.returncode == 0, made.stderr
    key = re.search(r"API key \(shown once, keep it secret\): (s4c_\S+)", made.stdout).group(1)
    assert "whsec_" in made.stdout
    assert run(env, "platform", "create", "TikTok Indonesia").returncode == 2  # the name is taken
    added = run(env, "platform", "key-add", "TikTok Indonesia", "--label", "rotation")
    assert added.returncode == 0 and "s4c_" in added.stdout
    second = re.search(r"(s4c_\S+)", added.stdout).group(1)
    from fastapi.testclient import TestClient

    from safe4c.kernel.settings import Settings
    from safe4c.access import platforms
    from safe4c.web.app import create_app

    app = create_app(Settings(data_dir=tmp_path, database_url="", secret_key="cli-test", worker_in_process=False))
    with TestClient(app) as api:
        def status(k):
            return api.get("/api/v1/takedowns", headers={"Authorization": f"Bearer {k}"}).status_code

        assert status(key) == 200 and status(second) == 200  # the printed keys work
        assert run(env, "platform", "key-revoke", key[:12]).returncode == 0
        # this process remembered the key; the CLI cannot clear that memory: refused once it has expired
        monkeypatch.setattr(platforms, "AUTH_CACHE_SECONDS", 0)  # rather than wait the 5 seconds
        assert status(key) == 401 and status(second) == 200
    listed = run(env, "platform", "list").stdout
    assert "TikTok Indonesia" in listed and f"{key[:12]} (revoked)" in listed
    assert key not in listed  # never shown again
    assert run(env, "platform", "key-revoke", "s4c_nothere").returncode == 1
    assert "platform" in run(env, "--help").stdout
