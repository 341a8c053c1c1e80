"""Exception handlers: answers people can act on, and nothing personal in them.

Forbidden and missing share one 404 body. Validation errors name fields, never
echo values (a value may be a name typed into the wrong box). Server errors
show an error id that the log also carries, and the log carries no request
data.
"""

from __future__ import annotations

import logging
import os
import secrets
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from gvi.core.failures import FormErrors, NotVisible, Refused, VersionConflict, field_detail
from gvi.core.hygiene import ControlCharactersRefused
from gvi.core.paging import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    PAGE_PARAMETERS,
    PAGE_SIZE_TOO_BIG,
    PAGE_TOO_FAR,
    SIZE_PARAMETERS,
)
from gvi.core.web import refusal_status, wants_json
from gvi.i18n import N_, gettext

log = logging.getLogger("gvi.errors")

NOT_FOUND_DETAIL = N_("Hittades inte")

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: N_("Felaktig begäran"),
    401: N_("Inte inloggad"),
    403: N_("Inte tillåtet"),
    404: N_("Hittades inte"),
    405: N_("Metoden stöds inte"),
    409: N_("Konflikt"),
    412: N_("Uppgifterna har ändrats"),
    413: N_("För stor begäran"),
    428: N_("Version saknas"),
    429: N_("För många anrop"),
    500: N_("Tekniskt fel"),
}


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """The one error body of the JSON API: problem details (RFC 9457) in the
    request's language, with ``errors: [{field, message}]`` when fields are at
    fault. ``status_code`` repeats ``status`` for clients of the first release."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": gettext(TITLES.get(status, TITLES[400] if status < 500 else TITLES[500])),
        "status": status,
        "status_code": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    # Structured facts a client can act on (e.g. the references of open cases).
    body.update({k: v for k, v in (extra or {}).items() if k not in body})
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _html(request: Request[Any, Any, Any], status: int, title: str, message: str) -> Template:
    return Template(
        template_name="error.html",
        context={
            "status": status,
            "title": title,
            "message": message,
            "principal": getattr(request.state, "principal", None),
            "flashes": [],
        },
        status_code=status,
    )


def not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if wants_json(request):
        return problem(404, gettext(NOT_FOUND_DETAIL))
    return _html(
        request,
        404,
        gettext("Sidan finns inte"),
        gettext("Det du letar efter finns inte, eller så har du inte tillgång till det."),
    )


def not_authorized(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if wants_json(request):
        return problem(401, gettext("Logga in för att fortsätta."))
    redirect: Response[Any] = Redirect(path="/login", status_code=303)
    return redirect


def permission_denied(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    detail = (
        str(exc.detail) if isinstance(exc, HTTPException) else gettext("Åtgärden är inte tillåten.")
    )
    if wants_json(request):
        return problem(403, detail)
    return _html(request, 403, gettext("Åtgärden stoppades"), detail)


def validation_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    errors: list[dict[str, str]] = []
    extra = getattr(exc, "extra", None)
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict):
                errors.append(
                    {"field": str(item.get("key", "")), "message": str(item.get("message", ""))}
                )
    detail = gettext("Uppgifterna kunde inte tas emot: kontrollera fälten.")
    if isinstance(exc, ControlCharactersRefused):
        detail = str(exc.detail)
    for fields, message in (
        (PAGE_PARAMETERS, gettext(PAGE_TOO_FAR) % {"max": MAX_PAGE}),
        (SIZE_PARAMETERS, gettext(PAGE_SIZE_TOO_BIG) % {"max": MAX_PAGE_SIZE}),
    ):
        if any(e["field"] in fields for e in errors):
            detail = message
            for e in errors:
                if e["field"] in fields:
                    e["message"] = message
    if wants_json(request):
        return problem(400, detail, errors=errors)
    return _html(request, 400, gettext("Felaktiga uppgifter"), detail)


def refused(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A refusal no handler turned into a re-rendered form: the API gets 400/409
    with the fields named, a page gets the message. A version conflict on a
    request that named its version in ``If-Match`` is 412 (gvi/core/rest.py)."""
    assert isinstance(exc, Refused)
    status = refusal_status(exc)
    if wants_json(request):
        if isinstance(exc, VersionConflict) and request.headers.get("if-match"):
            status = 412
        if isinstance(exc, FormErrors):
            fields = [{"field": k, "message": m} for k, m in exc.errors.items()]
            return problem(status, field_detail(exc.errors), errors=fields)
        return problem(status, str(exc))
    return _html(request, status, gettext("Det gick inte att spara"), str(exc))


def refused_value(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A value the database cannot hold (an id or number out of range; on
    PostgreSQL also a NUL byte or text too long): the request's fault, so it
    answers like a validation error. The log names the route, never the value."""
    log.warning(
        "value refused by the database: %s route=%s",
        type(exc).__name__,
        request.scope.get("path_template", "?"),
    )
    return validation_error(request, exc)


def http_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    if wants_json(request):
        extra = exc.extra if isinstance(exc.extra, dict) else None
        return problem(exc.status_code, exc.detail, extra=extra, headers=exc.headers)
    return _html(request, exc.status_code, gettext("Något gick fel"), exc.detail)


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    error_id = secrets.token_hex(6)
    # Type and id only: exception messages can quote database values.
    log.error(
        "unhandled %s error_id=%s route=%s",
        type(exc).__name__,
        error_id,
        request.scope.get("path_template", "?"),
    )
    if os.environ.get("GVI_ENV") == "test":
        log.error("test traceback", exc_info=exc)
    message = gettext(
        "Ett oväntat fel inträffade. Försök igen; om felet kvarstår, ge felkoden %(error_id)s "
        "till den som förvaltar systemet."
    ) % {"error_id": error_id}
    if wants_json(request):
        return problem(HTTP_500_INTERNAL_SERVER_ERROR, message, extra={"error_id": error_id})
    return _html(request, 500, gettext("Tekniskt fel"), message)


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    NotFoundException: not_found,
    NotVisible: not_found,
    Refused: refused,
    404: not_found,
    NotAuthorizedException: not_authorized,
    PermissionDeniedException: permission_denied,
    ValidationException: validation_error,
    # SQLite: an int beyond 64 bits; PostgreSQL: SQLSTATE class 22 (data exception).
    OverflowError: refused_value,
    asyncpg.exceptions.DataError: refused_value,
    HTTPException: http_error,
    HTTP_500_INTERNAL_SERVER_ERROR: server_error,
    Exception: server_error,
}
