"""The network over time against the database: the timeline of the groups in the
user's scope, with the incidents they were part of.

Scope as on the network page (:func:`gvi.networks.services.load_network`). The
incidents come only to users who may read incidents (``incidents:read``), from
their municipalities; that read is audited (``incident:read``, counts only) in
the same transaction. Group-level data otherwise, not audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import anyio.to_thread

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.db import write_transaction
from gvi.groups.labels import GROUP_ROLE_LABELS
from gvi.i18n import gettext
from gvi.incidents.labels import INCIDENT_KIND_LABELS
from gvi.incidents.tables import IncidentGroup
from gvi.networks import figures, loading, services, timeline
from gvi.networks.graph import GroupNode, Relation
from gvi.networks.timeline import TimelineIncident


@dataclass
class TimelineView:
    flt: services.NetworkFilter
    first: date
    last: date
    groups: list[tuple[GroupNode, date, date]]  # shown groups with their spans, by name
    relations: list[tuple[Relation, GroupNode, GroupNode]]
    incidents: list[TimelineIncident] | None  # None: the user may not read incidents
    figure: dict[str, Any]


def slider_span(data: services.NetworkData) -> tuple[date, date]:
    """First and last day of the network's relations (the slider's range)."""
    return timeline.span(timeline.relation_dates(data.relations), clock.today())


def slider_context(data: services.NetworkData, as_of: date) -> dict[str, Any]:
    """The as-of slider's monthly stops over the data's span, and where it stands."""
    first, last = slider_span(data)
    steps = timeline.monthly_steps(first, last)
    return {
        "slider_steps": [d.isoformat() for d in steps],
        "slider_index": timeline.step_index(steps, as_of),
    }


async def _incidents(principal: Principal, group_ids: list[int]) -> list[TimelineIncident]:
    found: dict[int, TimelineIncident] = {}
    for chunk in loading.chunks(group_ids):
        rows = (
            await IncidentGroup.select(
                IncidentGroup.incident,
                IncidentGroup.incident.occurred_at.as_alias("occurred_at"),
                IncidentGroup.incident.kind.as_alias("kind"),
                IncidentGroup.group,
                IncidentGroup.role,
            )
            .where(
                IncidentGroup.incident.municipality.is_in(
                    sorted(principal.municipality_ids) or [-1]
                )
                & IncidentGroup.incident.archived_at.is_null()
                & IncidentGroup.group.is_in(chunk or [-1])
            )
            .order_by(IncidentGroup.id)
        )
        for r in rows:
            known = found.get(r["incident"])
            link = ((r["group"], r["role"]),)
            found[r["incident"]] = TimelineIncident(
                id=r["incident"],
                day=clock.local_day(r["occurred_at"]),
                kind=r["kind"],
                groups=(known.groups if known else ()) + link,
            )
    return sorted(found.values(), key=lambda i: (i.day, i.id))


def build_timeline(
    flt: services.NetworkFilter,
    data: services.NetworkData,
    incidents: list[TimelineIncident] | None,
    today: date,
) -> TimelineView:
    """The view from loaded data: no database, CPU only."""
    relations = [r for r in data.relations if r.kind in flt.kinds]
    events = incidents or []
    first, last = timeline.span(
        [*timeline.relation_dates(relations), *(i.day for i in events)], today
    )
    by_id = {g.id: g for g in data.groups}
    spans = timeline.group_spans(data.groups, relations, events, first, last)
    shown = sorted(
        ((by_id[gid], a, b) for gid, (a, b) in spans.items()),
        key=lambda t: (t[0].name.casefold(), t[0].id),
    )
    pairs = [
        (r, by_id[r.source], by_id[r.target])
        for r in relations
        if r.source in by_id and r.target in by_id
    ]
    figure = timeline.timeline_figure(
        data.groups,
        relations,
        events,
        first,
        last,
        role_labels={k: gettext(v) for k, v in GROUP_ROLE_LABELS.items()},
        kind_labels={k: gettext(v) for k, v in figures.KIND_LABELS.items()},
        incident_labels={k: gettext(v) for k, v in INCIDENT_KIND_LABELS.items()},
    )
    return TimelineView(flt, first, last, shown, pairs, incidents, figure)


async def timeline_view(principal: Principal, flt: services.NetworkFilter) -> TimelineView:
    """The timeline of the groups in the filter; with the incidents when the user
    may read them (audited, in the same transaction as the read)."""
    async with write_transaction(IncidentGroup._meta.db):
        data = await services.load_network(principal, flt)
        incidents: list[TimelineIncident] | None = None
        if principal.can(Permission.incidents_read):
            incidents = await _incidents(principal, [g.id for g in data.groups])
            await record(
                AuditAction.incident_read,
                actor=principal,
                target_type="incident",
                details={
                    "view": "network_timeline",
                    "municipalities": sorted(flt.municipality_ids),
                    "incidents": len(incidents),
                },
            )
    view: TimelineView = await anyio.to_thread.run_sync(
        build_timeline, flt, data, incidents, clock.today()
    )
    return view
