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
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from gvi.core.hygiene import ControlCharactersRefused
from gvi.core.paging import MAX_PAGE, PAGE_PARAMETERS, PAGE_TOO_FAR
from gvi.core.web import wants_json
from gvi.i18n import N_, gettext

log = logging.getLogger("gvi.errors")

NOT_FOUND_DETAIL = N_("Hittades inte")


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
        return Response(
            {"status_code": 404, "detail": gettext(NOT_FOUND_DETAIL)},
            status_code=404,
            media_type=MediaType.JSON,
        )
    return _html(
        request,
        404,
        gettext("Sidan finns inte"),
        gettext("Det du letar efter finns inte, eller så har du inte tillgång till det."),
    )


def not_authorized(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if wants_json(request):
        return Response(
            {"status_code": 401, "detail": gettext("Logga in för att fortsätta.")},
            status_code=401,
            media_type=MediaType.JSON,
        )
    redirect: Response[Any] = Redirect(path="/login", status_code=303)
    return redirect


def permission_denied(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    detail = (
        str(exc.detail) if isinstance(exc, HTTPException) else gettext("Åtgärden är inte tillåten.")
    )
    if wants_json(request):
        return Response({"status_code": 403, "detail": detail}, status_code=403)
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
    if any(e["field"] in PAGE_PARAMETERS for e in errors):
        detail = gettext(PAGE_TOO_FAR) % {"max": MAX_PAGE}
        for e in errors:
            if e["field"] in PAGE_PARAMETERS:
                e["message"] = detail
    if wants_json(request):
        return Response({"status_code": 400, "detail": detail, "errors": errors}, status_code=400)
    return _html(request, 400, gettext("Felaktiga uppgifter"), detail)


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
        body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.detail}
        # Structured facts a client can act on (e.g. the references of open cases).
        if isinstance(exc.extra, dict):
            body.update({k: v for k, v in exc.extra.items() if k not in body})
        return Response(body, status_code=exc.status_code, headers=exc.headers)
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
        return Response(
            {"status_code": 500, "detail": message, "error_id": error_id},
            status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return _html(request, 500, gettext("Tekniskt fel"), message)


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    NotFoundException: not_found,
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
