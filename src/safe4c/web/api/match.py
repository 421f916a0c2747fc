"""Platform API for the hash list: match a batch of hashes and links, and mirror the list by cursor.

Both routes need ``Authorization: Bearer <key>`` (``Allowed``, web/authorization.py). Guide: docs/platform-api.md
("Matching" and "Mirroring the hash list").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query as QueryParam, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.validation import MAX_ID
from safe4c.kernel.errors import FieldError, Invalid
from safe4c.kernel.signals import SIGNAL_KINDS
from safe4c.hashlist import banks as hashlist
from safe4c.hashlist import sync as hashlist_sync
from safe4c.hashlist.matcher import Query
from safe4c.access.platforms import PlatformPrincipal
from safe4c.web.deps import LangDep, ReadingUowDep
from safe4c.web.i18n import translate
from safe4c.web.authorization import Allowed
from safe4c.web.inputs import ApiRoute
from safe4c.web.openapi import json_body
from safe4c.web.api.public import read_json

router = APIRouter(prefix="/api/v1", tags=["hash list"], route_class=ApiRoute)

BAD_BODY = N_("Send a JSON object with a list of items: {\"items\": [{\"type\": \"pdq\", \"value\": \"...\"}]}.")
TOO_MANY = N_("Send at most {limit} items in one request.")
BAD_CURSOR = N_("This cursor is not valid: use a next_cursor value from an earlier page, or start without a cursor.")
UNKNOWN_CURSOR = N_("This cursor was not given by this API: it is past the end of the hash list's change log. Start "
                    "again without a cursor.")


# The signal types of the registry (kernel/signals.py), as the schema's enum.
SignalKind = Literal[SIGNAL_KINDS]  # type: ignore[valid-type]
KINDS_IN_WORDS = f"{', '.join(SIGNAL_KINDS[:-1])} or {SIGNAL_KINDS[-1]}"


class MatchItem(BaseModel):
    type: SignalKind = Field(description=f"Signal type: {KINDS_IN_WORDS}.")
    value: str = Field(description="Hex for hashes (any case); a link for url (normalised before matching).")
    quality: int | None = Field(None, ge=0, le=100, description="PDQ quality score; below "
                                "SAFE4C_MATCH_PDQ_MIN_QUALITY (50 by default) the item is ignored.")


class MatchRequest(BaseModel):
    # Any value is accepted as an item: one that is not a MatchItem gets its own error, never fails the batch.
    items: list[MatchItem | Any] = Field(description="MatchItems, at most SAFE4C_MATCH_BATCH_LIMIT (500 by "
                                                     "default); anything else in the list gets an error result.")


class MatchHit(BaseModel):
    entry_id: int = Field(description="The hash-list entry: the id that GET /api/v1/signals uses.")
    bank: str
    classification: str = Field(description="csam, exploitation or other.")
    distance: int = Field(description="Hamming distance for pdq (0-31); 0 for exact types.")


class ItemError(BaseModel):
    code: str = Field(description="empty, bad_hex, wrong_length, unknown_type, bad_url, unsupported_scheme, "
                                  "too_long, bad_quality or not_an_object.")
    message: str = Field(description="What was wrong, in the requested language.")


class MatchResult(BaseModel):
    index: int = Field(description="Position of the item in the request.")
    type: str | None
    value: str | None = Field(description="The canonical value that was matched; null for a refused item.")
    status: Literal["match", "no_match", "ignored", "error"] = Field(
        description="ignored: a PDQ hash with quality below SAFE4C_MATCH_PDQ_MIN_QUALITY (50 by default) "
                    "is not matched.")
    matches: list[MatchHit]
    error: ItemError | None = None


class MatchResponse(BaseModel):
    results: list[MatchResult]
    list_version: str = Field(description="The change-log position of the list these results were computed from "
                                          "(the same scale as next_cursor).")


class Signal(BaseModel):
    id: int = Field(description="Entry id; a later removal names the same id.")
    type: SignalKind
    value: str
    bank: str
    classification: str
    tags: list[str]


class SignalsPage(BaseModel):
    additions: list[Signal]
    removals: list[Signal]
    next_cursor: str = Field(description="Pass as ?cursor= for the next page; store it when has_more is false.")
    has_more: bool


def _run_match(request: Request, items: list) -> tuple[list, int]:
    state = request.app.state  # the app's matcher (hashlist/matcher.py SharedMatcher), loaded here if need be
    matcher = state.shared_matcher.serving(state.uow_factory, poll_seconds=state.settings.matcher_poll_seconds)
    queries = [Query(i.get("type"), i.get("value"), i.get("quality")) if isinstance(i, dict) else Query(None, None)
               for i in items]
    # Read before matching: the results reflect at least this position (a refresh may apply newer changes
    # while we match, but never takes one away).
    version = matcher.cursor
    return matcher.match(queries), version


@router.post(
    "/match", response_model=MatchResponse,
    summary="Match a batch of hashes and links against the national hash list",
    openapi_extra=json_body(MatchRequest),
    responses={401: {"description": "Missing, unknown or revoked API key"},
               413: {"description": "Body larger than SAFE4C_MAX_BODY_BYTES (64 KiB by default)"},
               422: {"description": "The body is not {\"items\": [...]}, or it has more than "
                                    "SAFE4C_MATCH_BATCH_LIMIT items. A bad item never fails the batch: it gets "
                                    "its own error."}},
)
async def match(request: Request, platform: Annotated[PlatformPrincipal, Allowed("hashlist.match")],
                lang: LangDep) -> MatchResponse:
    data = await read_json(request, stored=False)  # nothing is stored: a NUL is one item's wrong value
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise Invalid([FieldError("items", BAD_BODY)])
    limit = request.app.state.settings.match_batch_limit
    if len(items) > limit:
        raise Invalid([FieldError("items", TOO_MANY, {"limit": limit})])
    results, version = await run_in_threadpool(_run_match, request, items)
    out = []
    for item, r in zip(items, results):
        error = None
        if r.status == "error":
            code = r.error_code if isinstance(item, dict) else "not_an_object"
            message, params = hashlist.signal_error(code, r.signal_type)
            error = ItemError(code=code, message=translate(lang, message, **params))
        out.append(MatchResult(index=r.index, type=r.signal_type, value=r.value, status=r.status, error=error,
                               matches=[MatchHit(entry_id=h.entry_id, bank=h.bank, classification=h.classification,
                                                 distance=h.distance) for h in r.matches]))
    return MatchResponse(results=out, list_version=str(version))


@router.get(
    "/signals", response_model=SignalsPage,
    summary="Mirror the hash list: additions and removals after a cursor",
    responses={401: {"description": "Missing, unknown or revoked API key"},
               422: {"description": "The cursor is not one this API gave (not a position, or past the end of "
                                    "the change log)"}},
)
def signals(request: Request, uow: ReadingUowDep, platform: Annotated[PlatformPrincipal, Allowed("hashlist.sync")],
            cursor: str | None = QueryParam(None, max_length=20, description="next_cursor from the previous page; "
                                            "omit it to start from the beginning.",
                                            json_schema_extra={"pattern": "^[0-9]*$"}),
            limit: int | None = QueryParam(None, ge=1, description="Page size; at most SAFE4C_SIGNALS_PAGE_SIZE.")
            ) -> SignalsPage:
    if cursor in (None, ""):
        position = 0
    elif cursor.isascii() and cursor.isdigit() and int(cursor) <= MAX_ID and str(int(cursor)) == cursor:
        position = int(cursor)  # written as the API writes it: no sign, no leading zeros
    else:
        raise Invalid([FieldError("cursor", BAD_CURSOR)])
    size = min(limit or request.app.state.settings.signals_page_size, request.app.state.settings.signals_page_size)
    page = hashlist_sync.sync_page(uow=uow, cursor=position, limit=size)
    # Every cursor the API gives is a position the change log has reached: one past its end was never given
    # (or the database was put back to an earlier state), and answering "up to date" would hide every change
    # after it for ever. Only an empty page needs the check: a page with changes starts below the end.
    if position and not page.additions and not page.removals and position > hashlist_sync.current_cursor(uow=uow):
        raise Invalid([FieldError("cursor", UNKNOWN_CURSOR)])
    return SignalsPage(additions=[Signal(**vars(s)) for s in page.additions],
                       removals=[Signal(**vars(s)) for s in page.removals],
                       next_cursor=str(page.next_cursor), has_more=page.has_more)
