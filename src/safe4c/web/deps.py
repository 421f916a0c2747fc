"""Typed dependency aliases that keep route signatures short.

- ``UowDep``: the request's unit of work (one per request, shared by every dependency that asks for it); the
  use case commits.
- ``ReadingUowDep``: a read-only one (on SQLite it takes no write lock): pages and API reads, key checks.
- ``StatisticsUowDep``: a read-only one on the statistics database (a read replica when one is set).
- ``UowFactoryDep``: the factory, for the few handlers that need more than one transaction or must run the
  whole of one in a worker thread themselves (the platform intake hot path, the status lookup's read-then-count,
  the health probe, where failing to open or close a transaction is the answer).
"""

from __future__ import annotations

from typing import Annotated, Iterator

from fastapi import Depends, Request

from safe4c.kernel.uow import UnitOfWork, UowFactory


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    with request.app.state.uow_factory() as uow:
        yield uow


def get_reading_uow(request: Request) -> Iterator[UnitOfWork]:
    with request.app.state.uow_factory().reading() as uow:
        yield uow


def get_statistics_uow(request: Request) -> Iterator[UnitOfWork]:
    """A read-only unit of work on the statistics database: the read replica when
    ``SAFE4C_STATISTICS_DATABASE_URL`` names one, else the main database."""
    with request.app.state.statistics_uow_factory().reading() as uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            # One snapshot for the page, as SQLite's read transaction is: the figures and the rollups' version
            # its charts are cached under agree even while a refresh commits month after month.
            uow.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield uow


async def get_uow_factory(request: Request) -> UowFactory:
    """Async: it does no I/O, so it costs the intake hot paths no trip to a worker thread."""
    return request.app.state.uow_factory


def get_lang(request: Request) -> str:
    """The language SafetyMiddleware picked; the default one for an error raised before it ran."""
    return getattr(request.state, "lang", None) or request.app.state.settings.default_language


async def _lang_dependency(request: Request) -> str:
    """``LangDep``: async because FastAPI runs a plain ``def`` dependency in a worker thread, and this one does
    no I/O."""
    return get_lang(request)


def client_address(request: Request) -> str:
    """The client's address: the peer, or what a trusted reverse proxy forwards (web/proxies.py)."""
    address = getattr(request.state, "client_address", None)
    if address is None:
        address = request.app.state.client_addresses.resolve(
            request.client.host if request.client else None, request.headers.getlist("x-forwarded-for"))
        request.state.client_address = address
    return address


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ReadingUowDep = Annotated[UnitOfWork, Depends(get_reading_uow)]
StatisticsUowDep = Annotated[UnitOfWork, Depends(get_statistics_uow)]
UowFactoryDep = Annotated[UowFactory, Depends(get_uow_factory)]
LangDep = Annotated[str, Depends(_lang_dependency)]
