"""An analyst's saved queue filters: save (or replace) and delete; the list is workspace.list_filters."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import delete, select

from safe4c.db.linking import SavedFilter
from safe4c.kernel.errors import FieldError, Invalid
from safe4c.kernel.uow import UnitOfWork
from safe4c.reports import queue
from safe4c.reports.rules.taxonomy import N_
from safe4c.workspace.queries import list_filters

MAX_FILTERS = 30


def _normalise_query(raw: str) -> str:
    params = dict(parse_qsl(raw.lstrip("?"), keep_blank_values=False))
    filters = queue.QueueFilters.parse(params)
    return urlencode(filters.query(page=1))


def save_filter(*, uow: UnitOfWork, owner_id: int, name: str, query: str) -> str:
    """Save (or replace) a named queue filter. Returns the query as saved (normalised), for the redirect."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise Invalid([FieldError("name", N_("Give the filter a name of 1 to 80 characters."))])
    normalised = _normalise_query(query or "")
    existing = uow.session.scalar(select(SavedFilter).where(SavedFilter.owner_id == owner_id, SavedFilter.name == name))
    if existing is not None:
        existing.query = normalised
    else:
        count = len(list_filters(uow=uow, owner_id=owner_id))
        if count >= MAX_FILTERS:
            raise Invalid([FieldError("name", N_("You have too many saved filters; delete one first."))])
        existing = SavedFilter(owner_id=owner_id, name=name, query=normalised, created_at=uow.now())
        uow.session.add(existing)
    uow.session.flush()
    uow.commit()
    return normalised


def delete_filter(*, uow: UnitOfWork, owner_id: int, filter_id: int) -> None:
    uow.session.execute(delete(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.owner_id == owner_id))
    uow.commit()
