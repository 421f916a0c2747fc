"""Which jobs a new report gets (reports/rules/intake_jobs.py): plain values, no database."""

from __future__ import annotations

from safe4c.reports.rules.intake_jobs import should_link, should_match


def test_linking_needs_something_a_network_could_be_found_by():
    assert should_link(channel="platform", accounts=[], story=None)  # a platform's content
    assert should_link(channel="web", accounts=["@budi_123"], story=None)
    assert should_link(channel="api", accounts=[], story="Dia minta foto lewat WA 0812 3456 7890")
    assert not should_link(channel="web", accounts=[], story="")


def test_matching_needs_a_link_or_a_hash():
    assert should_match(channel="web", accounts=["lihat https://t.me/+abc123"])
    assert should_match(channel="web", accounts=["d41d8cd98f00b204e9800998ecf8427e"])
    assert not should_match(channel="web", accounts=["@budi_123"])
    assert should_match(channel="platform", accounts=[])
