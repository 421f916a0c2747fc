"""The real `safe4c hash`, `safe4c hashlist` and `safe4c match` commands, as subprocesses on SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SAFE4C = [sys.executable, "-m", "safe4c.cli"]
REFERENCE = Path("/work/shared/testdata/pdq-reference")


@pytest.fixture
def env(tmp_path):
    return dict(os.environ, SAFE4C_DATA_DIR=str(tmp_path), SAFE4C_DATABASE_URL="", SAFE4C_SECRET_KEY="cli-test")


def run(env, *args):
    return subprocess.run([*SAFE4C, *args], env=env, capture_output=True, text=True, timeout=120)


def benign_image(tmp_path) -> Path:
    from PIL import Image

    path = tmp_path / "gradient.png"
    Image.linear_gradient("L").convert("RGB").save(path)
    return path


def test_hash_prints_lines_and_reports_unreadable_files_without_stopping(env, tmp_path):
    image = benign_image(tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    result = run(env, "hash", str(text), str(image), str(tmp_path / "missing.jpg"))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line.split(",")[0] for line in lines] == ["pdq", "md5", "sha1", "sha256"]
    pdq_type, pdq_value, quality, file = lines[0].split(",")
    assert len(pdq_value) == 64 and 0 <= int(quality) <= 100 and file == str(image)
    assert lines[1].split(",")[2] == ""  # exact hashes have no quality
    assert "notes.txt: cannot hash this file (not_an_image" in result.stderr
    assert "missing.jpg: cannot hash this file (unreadable" in result.stderr


@pytest.mark.skipif(not REFERENCE.exists(), reason="reference images not present")
def test_hash_agrees_with_the_pdq_reference_within_16_bits(env):
    # Meta's published hash of bridge-1-original.jpg (facebook/ThreatExchange pdq/python tests)
    expected = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    out = run(env, "hash", str(REFERENCE / "bridge-1-original.jpg")).stdout.splitlines()[0].split(",")
    assert out[0] == "pdq" and (int(out[1], 16) ^ int(expected, 16)).bit_count() <= 16


def test_hashlist_import_export_and_match(env, tmp_path):
    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "hashlist", "bank-create", "--bank", "National CSAM list").returncode == 0
    csv = tmp_path / "list.csv"
    csv.write_text(f"md5,{'a' * 32}\nmd5,nothex\npdq,{'f' * 64}\n")
    imported = run(env, "hashlist", "import", str(csv), "--bank", "National CSAM list")
    assert imported.returncode == 1  # a bad line: reported, the good lines kept
    assert "imported 2 new" in imported.stdout and "line 2: bad_hex" in imported.stderr
    # the list was empty: its snapshot as of the import is built beside it, not read back from the database
    assert "hash-list snapshot written" in imported.stdout and "built beside it" in imported.stdout
    assert (tmp_path / "hashlist.snap").exists()
    exported = run(env, "hashlist", "export", "--bank", "National CSAM list")
    assert exported.stdout.splitlines() == ["signal_type,signal_value,tags", f"md5,{'a' * 32},", f"pdq,{'f' * 64},"]
    near = f"{int('f' * 64, 16) ^ 0b111:064x}"
    found = run(env, "match", "pdq", near)
    assert found.returncode == 0 and "distance=3" in found.stdout and "bank=National CSAM list" in found.stdout
    assert run(env, "match", "pdq", near, "--quality", "10").returncode == 1
    assert run(env, "match", "md5", "b" * 32).returncode == 1
    assert run(env, "match", "md5", "zz").returncode == 2
    assert "National CSAM list\tenabled\tconfirmed\t2/2 entries" in run(env, "hashlist", "banks").stdout
    # a snapshot behind the list (here: none) is brought up to date first, so the one after is still built beside
    (tmp_path / "hashlist.snap").unlink()
    more = tmp_path / "more.csv"
    more.write_text(f"sha1,{'c' * 40}\n")
    again = run(env, "hashlist", "import", str(more), "--bank", "National CSAM list")
    assert again.returncode == 0 and "brought up to date first" in again.stdout and "built beside it" in again.stdout
    assert "3/3 entries" in run(env, "hashlist", "banks").stdout
