"""The network over time on the web: the timeline page (/network/timeline) and its
JSON (/api/v1/network/timeline). Thin, like :mod:`gvi.networks.controllers`,
whose filter parsing and form context it shares.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from gvi.access.principal import Principal
from gvi.core.web import page, translated
from gvi.groups.labels import GROUP_ROLE_LABELS
from gvi.incidents.labels import INCIDENT_KIND_LABELS
from gvi.networks import services, timeline_services
from gvi.networks.controllers import READ, _filter, _form_context, vendor_context


class TimelineOut(msgspec.Struct):
    """The timeline figure and its span; ``incidents`` is null for a user who may
    not read incidents (then the figure has none)."""

    figure: dict[str, Any]
    first: str
    last: str
    groups: int
    relations: int
    incidents: int | None


class TimelineApi(Controller):
    path = "/api/v1/network"
    tags = ["network"]

    @get("/timeline", opt=READ, name="api.network.timeline")
    async def timeline_figure(
        self,
        principal: NamedDependency[Principal],
        municipality: FromQuery[list[int] | None] = None,
        kinds: FromQuery[list[str] | None] = None,
    ) -> TimelineOut:
        """The groups over time: a line per group, relations as spans, incidents
        (for users who may read them; that read is audited) as events."""
        view = await timeline_services.timeline_view(
            principal, _filter(principal, None, municipality, kinds, strict=True)
        )
        return TimelineOut(
            figure=view.figure,
            first=view.first.isoformat(),
            last=view.last.isoformat(),
            groups=len(view.groups),
            relations=len(view.relations),
            incidents=None if view.incidents is None else len(view.incidents),
        )


class TimelinePages(Controller):
    path = "/network"
    include_in_schema = False

    @get("/timeline", opt=READ, name="network.timeline")
    async def show_timeline(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        municipality: FromQuery[list[int] | None] = None,
        kinds: FromQuery[list[str] | None] = None,
    ) -> Template:
        flt = _filter(principal, None, municipality, kinds)
        view = await timeline_services.timeline_view(principal, flt)
        context = _form_context(flt, await services.municipality_choices(principal), "community")
        return page(
            request,
            "network/timeline.html",
            {
                **context,
                **vendor_context(),
                "view": view,
                # The figure goes into the page: one audited read per view, not two.
                "payload": {"figure": view.figure, "webgl": False},
                "incident_labels": translated(INCIDENT_KIND_LABELS),
                "role_labels": translated(GROUP_ROLE_LABELS),
                "group_names": {g.id: g.name for g, _start, _end in view.groups},
            },
        )


TIMELINE_ROUTES = [TimelineApi, TimelinePages]
