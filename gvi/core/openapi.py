"""The error answers every JSON operation can give, written into the OpenAPI schema.

Litestar documents a handler's success status and, for handlers that validate
input, a 400. The guard and the exception handlers (:mod:`gvi.core.errors`) add
more to every ``/api/`` route: 401 before sign-in, 404 for a missing record *and*
for a forbidden one (the same body, by design), and on unsafe methods 403 when
the CSRF check stops the request and 409 when the record changed since it was
read or its state does not allow the change. :func:`document_error_answers`
adds these to each operation once, so the schema tells clients (and the
schemathesis run in tests/fuzz) the whole truth.

Litestar writes a union of output structs (``GroupOut | GroupFullOut``: the
full shape for those who may read free text) as ``oneOf``; the full shape also
matches the plain one, so every full answer broke the schema.
:class:`SchemaJsonPlugin` serves such unions as ``anyOf``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.routes import HTTPRoute

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class FieldErrorOut(msgspec.Struct):
    field: str
    message: str


class ErrorOut(msgspec.Struct):
    """The body of every error answer of the JSON API."""

    status_code: int
    detail: str
    # Validation errors name the fields (never the values sent).
    errors: list[FieldErrorOut] = []


def error_answer(description: str) -> ResponseSpec:
    """An error answer a handler documents itself (``responses={403: …}``)."""
    return _spec(description)


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorOut, description=description, generate_examples=False)


_EVERY = {
    400: _spec("The request is malformed or a field is invalid."),
    401: _spec("Not signed in."),
    404: _spec("No such record, or no access to it: the two answer alike."),
}
_UNSAFE = {
    403: _spec("Stopped by the CSRF check (token or origin)."),
    409: _spec("The record changed since it was read, or its state does not allow this."),
}


def document_error_answers(app: Litestar) -> None:
    """Add the common error answers to every JSON API operation (a handler's own
    ``responses`` win). Call before the schema is first built."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            answers: dict[int, Any] = dict(_EVERY)
            if set(handler.http_methods) - SAFE_METHODS:
                answers.update(_UNSAFE)
            handler.responses = {**answers, **(handler.responses or {})}


def _any_of_struct_unions(node: Any) -> Any:
    """A copy of ``node`` with every ``oneOf`` of two or more component
    references (and perhaps null) turned into ``anyOf``."""
    if isinstance(node, list):
        return [_any_of_struct_unions(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _any_of_struct_unions(v) for k, v in node.items()}
    options = out.get("oneOf")
    if isinstance(options, list):
        refs = [o for o in options if isinstance(o, dict) and set(o) == {"$ref"}]
        nulls = [o for o in options if o == {"type": "null"}]
        if len(refs) >= 2 and len(refs) + len(nulls) == len(options):
            out["anyOf"] = out.pop("oneOf")
    return out


class SchemaJsonPlugin(JsonRenderPlugin):
    """Serves openapi.json with struct unions as ``anyOf`` (see the module doc)."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, _any_of_struct_unions(openapi_schema))
