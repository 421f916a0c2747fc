"""The one validation every channel shares."""

from __future__ import annotations

import pytest

from safe4c.reports.rules.report import MAX_ACCOUNTS, parse_report
from safe4c.kernel.errors import Invalid


def fields_of(data) -> dict[str, str]:
    with pytest.raises(Invalid) as exc:
        parse_report(data)
    return {f.field: f.message for f in exc.value.fields}


def test_minimal_anonymous_report():
    report = parse_report({"situations": ["grooming"]})
    assert report.contact_method == "none" and report.accounts == []


def test_duplicates_are_folded_and_blank_text_is_none():
    report = parse_report({"situations": ["grooming", "grooming"], "story": "   ", "accounts": [" @a ", "@a"]})
    assert report.situations == ["grooming"] and report.story is None and report.accounts == ["@a"]


def test_regency_alone_fills_its_province():
    assert parse_report({"situations": ["other"], "regency_code": "3276"}).province_code == "32"


@pytest.mark.parametrize("data, field", [
    ({}, "situations"),
    ({"situations": []}, "situations"),
    ({"situations": "grooming"}, "situations"),
    ({"situations": ["grooming"], "upload": "x"}, "upload"),
    ({"situations": ["grooming"], "accounts": ["x"] * (MAX_ACCOUNTS + 1)}, "accounts"),
    ({"situations": ["grooming"], "accounts": ["x" * 301]}, "accounts"),
    ({"situations": ["grooming"], "province_code": "00"}, "province_code"),
    ({"situations": ["grooming"], "regency_code": "32"}, "regency_code"),
    ({"situations": ["grooming"], "age_band": 14}, "age_band"),
    ({"situations": ["grooming"], "consent_services": "maybe"}, "consent_services"),
    ({"situations": ["grooming"], "contact_method": "phone"}, "contact_value"),
    ({"situations": ["grooming"], "contact_method": "phone", "contact_value": "abc"}, "contact_value"),
])
def test_bad_input_names_the_field(data, field):
    assert field in fields_of(data)


def test_not_an_object():
    assert fields_of(["grooming"]) == {"body": "The report must be a JSON object."}


def test_anonymous_drops_contact_value():
    assert parse_report({"situations": ["other"], "contact_value": "0812"}).contact_value is None
