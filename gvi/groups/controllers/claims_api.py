"""The JSON API of a kind of claim (memberships, relations), once: list, show,
create, PATCH, DELETE (archive), confirm and end, on the conventions of
:mod:`gvi.core.rest`. Each controller declares its routes and hands over."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from litestar import Response

from gvi.access.principal import Principal
from gvi.core import rest
from gvi.groups.controllers.shared import asked
from gvi.groups.schemas import ConfirmIn, EndIn

V = TypeVar("V")
O = TypeVar("O")  # noqa: E741


@dataclass(frozen=True)
class ClaimApi(Generic[V, O]):
    service: Any  # services.MEMBERSHIPS or services.RELATIONS
    get: Callable[[Principal, int], Awaitable[V]]
    out: Callable[[V], O]
    changes: type[Any]  # the service's changes dataclass
    # ((page, item) for analysts, (page, item) for everyone else)
    shapes: tuple[tuple[type[Any], type[Any]], tuple[type[Any], type[Any]]]

    def page(
        self, principal: Principal, window: rest.Window, rows: Sequence[V], total: int
    ) -> Response[Any]:
        """One page of claims in the caller's shape."""
        plain, full = self.shapes
        page_type, item_type = plain if principal.pseudonymous_only else full
        outs = [self.out(r) for r in rows]
        return window.page_of(page_type, [o for o in outs if isinstance(o, item_type)], total)

    async def shown(self, principal: Principal, claim_id: int) -> O:
        return self.out(await self.get(principal, claim_id))

    async def show(self, principal: Principal, claim_id: int) -> Response[O]:
        return rest.tagged(await self.shown(principal, claim_id))

    async def create(self, collection: str, principal: Principal, draft: Any) -> Response[O]:
        return rest.created(collection, self.out(await self.service.create(principal, draft)))

    async def update(
        self, principal: Principal, claim_id: int, data: Any, version: int
    ) -> Response[O]:
        changes = asked(self.changes, data)
        update = self.service.update
        return await rest.patched(update, self.shown, principal, claim_id, version, changes)

    async def archive(self, principal: Principal, claim_id: int, version: int) -> None:
        await self.service.archive(principal, claim_id, version)

    async def confirm(self, principal: Principal, claim_id: int, data: ConfirmIn) -> O:
        await self.service.confirm(principal, claim_id, data.version, data.review_by)
        return await self.shown(principal, claim_id)

    async def end(self, principal: Principal, claim_id: int, data: EndIn) -> O:
        await self.service.end(principal, claim_id, data.version, data.valid_to)
        return await self.shown(principal, claim_id)
