"""The input rules as plain functions: JSON depth and text (web/inputs.py), ids (domain/validation.py)."""

from __future__ import annotations

import pytest

from safe4c.kernel.validation import MAX_ID, parse_id, storable
from safe4c.kernel.errors import Invalid
from safe4c.web.inputs import MAX_JSON_DEPTH, parse_json


def fields(raw: bytes) -> list[tuple[str, str]]:
    with pytest.raises(Invalid) as refused:
        parse_json(raw)
    return [(f.field, f.message) for f in refused.value.fields]


def test_json_depth_is_counted_exactly_and_without_recursion():
    assert parse_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert fields(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))[0][0] == "body"
    assert fields(b"[" * 60_000 + b"]" * 60_000)[0][0] == "body"  # far past the interpreter's own limit


def test_text_no_database_can_store_is_named_by_its_path():
    refused = fields(b'{"a": [{"b": "x\\u0000"}], "c": "\\ud800", "ok": "\\ud83d\\ude00", "k\\u0000": 1}')
    assert [f for f, _ in refused] == ["a.0.b", "body", "c"]  # a bad key is named by where it is
    assert parse_json('{"ok": "\\ud83d\\ude00 emoji"}'.encode())["ok"] == "\U0001f600 emoji"


def test_not_json_not_utf8_and_non_standard_constants_are_refused():
    for raw in (b"", b"{", b'{"a": "\xff"}', b'{"a": NaN}', b"[Infinity]"):
        assert fields(raw) == [("body", "The request body must be valid JSON.")], raw


def test_ids_are_ascii_digits_within_the_database_range():
    assert parse_id("1") == 1 and parse_id(str(MAX_ID)) == MAX_ID
    for text in ("", None, "0", "-1", str(MAX_ID + 1), "9" * 40, "²", "١٢", " 1", "1.0", "0x10"):
        assert parse_id(text) is None, text


def test_storable_text():
    assert storable("Halo, apa kabar? \U0001f600")
    assert not storable("a\x00b") and not storable("\ud800") and not storable("\udfff")
