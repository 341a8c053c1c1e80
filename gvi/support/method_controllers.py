"""The method catalogue: the JSON API under /api/v1/methods and the pages under
/methods (README: Methods and their evidence).

Handlers only translate: forms and JSON into the services' structs, the
services' refusals into field errors, 400, 404 or 409 (:func:`gvi.core.web.submit`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core import rest
from gvi.core.paging import PAGE_SIZE, page_rows, pages_count
from gvi.core.params import PageNumber
from gvi.core.shapes import CreatedOut as Created
from gvi.core.web import page, submit_form, translated
from gvi.i18n import gettext
from gvi.support import services
from gvi.support.forms import EVIDENCE_LABELS
from gvi.support.schemas import (
    MethodChangesIn,
    MethodIn,
    MethodPage,
    MethodUpdateIn,
    MethodView,
)
from gvi.support.services.methods import unit_choices
from gvi.support.tables import Method

METHODS_READ = {"permission": Permission.methods_read}
METHODS_WRITE = {"permission": Permission.methods_write}

Form = Mapping[str, Any]


async def _method_list(
    principal: Principal, page: int, q: str, evidence: str, size: int = PAGE_SIZE
) -> MethodPage:
    """One page of the catalogue: the API's answer, and the list page's rows."""
    page = max(page, 1)
    rows, total = await services.list_methods(
        principal, search=q, evidence=evidence, **page_rows(page, size)
    )
    return MethodPage(items=rows, total=total, page=page, page_size=size)


class MethodsApi(Controller):
    path = "/api/v1/methods"
    tags = ["methods"]

    @rest.listing("/", opt=METHODS_READ, name="api.methods.list")
    async def list_methods(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        q: FromQuery[str] = "",
        evidence: FromQuery[str] = "",
    ) -> Response[MethodPage]:
        evidence = rest.known_value(evidence, Method.Evidence.__members__, "evidence")
        return window.answer(await _method_list(principal, window.page, q, evidence, window.size))

    @rest.create("/", opt=METHODS_WRITE, name="api.methods.create")
    async def create_method(
        self, principal: NamedDependency[Principal], data: JSONBody[MethodIn]
    ) -> Response[Created]:
        created = Created(id=await services.create_method(principal, data))
        return rest.created(self.path, created)

    @rest.show("/{method_id:int}", opt=METHODS_READ, name="api.methods.show")
    async def show_method(
        self, principal: NamedDependency[Principal], method_id: FromPath[int]
    ) -> Response[MethodView]:
        return rest.tagged(await services.get_method(principal, method_id))

    @rest.update("/{method_id:int}", opt=METHODS_WRITE, name="api.methods.update")
    async def update_method(
        self,
        principal: NamedDependency[Principal],
        method_id: FromPath[int],
        data: JSONBody[MethodChangesIn],
        expected: rest.Expected,
    ) -> Response[MethodView]:
        """Fields left out keep their value."""
        update = rest.body_versioned(services.update_method, MethodUpdateIn)
        read = services.get_method
        return await rest.patched(update, read, principal, method_id, expected, data)


def _render(
    request: Request[Any, Any, Any], template: str, context: dict[str, Any], *, status_code: int
) -> Template:
    ctx = {"evidence_levels": translated(EVIDENCE_LABELS), "errors": {}, **context}
    return page(request, template, ctx, status_code=status_code)


async def _new_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    form: Form | None = None,
    errors: Mapping[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    values: dict[str, Any] = {
        "unit_id": "",
        "name": "",
        "description": "",
        "evidence": "",
        "evidence_source": "",
    }
    if form is not None:
        values.update({k: v for k, v in form.items() if k in values})
    return _render(
        request,
        "methods/new.html",
        {"form": values, "units": await unit_choices(principal), "errors": dict(errors or {})},
        status_code=status_code,
    )


async def _method_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    method_id: int,
    *,
    edit: Form | None = None,
    errors: Mapping[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    method = await services.get_method(principal, method_id)
    values: dict[str, Any] = {
        "name": method.name,
        "description": method.description,
        "evidence": method.evidence,
        "evidence_source": method.evidence_source,
        "is_active": "true" if method.is_active else "false",
    }
    if edit is not None:
        values.update({k: v for k, v in edit.items() if k in values})
    return _render(
        request,
        "methods/show.html",
        {"method": method, "edit": values, "errors": dict(errors or {}), "error": error},
        status_code=status_code,
    )


class MethodPages(Controller):
    path = "/methods"
    include_in_schema = False

    @get("/", opt=METHODS_READ, name="methods.list")
    async def list_methods(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        evidence: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        listing = await _method_list(principal, page, q, evidence)
        return _render(
            request,
            "methods/list.html",
            {
                "methods": listing.items,
                "total": listing.total,
                "filters": {"q": q, "evidence": evidence},
                "page": listing.page,
                "pages": pages_count(listing.total),
                "may_create": bool(principal.unit_ids),
            },
            status_code=200,
        )

    @get("/new", opt=METHODS_WRITE, name="methods.new")
    async def new_method(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return await _new_page(request, principal)

    @post("/new", opt=METHODS_WRITE, name="methods.create")
    async def create_method(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        return await submit_form(
            request,
            MethodIn,
            data,
            partial(services.create_method, principal),
            page=partial(_new_page, request, principal),
            form_as="form",
            to=lambda method_id: f"/methods/{method_id}",
            flash=gettext("Metoden är sparad i katalogen."),
        )

    @get("/{method_id:int}", opt=METHODS_READ, name="methods.show")
    async def show_method(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        method_id: FromPath[int],
    ) -> Template:
        return await _method_page(request, principal, method_id)

    @post("/{method_id:int}/edit", opt=METHODS_WRITE, name="methods.update")
    async def update_method(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        method_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        return await submit_form(
            request,
            MethodUpdateIn,
            data,
            partial(services.update_method, principal, method_id),
            page=partial(_method_page, request, principal, method_id),
            form_as="edit",
            prefix="edit.",
            to=f"/methods/{method_id}",
            flash=gettext("Ändringarna är sparade."),
        )


METHOD_ROUTES = [MethodsApi, MethodPages]
