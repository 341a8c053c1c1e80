"""Defector cases: JSON API (the full pages come with the cases feature)."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.access.tables import LegalGround
from gvi.defectors import services


class DisclosureIn(msgspec.Struct):
    to_user_id: int
    legal_ground: LegalGround
    summary: str
    valid_days: int | None = 30


class DisclosureOut(msgspec.Struct):
    id: int


class CasesApi(Controller):
    path = "/api/v1/cases"
    tags = ["defector cases"]

    # Police reach a case only through a disclosure; the service enforces it.
    @get("/{case_id:int}", opt={"permission": Permission.people_read}, name="api.cases.show")
    async def show_case(
        self, principal: NamedDependency[Principal], case_id: FromPath[int]
    ) -> services.CaseView:
        return await services.get_case(principal, case_id)

    @post(
        "/{case_id:int}/disclosures",
        opt={"permission": Permission.disclosures_write},
        name="api.cases.disclose",
    )
    async def disclose(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[DisclosureIn],
    ) -> DisclosureOut:
        try:
            disclosure_id = await services.record_disclosure(
                principal,
                case_id,
                to_user_id=data.to_user_id,
                legal_ground=data.legal_ground,
                summary=data.summary,
                valid_days=data.valid_days,
            )
        except services.DisclosureError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        return DisclosureOut(id=disclosure_id)


CASE_ROUTES = [CasesApi]
