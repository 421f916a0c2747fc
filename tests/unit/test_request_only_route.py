"""web/inputs.py ``RequestOnlyRoute``: served without FastAPI's dependency solving, yet every dependency the
route declares (the app's, the router's, its own) runs, in order, before the endpoint; a route that needs
anything FastAPI would supply is refused when the app is built."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from safe4c.web.inputs import RequestOnlyRoute


def app_with(endpoint, ran: list, *, dependencies=()) -> FastAPI:
    async def app_level(request: Request) -> None:
        ran.append(("app", request.url.path))

    async def router_level() -> None:
        ran.append("router")

    async def route_level(request: Request) -> None:
        if request.query_params.get("refuse"):
            raise PermissionError("refused")
        ran.append("route")

    router = APIRouter(prefix="/api", dependencies=[Depends(router_level)])
    router.add_api_route("/hot", endpoint, methods=["POST"], route_class_override=RequestOnlyRoute,
                         dependencies=[Depends(route_level), *dependencies])
    app = FastAPI(dependencies=[Depends(app_level)])
    app.include_router(router)

    @app.exception_handler(PermissionError)
    async def refused(request, exc):
        return JSONResponse({"error": str(exc)}, status_code=403)

    return app


def test_every_declared_dependency_runs_in_order_before_the_endpoint():
    ran = []

    async def hot(request: Request):
        ran.append("endpoint")
        return JSONResponse({"body": (await request.body()).decode()}, status_code=201)

    with TestClient(app_with(hot, ran)) as client:
        answer = client.post("/api/hot", content=b"isi")
        assert (answer.status_code, answer.json()) == (201, {"body": "isi"})
        assert ran == [("app", "/api/hot"), "router", "route", "endpoint"]
        ran.clear()
        # a dependency that refuses stops the request before the endpoint, through the app's error handlers
        assert client.post("/api/hot?refuse=1").status_code == 403
        assert ran == [("app", "/api/hot"), "router"]


def test_an_endpoint_or_dependency_that_needs_more_than_the_request_is_refused_when_the_app_is_built():
    async def language(request: Request) -> str:
        return "id"

    async def with_header(request: Request, key: str | None = Header(None)):
        return JSONResponse({})

    async def with_dependency(request: Request, lang: str = Depends(language)):  # its value would be lost
        return JSONResponse({})

    async def plain(request: Request):
        return JSONResponse({})

    def blocking_check() -> None:  # FastAPI would run it in a thread
        return None

    async def nested_check(lang: str = Depends(language)) -> None:  # its own dependency would not run
        return None

    cases = [(with_header, (), "endpoint must be a coroutine taking at most the request"),
             (with_dependency, (), "declare dependencies in dependencies="),
             (plain, [Depends(blocking_check)], "dependency must be a coroutine"),
             (plain, [Depends(nested_check)], "dependency must be a coroutine")]
    for endpoint, extra, message in cases:
        with pytest.raises(TypeError, match=message):  # when the route is built or included
            with TestClient(app_with(endpoint, [], dependencies=extra)) as client:
                client.post("/api/hot")
