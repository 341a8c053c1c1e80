"""Provider control: the particular requirements of an agreement and the deviations
(avvikelser) of a provider, on the provider page and under /api/v1/providers
(README: Provider control). The checks and visits are in :mod:`.controllers`."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core.failures import Refused
from gvi.core.shapes import CreatedOut as Created
from gvi.core.web import refusal_view, submit
from gvi.defectors.forms import form_to
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
        async def add() -> int:
            typed = form_to(ProviderRequirementIn, data)
            return await services.add_provider_requirement(principal, provider_id, typed)

        async def again(exc: Refused, _status: int) -> Template:
            shown = refusal_view(exc, "requirement.")
            return await provider_page(request, principal, provider_id, requirement=data, **shown)

        return await submit(
            request,
            add(),
            rerender=again,
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
        async def add() -> int:
            typed = form_to(ProviderDeviationIn, data)
            return await services.add_provider_deviation(principal, provider_id, typed)

        async def again(exc: Refused, _status: int) -> Template:
            shown = refusal_view(exc, "deviation.")
            return await provider_page(request, principal, provider_id, deviation=data, **shown)

        return await submit(
            request,
            add(),
            rerender=again,
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
        async def close() -> None:
            typed = form_to(ProviderDeviationCloseIn, data)
            await services.close_provider_deviation(principal, provider_id, deviation_id, typed)

        async def again(exc: Refused, _status: int) -> Template:
            shown = refusal_view(exc, "close.")
            typed = {**data, "deviation_id": str(deviation_id)}
            return await provider_page(request, principal, provider_id, close=typed, **shown)

        return await submit(
            request,
            close(),
            rerender=again,
            to=f"/providers/{provider_id}",
            flash=gettext("Avvikelsen är stängd."),
        )


PROVIDER_CONTROL_ROUTES = [ProviderControlApi, ProviderControlPages]
