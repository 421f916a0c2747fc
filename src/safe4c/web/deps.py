"""Typed dependency aliases that keep route signatures short."""

from __future__ import annotations

from typing import Annotated, Iterator

from fastapi import Depends, Request

from safe4c.kernel.uow import UnitOfWork


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    with request.app.state.uow_factory() as uow:
        yield uow


def get_lang(request: Request) -> str:
    """The language SafetyMiddleware picked; the default one for an error raised before it ran."""
    return getattr(request.state, "lang", None) or request.app.state.settings.default_language


def client_address(request: Request) -> str:
    """The client's address: the peer, or what a trusted reverse proxy forwards (web/proxies.py)."""
    address = getattr(request.state, "client_address", None)
    if address is None:
        address = request.app.state.client_addresses.resolve(
            request.client.host if request.client else None, request.headers.getlist("x-forwarded-for"))
        request.state.client_address = address
    return address


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
LangDep = Annotated[str, Depends(get_lang)]
