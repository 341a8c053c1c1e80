"""Defector cases: JSON API (the full pages come with the cases feature)."""

from __future__ import annotations

from dataclasses import asdict

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.defectors import services


class CaseOut(msgspec.Struct):
    id: int
    reference: str
    status: str
    municipality: str
    person_code: str
    threat_level: str
    police_track_active: bool
    referral_source: str | None = None
    environment: str | None = None
    is_child: bool | None = None
    notes: str | None = None


class CasesApi(Controller):
    path = "/api/v1/cases"
    tags = ["defector cases"]

    # Police reach a case only through a disclosure; the service enforces it.
    @get("/{case_id:int}", opt={"permission": Permission.people_read}, name="api.cases.show")
    async def show_case(
        self, principal: NamedDependency[Principal], case_id: FromPath[int]
    ) -> CaseOut:
        return CaseOut(**asdict(await services.get_case(principal, case_id)))


CASE_ROUTES = [CasesApi]
