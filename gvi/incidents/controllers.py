"""Incidents: JSON API (the full pages come with the operations feature)."""

from __future__ import annotations

from dataclasses import asdict

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.incidents import services


class IncidentOut(msgspec.Struct):
    id: int
    occurred_at: str
    municipality: str
    kind: str
    harm: str
    area: str
    review_status: str


class IncidentsApi(Controller):
    path = "/api/v1/incidents"
    tags = ["incidents"]

    @get(
        "/{incident_id:int}",
        opt={"permission": Permission.incidents_read},
        name="api.incidents.show",
    )
    async def show_incident(
        self, principal: NamedDependency[Principal], incident_id: FromPath[int]
    ) -> IncidentOut:
        return IncidentOut(**asdict(await services.get_incident(principal, incident_id)))


INCIDENT_ROUTES = [IncidentsApi]
