"""Incidents (police partition), scoped to the user's municipalities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.exceptions import NotFoundException

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.db import write_transaction
from gvi.incidents.tables import Incident


@dataclass(frozen=True)
class IncidentView:
    id: int
    occurred_at: str
    municipality: str
    kind: str
    harm: str
    area: str
    review_status: str


def incident_scope(principal: Principal) -> Any:
    return Incident.municipality.is_in(list(principal.municipality_ids) or [-1]) & (
        Incident.archived_at.is_null()
    )


async def get_incident(principal: Principal, incident_id: int) -> IncidentView:
    if not principal.can(Permission.incidents_read):
        raise NotFoundException()
    async with write_transaction(Incident._meta.db):
        row = (
            await Incident.select(
                Incident.id,
                Incident.occurred_at,
                Incident.municipality.name.as_alias("municipality_name"),
                Incident.kind,
                Incident.harm,
                Incident.area,
                Incident.review_status,
            )
            .where(incident_scope(principal) & (Incident.id == incident_id))
            .first()
        )
    if row is None:
        raise NotFoundException()
    return IncidentView(
        id=row["id"],
        occurred_at=row["occurred_at"].isoformat(),
        municipality=row["municipality_name"],
        kind=row["kind"],
        harm=row["harm"],
        area=row["area"],
        review_status=row["review_status"],
    )
