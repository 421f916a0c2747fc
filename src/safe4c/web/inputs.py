"""Every request's input is checked here, once, before a handler or a service reads it.

- JSON bodies: ``parse_json`` is the one parser for them (``ApiRoute`` makes FastAPI use it too): valid UTF-8
  JSON, nested at most ``MAX_JSON_DEPTH`` levels, and no text a database cannot store; else 422, one error per
  field.
- Query strings, path segments and form fields: ``check_text``, a dependency of every route, refuses text a
  database cannot store (422; 404 for a path, which then names nothing).
- Ids in URLs: ``IdPath``, a whole number a database can hold; anything else is 404 (web/errors.py).

The rules themselves are in domain/validation.py (``storable``, ``MAX_ID``); docs/api.md lists them.
"""

from __future__ import annotations

import inspect
import json
import re
from email.message import Message
from typing import Annotated

from fastapi import Path, Request
from fastapi.routing import APIRoute
from starlette.datastructures import UploadFile

from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.validation import MAX_ID, UNSTORABLE_TEXT, storable
from safe4c.kernel.errors import FieldError, Invalid, NotFound

# Our deepest schema (a platform report's IP capture event) is 5 levels; a parser's recursion is not a limit.
MAX_JSON_DEPTH = 16
NOT_JSON = N_("The request body must be valid JSON.")
TOO_DEEP = N_("The JSON is nested too deeply (at most {max_depth} levels).")
UNSTORABLE_INPUT = N_("Some of what you sent contains a character we cannot accept (a NUL character or a broken "
                      "Unicode character). Remove it and send it again.")

_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")  # \u0000 or a surrogate half \ud800-\udfff

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="A whole number from 1 to 2^63-1.")]


def parse_json(raw: bytes, *, stored: bool = True) -> object:
    """The document in ``raw``, or ``Invalid``: not JSON (or not UTF-8), too deep, or unstorable text.

    ``stored=False`` for a request that stores nothing (matching a batch): there a NUL is only a wrong value,
    which the operation refuses item by item, so it is not refused for the whole body."""
    try:
        text = raw.decode()  # UTF-8 only (RFC 8259), so the escapes below are seen as they are
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:  # deeper than the interpreter's stack: far past MAX_JSON_DEPTH
        raise Invalid([FieldError("body", TOO_DEEP, {"max_depth": MAX_JSON_DEPTH})]) from None
    except ValueError:  # UnicodeDecodeError included
        raise Invalid([FieldError("body", NOT_JSON)]) from None
    if not _shallow(data):
        raise Invalid([FieldError("body", TOO_DEEP, {"max_depth": MAX_JSON_DEPTH})])
    # JSON can only carry a NUL or a lone surrogate as an escape: without one, the text walk is skipped.
    problems = _unstorable(data) if stored and _SUSPECT_ESCAPE.search(text) else []
    if problems:
        raise Invalid(problems, message=UNSTORABLE_INPUT)
    return data


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python's json accepts them, JSON does not


def _shallow(data: object) -> bool:
    """At most MAX_JSON_DEPTH levels of arrays and objects, counted level by level (no recursion)."""
    level, depth = [data], 0
    while level:
        level = [c for c in level if isinstance(c, (dict, list))]
        depth += bool(level)
        if depth > MAX_JSON_DEPTH:
            return False
        level = [v for c in level for v in (c.values() if isinstance(c, dict) else c)]
    return True


