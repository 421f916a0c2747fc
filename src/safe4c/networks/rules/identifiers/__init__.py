"""Identifiers in reports: phones, e-mails, handles, links, invites, payment accounts, hashes.

Pure functions, no I/O. Every identifier has a stable ``key`` used to link reports into
clusters; docs/identifiers.md lists the kinds, keys and normalisation rules.
"""

from safe4c.networks.rules.identifiers.emails import normalise_email
from safe4c.networks.rules.identifiers.fields import extract_from_fields
from safe4c.networks.rules.identifiers.handles import (
    HANDLE_RULES,
    PLATFORM_ALIASES,
    normalise_handle,
    normalise_platform,
    unknown_platform_twin,
)
from safe4c.networks.rules.identifiers.hashes import normalise_hash
from safe4c.networks.rules.identifiers.links import identifiers_from_url, parse_profile_url
from safe4c.networks.rules.identifiers.model import BANKS, EWALLETS, HASH_KINDS, KINDS, PLATFORMS, UNKNOWN_PLATFORM, Identifier
from safe4c.networks.rules.identifiers.phones import normalise_phone
from safe4c.networks.rules.identifiers.text import extract_from_text
from safe4c.networks.rules.identifiers.urls import normalise_url

__all__ = [
    "BANKS", "EWALLETS", "HANDLE_RULES", "HASH_KINDS", "KINDS", "PLATFORMS", "PLATFORM_ALIASES",
    "UNKNOWN_PLATFORM", "Identifier", "extract_from_fields", "extract_from_text",
    "identifiers_from_url", "normalise_email", "normalise_handle", "normalise_hash",
    "normalise_phone", "normalise_platform", "normalise_url", "parse_profile_url", "unknown_platform_twin",
]
