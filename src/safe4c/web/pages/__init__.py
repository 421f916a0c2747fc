"""Server-rendered pages. Each area registers its router here."""

from __future__ import annotations

from fastapi import FastAPI


def register(app: FastAPI) -> None:
    from . import render

    render.install(app)
    for name in ("public", "staff", "takedowns", "hashlist", "clusters", "workspace"):
        try:
            module = __import__(f"{__name__}.{name}", fromlist=["router"])
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        app.include_router(module.router)
