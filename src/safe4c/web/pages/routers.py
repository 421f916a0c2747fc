"""Every server-rendered page, by area: ``install(app)`` includes their routers."""

from __future__ import annotations

from fastapi import FastAPI

from safe4c.web.pages import (access, clusters, directory, hashlist, identifiers, public, render, reports, staff,
                              statistics, takedowns, workspace)


def install(app: FastAPI) -> None:
    render.install(app)
    app.state.staff_error_page = staff.error_page  # what StaffRoute (web/auth.py) renders for a typed error
    for area in (public, access, reports, takedowns, hashlist, clusters, workspace, directory, identifiers):
        app.include_router(area.router)
    app.include_router(statistics.public_router)  # /statistik, public
    app.include_router(statistics.staff_router)  # /staff/statistics
