"""A platform report's sealed detail (``platform_reports.detail_sealed``), opened once and read by linking
(content links), matching (content hashes and links) and the network page (victims)."""

from __future__ import annotations

import json

from safe4c.db.platforms import PlatformReport
from safe4c.kernel.uow import UnitOfWork


def open_detail(uow: UnitOfWork, detail: PlatformReport) -> dict:
    """The detail as a dict; ``{}`` when it is missing or not a JSON object."""
    raw = uow.ctx.sealer.open(detail.detail_sealed, context="platform_report.detail")
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _items(detail: dict, name: str) -> list[dict]:
    items = detail.get(name)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def content_items(uow: UnitOfWork, detail: PlatformReport) -> list[dict]:
    """The reported content items (each a dict: url, hashes)."""
    return _items(open_detail(uow, detail), "content")


def victims(uow: UnitOfWork, detail: PlatformReport) -> list[dict]:
    """The victims the platform lists (each a dict)."""
    return _items(open_detail(uow, detail), "victims")
