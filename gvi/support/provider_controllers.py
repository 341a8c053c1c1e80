"""Provider control: the particular requirements of an agreement and the deviations
(avvikelser) of a provider, on the provider page and under /api/v1/providers
(README: Provider control). The checks and visits are in :mod:`.controllers`."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core.shapes import CreatedOut as Created
from gvi.core.web import submit_form
from gvi.i18n import gettext
from gvi.support import services
from gvi.support.controllers import provider_page
from gvi.support.schemas import (
    ProviderDeviationCloseIn,
    ProviderDeviationIn,
    ProviderRequirementIn,
)

WRITE = {"permission": Permission.providers_write}


class ProviderControlApi(Controller):
    path = "/api/v1/providers"
    tags = ["providers"]

    @post("/{provider_id:int}/requirements", opt=WRITE, name="api.providers.requirement")
    async def add_requirement(
        self,
        principal: NamedDependency[Principal],
        provider_id: FromPath[int],
        data: JSONBody[ProviderRequirementIn],
    ) -> Created:
        return Created(id=await services.add_provider_requirement(principal, provider_id, data))

    @post("/{provider_id:int}/deviations", opt=WRITE, name="api.providers.deviation")
    async def add_deviation(
        self,
        principal: NamedDependency[Principal],
        provider_id: FromPath[int],
        data: JSONBody[ProviderDeviationIn],
    ) -> Created:
        return Created(id=await services.add_provider_deviation(principal, provider_id, data))

    @post(
        "/{provider_id:int}/deviations/{deviation_id:int}/close",
        opt=WRITE,
        name="api.providers.deviation_close",
        status_code=200,
    )
    async def close_deviation(
        self,
        principal: NamedDependency[Principal],
        provider_id: FromPath[int],
        deviation_id: FromPath[int],
        data: JSONBody[ProviderDeviationCloseIn],
    ) -> Created:
        await services.close_provider_deviation(principal, provider_id, deviation_id, data)
        return Created(id=deviation_id)


class ProviderControlPages(Controller):
    path = "/providers"
    include_in_schema = False

    @post("/{provider_id:int}/requirements", opt=WRITE, name="providers.requirement")
    async def add_requirement(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        provider_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        return await submit_form(
            request,
            ProviderRequirementIn,
            data,
            partial(services.add_provider_requirement, principal, provider_id),
            page=partial(provider_page, request, principal, provider_id),
            form_as="requirement",
            prefix="requirement.",
            to=f"/providers/{provider_id}",
            flash=gettext("Kravet är sparat."),
        )

    @post("/{provider_id:int}/deviations", opt=WRITE, name="providers.deviation")
    async def add_deviation(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        provider_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        return await submit_form(
            request,
            ProviderDeviationIn,
            data,
            partial(services.add_provider_deviation, principal, provider_id),
            page=partial(provider_page, request, principal, provider_id),
            form_as="deviation",
            prefix="deviation.",
            to=f"/providers/{provider_id}",
            flash=gettext("Avvikelsen är registrerad."),
        )

    @post(
        "/{provider_id:int}/deviations/{deviation_id:int}/close",
        opt=WRITE,
        name="providers.deviation_close",
    )
    async def close_deviation(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        provider_id: FromPath[int],
        deviation_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        return await submit_form(
            request,
            ProviderDeviationCloseIn,
            {**data, "deviation_id": str(deviation_id)},  # which close form to show again
            partial(services.close_provider_deviation, principal, provider_id, deviation_id),
            page=partial(provider_page, request, principal, provider_id),
            form_as="close",
            prefix="close.",
            to=f"/providers/{provider_id}",
            flash=gettext("Avvikelsen är stängd."),
        )


PROVIDER_CONTROL_ROUTES = [ProviderControlApi, ProviderControlPages]
