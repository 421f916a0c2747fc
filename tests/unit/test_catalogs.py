"""Every string a person can see has Indonesian, and no translation breaks its placeholders.

msgids come from two places:
- Babel extraction with babel.cfg, as scripts/i18n-extract does (``_()``, ``gettext()``, ``N_()`` and templates);
- strings that reach gettext at run time without a marker: ``AppError`` subclasses' ``message``, the
  messages passed to those errors and to ``FieldError``, ``translate(lang, "...")`` calls and ``*_MESSAGES``
  tables. They are found by reading the source (ast), so a new error message cannot slip through.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = SRC / "safe4c"
LOCALE = PACKAGE / "web" / "locale"
PERCENT = re.compile(r"%\((\w+)\)[sdif]")
BRACES = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")


def extracted_msgids() -> set[str]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        SRC, method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.add(msgid)
    return found


def _const(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _name(func) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def runtime_msgids() -> set[str]:
    """Strings that are translated at the edge although no gettext marker surrounds them."""
    trees, broken = {}, []
    for path in sorted(PACKAGE.rglob("*.py")):
        try:
            trees[path] = ast.parse(path.read_text(), str(path))
        except SyntaxError as exc:  # its strings cannot be checked; say so plainly
            broken.append(f"{path.relative_to(ROOT)} does not parse ({exc.msg}, line {exc.lineno})")
    if broken:
        pytest.fail("; ".join(broken) + ": its messages cannot be checked for translations", pytrace=False)
    # AppError and every class that derives from it (by name, across modules)
    errors = {"AppError"}
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in errors:
                    if any(_name(base) in errors for base in node.bases):
                        errors.add(node.name)
                        changed = True
    found: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in errors:
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and any(_name(t) == "message" for t in stmt.targets):
                        found.add(_const(stmt.value))
            elif isinstance(node, ast.Call):
                name = _name(node.func)
                keywords = {kw.arg: _const(kw.value) for kw in node.keywords}
                if name in errors:
                    found.add(_const(node.args[0]) if node.args else keywords.get("message"))
                elif name == "FieldError":
                    found.add(_const(node.args[1]) if len(node.args) > 1 else keywords.get("message"))
                elif name == "translate" and len(node.args) > 1:
                    found.add(_const(node.args[1]))
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                if any(_name(t) and _name(t).endswith("_MESSAGES") for t in node.targets):
                    found.update(_const(v) for v in node.value.values)
    found.discard(None)
    return found


def catalogs(lang: str) -> dict[str, object]:
    out = {}
    for path in sorted((LOCALE / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as f:
            out[path.name] = read_po(f, locale=lang)
    return out


def translated(lang: str) -> dict[str, tuple[str, str]]:
    """msgid -> (msgstr, file) over every catalog of a language, as the app merges them."""
    merged = {}
    for name, catalog in catalogs(lang).items():
        for message in catalog:
            if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
                merged.setdefault(message.id, (message.string, name))
    return merged


def test_extraction_and_scan_find_the_known_strings():
    # Guards the test itself: if extraction silently found nothing, every other check would pass.
    found = extracted_msgids()
    assert "Someone online is getting too close" in found  # domain (N_)
    assert "Quick exit" in found  # templates
    runtime = runtime_msgids()
    assert "Too many reports from your connection. Please wait a minute and try again." in runtime
    assert "We could not find a report with this code. Check the code and try again." in runtime
    assert "What you sent is too large (at most {limit} bytes)." in runtime
    assert "The request body must be valid JSON." in found  # an N_ constant since web/inputs.py


def test_every_msgid_has_indonesian():
    have = translated("id")
    missing = sorted((extracted_msgids() | runtime_msgids()) - set(have))
    assert not missing, (
        f"{len(missing)} msgid(s) have no Indonesian in src/safe4c/web/locale/id/LC_MESSAGES/*.po "
        "(add them to the catalog of your area):\n" + "\n".join(missing)
    )


def test_no_msgid_has_two_different_indonesian_translations():
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for name, catalog in catalogs("id").items():
        for message in catalog:
            if not (message.id and message.string):
                continue
            if message.id in seen and seen[message.id][0] != message.string:
                clashes.append(f"{message.id!r}: {seen[message.id][1]} and {name} disagree")
            seen.setdefault(message.id, (message.string, name))
    assert not clashes, "the merged catalog would show one of them at random:\n" + "\n".join(clashes)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_placeholders_match(lang):
    problems = []
    for name, catalog in catalogs(lang).items():
        for message, errors in catalog.check():
            problems += [f"{name}: {message.id!r}: {e}" for e in errors]
        for message in catalog:
            if not message.id or not message.string:
                continue
            pairs = zip((message.id,) if isinstance(message.id, str) else message.id,
                        (message.string,) if isinstance(message.string, str) else message.string)
            for source, text in pairs:
                for pattern in (PERCENT, BRACES):
                    if text and set(pattern.findall(source)) != set(pattern.findall(text)):
                        problems.append(f"{name}: {source!r} -> {text!r}: placeholders differ")
            if PERCENT.search(message.id if isinstance(message.id, str) else message.id[0]) and \
                    "python-format" not in message.flags:
                problems.append(f"{name}: {message.id!r} uses %(name)s but is not flagged python-format")
    assert not problems, "\n".join(problems)


def test_every_language_has_the_same_catalog_files():
    assert set(catalogs("id")) == set(catalogs("en"))
    assert {"core.po", "portal.po"} <= set(catalogs("id"))


def test_english_catalogs_only_hold_msgids():
    # English is the source language: a msgstr there would silently override the msgid everywhere.
    overridden = [f"{name}: {m.id!r}" for name, catalog in catalogs("en").items() for m in catalog
                  if m.id and m.string and m.string != m.id and isinstance(m.id, str)]
    assert not overridden, "\n".join(overridden)
