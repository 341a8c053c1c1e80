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
:class:`SchemaJsonPlugin` serves such unions as ``anyOf``, and gives components
that share a title (two enums named ``Kind``) unique ones.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import HTTPRoute

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CONDITIONAL_METHODS = frozenset({"PATCH", "DELETE"})
PROBLEM_JSON = "application/problem+json"


class FieldErrorOut(msgspec.Struct):
    field: str
    message: str


class ProblemOut(msgspec.Struct):
    """The body of every error answer of the JSON API: problem details (RFC 9457,
    ``application/problem+json``) in the request's language."""

    type: str
    title: str
    status: int
    detail: str
    # The same as ``status``, for clients of the first release.
    status_code: int
    # Validation errors name the fields (never the values sent).
    errors: list[FieldErrorOut] = []


def error_answer(description: str) -> ResponseSpec:
    """An error answer a handler documents itself (``responses={403: …}``)."""
    return _spec(description)


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemOut,
        description=description,
        generate_examples=False,
        media_type=PROBLEM_JSON,
    )


_EVERY = {
    400: _spec("The request is malformed or a field is invalid."),
    401: _spec("Not signed in."),
    404: _spec("No such record, or no access to it: the two answer alike."),
    429: _spec("Too many requests with this API token this minute; see Retry-After."),
}
_UNSAFE = {
    403: _spec("Stopped by the CSRF check (token or origin)."),
    409: _spec("The record changed since it was read, or its state does not allow this."),
}
# PATCH and DELETE name the version they change in If-Match (gvi/core/rest.py).
_CONDITIONAL = {
    412: _spec("If-Match names a version the record no longer has: read it again."),
    428: _spec("If-Match is missing: send the ETag the record was read with."),
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
            if set(handler.http_methods) & CONDITIONAL_METHODS:
                answers.update(_CONDITIONAL)
            handler.responses = {**answers, **(handler.responses or {})}


# The two ways in (gvi/access/guards.py): a signed-in session, whose unsafe
# requests also carry the session's CSRF token, or an API token (gvi/tokens).
SESSION = "session"
CSRF = "csrfToken"
BEARER = "bearerToken"


def security_components(cookie_name: str) -> Components:
    return Components(
        security_schemes={
            SESSION: SecurityScheme(
                type="apiKey",
                name=cookie_name,
                security_scheme_in="cookie",
                description="The session cookie of a browser sign-in (password and second factor).",
            ),
            CSRF: SecurityScheme(
                type="apiKey",
                name="X-CSRF-Token",
                security_scheme_in="header",
                description="With a session, every unsafe request (POST, PUT, PATCH, DELETE) "
                "also sends the session's CSRF token in this header.",
            ),
            BEARER: SecurityScheme(
                type="http",
                scheme="bearer",
                bearer_format="gvi_<id>_<secret>",
                description="An API token (Authorization: Bearer). No CSRF token; /api/v1 only; "
                "rate-limited per token.",
            ),
        }
    )


def document_security(app: Litestar) -> None:
    """State on every JSON API operation which schemes let it through: the session
    (with the CSRF header on unsafe methods) and, unless the route is
    ``session_only`` (managing tokens), a bearer token. Public operations need none."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            if str(handler.opt.get("permission", "")) == "public":
                handler.security = []
                continue
            unsafe = bool(set(handler.http_methods) - SAFE_METHODS)
            session: dict[str, list[str]] = {SESSION: []}
            if unsafe:
                session[CSRF] = []
            options = [session]
            if not handler.opt.get("session_only"):
                options.append({BEARER: []})
            handler.security = options


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


def _unique_titles(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` in which no two components share a title. Litestar
    keys components uniquely (``Unit.Kind``, ``Provider.Kind``) but titles them by
    class name (``Kind`` twice), and a client generator names its classes by
    title: it dropped every operation using the second. A repeated title becomes
    its component's key, dots removed (``UnitKind``)."""
    components = dict(schema.get("components", {}).get("schemas", {}))
    counts = Counter(str(c.get("title", key)) for key, c in components.items())
    for key, component in components.items():
        if counts[str(component.get("title", key))] > 1:
            components[key] = {**component, "title": re.sub(r"\W", "", key)}
    return {**schema, "components": {**schema.get("components", {}), "schemas": components}}


def served_schema(openapi_schema: dict[str, Any]) -> dict[str, Any]:
    """The document /api/v1/schema/openapi.json serves (see the module doc)."""
    return _unique_titles(_any_of_struct_unions(openapi_schema))


class SchemaJsonPlugin(JsonRenderPlugin):
    """Serves openapi.json with struct unions as ``anyOf`` and unique titles."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, served_schema(openapi_schema))
