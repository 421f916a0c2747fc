"""Server-rendered pages. Each area registers its router here."""

from __future__ import annotations

from fastapi import FastAPI


def register(app: FastAPI) -> None:
    from safe4c.web.pages import clusters, hashlist, identifiers, public, render, staff, takedowns, workspace

    render.install(app)
    for area in (public, staff, takedowns, hashlist, clusters, workspace, identifiers):
        app.include_router(area.router)