def _unstorable(data: object) -> list[FieldError]:
    """Every text (values and keys) a database cannot store, named by its path (a key by where it is)."""
    found: dict[str, FieldError] = {}
    stack: list[tuple[object, tuple]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if not storable(value):
                name = ".".join(map(str, path)) or "body"
                found.setdefault(name, FieldError(name, UNSTORABLE_TEXT))
        elif isinstance(value, (dict, list)):
            for key, item in (value.items() if isinstance(value, dict) else enumerate(value)):
                if isinstance(key, str) and not storable(key):
                    name = ".".join(map(str, path)) or "body"
                    found.setdefault(name, FieldError(name, UNSTORABLE_TEXT))
                    continue
                stack.append((item, (*path, key)))
    return sorted(found.values(), key=lambda f: f.field)


class JsonRequest(Request):
    """A request whose ``json()`` is ``parse_json`` (FastAPI calls it for a route's body model)."""

    async def json(self) -> object:
        if not hasattr(self, "_parsed_json"):
            self._parsed_json = parse_json(await self.body())
        return self._parsed_json


class ApiRoute(APIRoute):
    """API routes: a JSON body is parsed by ``parse_json`` before FastAPI sees it.

    Parsed here, not only when FastAPI asks: FastAPI turns any error of its own body parsing into a bare 400.
    """

    def get_route_handler(self):
        handler = super().get_route_handler()
        reads_body = self.body_field is not None

        async def parsed_first(request: Request):
            request = JsonRequest(request.scope, request.receive)
            if reads_body and _is_json(request.headers.get("content-type")) and await request.body():
                await request.json()
            return await handler(request)

        return parsed_first


class RequestOnlyRoute(APIRoute):
    """A route whose endpoint and dependencies take the request and nothing else, served without FastAPI's
    dependency solving: the intake hot path (web/api/public.py), where solving its two dependencies cost
    6-10 % of a web process's CPU per report, in profiles of a server under ``safe4c bench intake``.

    Nothing is skipped: the route declares its dependencies as every route does (the app's ``check_text``, its
    ``Allowed``), so /openapi.json, ``check_routes`` and the one authorization policy see it as any other; they
    are awaited in FastAPI's order, then the endpoint, which returns its Response. A dependency or an endpoint
    that needs anything FastAPI would have to supply (a parameter, a header, another dependency) stops start-up.
    """

    def get_route_handler(self):
        route = _effective(self)  # with the dependencies of the app and routers it is included into
        dependencies = route.dependant.dependencies
        if any(d.name is not None for d in dependencies):  # an endpoint parameter: its value would not be passed
            raise TypeError(f"{self.endpoint.__name__}: a RequestOnlyRoute's endpoint takes only the request; "
                            "declare dependencies in dependencies=[...]")
        steps = [_request_only(d, "dependency", dependencies_of_its_own=d.dependencies) for d in dependencies]
        endpoint, _ = _request_only(route.dependant, "endpoint")  # its dependencies are the steps

        async def direct(request: Request):
            for call, wants_request in steps:
                await (call(request) if wants_request else call())
            return await endpoint(request)

        return direct


def _effective(route: APIRoute):
    """The route as included: FastAPI 0.13x and later build an included route's dependencies in a context of
    their own while they ask the route for its handler; earlier versions made a new route."""
    try:
        from fastapi.routing import _effective_route_context_var
    except ImportError:
        return route
    context = _effective_route_context_var.get()
    return context if context is not None and context.original_route is route else route


def _request_only(dependant, what: str, dependencies_of_its_own=()) -> tuple:
    """(the call, whether it takes the request) for a coroutine that needs nothing but the request."""
    call = dependant.call
    needs = [dependant.path_params, dependant.query_params, dependant.header_params, dependant.cookie_params,
             dependant.body_params, dependencies_of_its_own]
    others = [dependant.websocket_param_name, dependant.http_connection_param_name, dependant.response_param_name,
              dependant.background_tasks_param_name, dependant.security_scopes_param_name]
    if not inspect.iscoroutinefunction(call) or any(needs) or any(others):
        raise TypeError(f"{getattr(call, '__name__', call)}: a RequestOnlyRoute's {what} must be a coroutine "
                        "taking at most the request")
    return call, dependant.request_param_name is not None


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


async def check_text(request: Request) -> None:
    """A dependency of every route: no query, path or form text that a database cannot store."""
    if not all(storable(str(value)) for value in request.path_params.values()):
        raise NotFound()
    names = [name for name, value in request.query_params.multi_items() if not (storable(name) and storable(value))]
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # kept by the request: handlers and FastAPI read the same parsed form
        for name, value in form.multi_items():
            text = (value.filename or "") if isinstance(value, UploadFile) else value
            if not (storable(name) and storable(text)):
                names.append(name)
    if names:
        fields = {name if storable(name) else "?": None for name in names}
        raise Invalid([FieldError(name, UNSTORABLE_TEXT) for name in fields], message=UNSTORABLE_INPUT)
