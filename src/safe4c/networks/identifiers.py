"""Identifier storage: a report's identifiers collected from its fields, and their rows.

``link_identifiers`` holds one row per distinct identifier, found by a keyed hash of its key (the table holds no
phone number or account in the clear); the key itself is sealed. Hashes and links also carry the hash list's
value key, so confirmed material is found with one index. Extraction and normalisation are pure
(``networks/rules/identifiers``).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from safe4c.db.linking import LinkIdentifier
from safe4c.db.platforms import PlatformReport
from safe4c.db.tables import Report
from safe4c.kernel.signals import value_key
from safe4c.kernel.crypto import derive_key
from safe4c.kernel.uow import UnitOfWork
from safe4c.kernel.signals import SIGNAL_KINDS
from safe4c.networks.rules.identifiers import (
    Identifier,
    extract_from_fields,
    extract_from_text,
    identifiers_from_url,
    normalise_hash,
    unknown_platform_twin,
)
from safe4c.reports import fields as report_fields
from safe4c.reports import platform_detail

# The source of a weak edge: an account on a named platform also held as the same handle, platform not known
# (``rules.identifiers.unknown_platform_twin``); it links only to reports that hold that handle for real.
WEAK_SOURCE = "any_platform"


@lru_cache(maxsize=4)
def _hmac_key(secret: bytes) -> bytes:
    return derive_key(secret, "identifier-key")


def key_hash(uow: UnitOfWork, key: str) -> str:
    """Identifiers are looked up by a keyed hash: the table holds no phone number or account in the clear."""
    return hmac.new(_hmac_key(uow.settings.resolved_secret), key.encode(), hashlib.sha256).hexdigest()


def signal_key(identifier: Identifier) -> str | None:
    """The hash list's value key for hashes and links, so confirmed material is found with one index."""
    if identifier.kind not in SIGNAL_KINDS:
        return None
    return value_key(identifier.kind, identifier.value)


def collect(uow: UnitOfWork, row: Report, *, story: str | None = None) -> list[tuple[Identifier, str]]:
    """A report's identifiers with the field each came from, each key once (the first field wins), then the
    weak twins of its accounts on named platforms (source ``WEAK_SOURCE``). ``story``: the story already
    opened by the caller (else it is decrypted here)."""
    platform = row.platforms[0] if len(row.platforms or ()) == 1 else None
    found = [(i, "accounts") for i in extract_from_fields(accounts=report_fields.accounts(uow.ctx.sealer, row),
                                                         platform=platform)]
    if story is None:
        story = uow.ctx.sealer.open(row.story_sealed, context="report.story")
    if story:
        found += [(i, "story") for i in extract_from_text(story)]
    detail = uow.session.get(PlatformReport, row.id) if row.channel == "platform" else None
    if detail is not None:
        for item in detail.content_hashes or ():
            identifier = normalise_hash(item.get("value", ""), item.get("type"))
            if identifier:
                found.append((identifier, "content"))
        for item in platform_detail.content_items(uow, detail):
            if item.get("url"):
                found += [(i, "content") for i in identifiers_from_url(item["url"])]
    found += [(twin, WEAK_SOURCE) for identifier, _ in list(found) if (twin := unknown_platform_twin(identifier))]
    unique: dict[str, tuple[Identifier, str]] = {}
    for identifier, source in found:  # the report's own identifiers come first: a twin never replaces one
        unique.setdefault(identifier.key, (identifier, source))
    return list(unique.values())


def open_identifier(uow: UnitOfWork, row: LinkIdentifier) -> Identifier:
    """The identifier behind a row (its sealed key, parsed back)."""
    key = uow.ctx.sealer.open(row.value_sealed, context="identifier.key")
    value = key.split(":", 2 if row.platform else 1)[-1]
    return Identifier(row.kind, value, row.platform)


def new_identifier(uow: UnitOfWork, identifier: Identifier, digest: str) -> LinkIdentifier:
    """A new ``link_identifiers`` row (the caller looked it up by ``digest`` and did not find it; under the
    linking lock nobody else creates it meanwhile)."""
    row = LinkIdentifier(key_hash=digest, kind=identifier.kind, platform=identifier.platform,
                         value_sealed=uow.ctx.sealer.seal(identifier.key, context="identifier.key"),
                         signal_key=signal_key(identifier), linking=True, report_count=0, first_seen_at=uow.now())
    uow.session.add(row)
    return row
