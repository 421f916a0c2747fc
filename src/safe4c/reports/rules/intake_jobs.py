"""The work a new report needs after intake, written as jobs in its own transaction (the hot path stays one
INSERT plus job rows): triage when inline triage failed, matching against the hash list when it carries links
or hashes, linking into networks when it carries anything a network could be found by."""

from __future__ import annotations

from safe4c.networks.rules.identifiers.hashes import find_hashes
from safe4c.networks.rules.identifiers.urls import find_urls


def should_match(*, channel: str, accounts) -> bool:
    """Is a ``report.match`` job worth writing? Platform reports carry content hashes. Cheap: the first link or
    hash found is enough; the job canonicalises them (``hashlist/known_material.signals_in_accounts``)."""
    if channel == "platform":
        return True
    for text in accounts or ():
        if isinstance(text, str) and (find_urls(text) or find_hashes(text)):
            return True
    return False


def should_link(*, channel: str, accounts, story: str | None) -> bool:
    """Is there anything a ``report.link`` job could find (accounts, a story, a platform's content)?"""
    return channel == "platform" or bool(accounts) or bool(story)
