"""docs/architecture.md's claims, checked: every CLI command and every package is where the page says, the
layers it lists are the contract import-linter checks, and tests/unit asks for no database fixture."""

from __future__ import annotations

import argparse
import ast
import re
import tomllib
from pathlib import Path

from safe4c.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "architecture.md").read_text()
DATABASE_FIXTURES = {"engine", "uow_factory", "client", "pg_schema_url"}


def commands() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_every_cli_command_is_on_the_page():
    listed = set(re.findall(r"(?:safe4c |/ |`(?!safe4c))([a-z-]+)", PAGE))
    assert commands() - listed == set()


def test_every_package_is_on_the_page():
    packages = {p.parent.name for p in (ROOT / "src" / "safe4c").glob("*/__init__.py")}
    assert {p for p in packages if f"`src/safe4c/{p}/`" not in PAGE and f"{p}/" not in PAGE} == set()


def test_the_layers_on_the_page_are_the_checked_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c for c in config if c["type"] == "layers")["layers"]
    sentence = re.search(r"\*\*Layers, top to bottom:\*\*(.*?)\. A module", PAGE, re.S).group(1)
    assert re.findall(r"`(\w+)`", sentence) == [layer.removeprefix("safe4c.") for layer in layers]


def test_unit_tests_ask_for_no_database_fixture():
    asking = []
    for path in (ROOT / "tests" / "unit").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                wanted = {a.arg for a in node.args.args} & DATABASE_FIXTURES
                if wanted:
                    asking.append(f"{path.name}::{node.name} {sorted(wanted)}")
    assert asking == []
