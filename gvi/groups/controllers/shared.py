"""What the register's controllers share: the route permissions, the page
renderer with the register's words, and where a page goes back to."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from litestar import Request
from litestar.response import Template

from gvi.access.permissions import Permission
from gvi.core import clock
from gvi.core.failures import FormErrors, Refused, VersionConflict
from gvi.core.forms import CONFIRM_VALUE
from gvi.core.web import page, translated
from gvi.groups import forms

READ = {"permission": Permission.groups_read}
WRITE = {"permission": Permission.groups_write}
MEMBERS = {"permission": Permission.memberships_write}
RELATIONS = {"permission": Permission.relations_write}

AnyRequest = Request[Any, Any, Any]
R = TypeVar("R")
D = TypeVar("D")


def group_page(
    request: AnyRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Template:
    """:func:`gvi.core.web.page` with the register's labels in the request's language."""
    ctx: dict[str, Any] = {
        "status_labels": translated(forms.STATUS_LABELS),
        "role_labels": translated(forms.ROLE_LABELS),
        "confidence_labels": translated(forms.CONFIDENCE_LABELS),
        "kind_labels": translated(forms.KIND_LABELS),
        "directed_kinds": forms.DIRECTED_KINDS,
        "confirm_value": CONFIRM_VALUE,
        "today": clock.today(),
    }
    ctx.update(context or {})
    return page(request, template, ctx, status_code=status_code)


def back_to(back: str, person_id: int | None, group_id: int | None) -> str:
    # A keyword, never a URL from the form: no open redirect.
    if back == "person" and person_id is not None:
        return f"/people/{person_id}"
    if group_id is not None:
        return f"/groups/{group_id}"
    return "/groups"


def refusal_context(exc: Refused) -> dict[str, Any]:
    """A refused form's ``errors`` (by field) and ``error`` (a conflict) for its page."""
    conflict = isinstance(exc, VersionConflict)
    return {
        "errors": exc.errors if isinstance(exc, FormErrors) else {},
        "error": str(exc) if conflict else None,
    }


def asked(draft_type: type[D], data: Any) -> D:
    """A service's draft or changes from an API body: its fields of the same names
    (``UNSET`` in an update: keep what is there)."""
    names = (f.name for f in dataclasses.fields(draft_type))  # type: ignore[arg-type]
    return draft_type(**{name: getattr(data, name) for name in names})
