"""The docs name the code where it is: every file a page names in backticks (``something.py``, a folder with a
slash) exists, under the repository or ``src/safe4c/``. A move that forgets the docs fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
# `path/to/module.py`, optionally followed by `.function` or `:line`; folders as `path/to/`.
NAMED = re.compile(r"`((?:[\w.-]+/)*[\w-]+\.py|(?:[\w.-]+/)+)(?:[.:][\w.]*)?`")
BASES = (ROOT, ROOT / "src" / "safe4c", ROOT / "src" / "safe4c" / "web", ROOT / "tests")
ELSEWHERE = ("pdq/python/",)  # files of other projects the docs cite
# A short name (`orders.py`, `rules/policy.py`) is read in its sentence's context (an area's table row): it
# must be the end of some path in the code.
KNOWN = [p.relative_to(ROOT).as_posix() for base in (ROOT / "src", ROOT / "tests", ROOT / "scripts")
         for p in base.rglob("*")]


def exists(name: str) -> bool:
    if name.startswith(ELSEWHERE) or any((base / name).exists() for base in BASES):
        return True
    short = name.rstrip("/")
    return any(path == short or path.endswith("/" + short) for path in KNOWN)


def named_paths(page: Path) -> list[str]:
    return sorted({m.group(1) for m in NAMED.finditer(page.read_text())})


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_file_a_page_names_exists(page):
    missing = [name for name in named_paths(page) if not exists(name)]
    assert not missing, f"{page.name} names files that do not exist: {missing}"


def test_the_check_sees_a_missing_file(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("The code is in `services/intake.py` and `reports/intake.py`.")
    assert named_paths(page) == ["reports/intake.py", "services/intake.py"]
    assert exists("reports/intake.py") and not exists("services/intake.py") and not exists("nowhere.py")
