"""/openapi.json as the API really behaves: bodies the handlers parse themselves, and the one error shape.

The busiest handlers read their JSON with ``web/inputs.parse_json`` and validate it with a domain model, so
FastAPI never sees that model: ``json_body(Model)`` documents the body, and ``install`` publishes the model and
every model it nests under ``components``. Every error response is documented with ``ErrorResponse``
(web/errors.py), never FastAPI's own ``HTTPValidationError``; every operation that takes input documents 422
(web/inputs.py refuses unreadable input anywhere), and every one with a body 413 (web/middleware.py).
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from safe4c.web.errors import ErrorResponse

REF = "#/components/schemas/{model}"
_FASTAPI_ERRORS = ("HTTPValidationError", "ValidationError")
NO_NUL = {"pattern": "\x00"}  # "not" this: no NUL anywhere in the text


def json_body(model: type[BaseModel]) -> dict:
    """``openapi_extra`` for a route that reads ``model`` as its JSON body itself."""
    schema = {"$ref": REF.format(model=model.__name__)}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def install(app: FastAPI, *, bodies: list[type[BaseModel]]) -> None:
    original = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            _, published = models_json_schema([(m, "validation") for m in [*bodies, ErrorResponse]],
                                              ref_template=REF)
            components.update(published.get("$defs", {}))
            for operation in _operations(schema):
                _document_errors(operation)
                _headers_are_text(operation)
                _text_rule(operation, components)
            for operation in _operations(schema, section="webhooks"):
                # What safe4c sends (web/api/platform_webhook.py): the receiver's answers are the platform's,
                # so no error shape of ours; FastAPI adds its validation error to any operation with input.
                for status in ("200", "422"):  # FastAPI's defaults; the operation says 2XX and default
                    operation.get("responses", {}).pop(status, None)
            for name in _FASTAPI_ERRORS:  # no response uses them any more
                components.pop(name, None)
        return app.openapi_schema

    app.openapi = openapi


def _operations(schema: dict, section: str = "paths"):
    for item in schema.get(section, {}).values():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield operation


def _headers_are_text(operation: dict) -> None:
    """An optional header is absent or text, never JSON null: FastAPI's ``str | None`` says "string or null",
    which a client can only read as the text "null"."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "header" and "anyOf" in schema:
            branches = [b for b in schema["anyOf"] if b.get("type") != "null"]
            if len(branches) == 1:
                del schema["anyOf"]
                schema.update(branches[0])


def _text_rule(operation: dict, components: dict) -> None:
    """Every text the operation reads may not contain NUL (web/inputs.py; a lone surrogate cannot be written
    in the schema's terms): said on each string of its parameters and body, following references."""
    todo = [p.get("schema", {}) for p in operation.get("parameters", [])]
    todo += [c.get("schema", {}) for c in operation.get("requestBody", {}).get("content", {}).values()]
    seen: set[int] = set()
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
            continue
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        if "$ref" in node:
            todo.append(components.get(node["$ref"].rsplit("/", 1)[-1]))
        kind = node.get("type")
        if kind == "string" or (isinstance(kind, list) and "string" in kind):
            node.setdefault("not", NO_NUL)
        if kind == "object":
            node.setdefault("propertyNames", {"not": NO_NUL})
        todo.extend(v for k, v in node.items() if k != "not" and isinstance(v, (dict, list)))


def _document_errors(operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    if operation.get("parameters") or operation.get("requestBody"):
        responses.setdefault("422", {"description": "Input that needs fixing: one error per field, in the "
                                                    "requested language"})
    if operation.get("requestBody"):
        responses.setdefault("413", {"description": "Body larger than SAFE4C_MAX_BODY_BYTES (64 KiB by default)"})
    error = {"application/json": {"schema": {"$ref": REF.format(model=ErrorResponse.__name__)}}}
    for status, response in responses.items():
        if status[0] in "45":
            response["content"] = error
            if response.get("description") == "Validation Error":  # FastAPI's words for its own shape
                response["description"] = "Input that needs fixing: one error per field, in the requested language"
