"""`safe4c platform ...`, the real command on a fresh SQLite database: the key is printed once and works."""

from __future__ import annotations

import os
import re
import subprocess
import sys

SAFE4C = [sys.executable, "-m", "safe4c.cli"]


def run(env, *args):
    return subprocess.run([*SAFE4C, *args], env=env, capture_output=True, text=True, timeout=120)


def test_platform_create_key_add_revoke_list(tmp_path):
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
    assert run(env, "platform", "key-revoke", key[:12]).returncode == 0
    listed = run(env, "platform", "list").stdout
    assert "TikTok Indonesia" in listed and f"{key[:12]} (revoked)" in listed
    assert key not in listed  # never shown again
    assert run(env, "platform", "key-revoke", "s4c_nothere").returncode == 1
    assert "platform" in run(env, "--help").stdout
