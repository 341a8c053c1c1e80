"""The start page: what is waiting for this user, within their scope (gvi/notify/counts.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core.web import page
from gvi.notify.counts import waiting_for
from gvi.notify.services import visit_start_page

# Saved views of the network (another part of the app): linked when the route exists.
SAVED_VIEWS_PATH = "/network/views"


def _has_route(request: Request[Any, Any, Any], path: str) -> bool:
    return any(route.path == path for route in request.app.routes)


@get("/", opt={"permission": Permission.authenticated}, name="home", include_in_schema=False)
async def home(request: Request[Any, Any, Any], principal: NamedDependency[Principal]) -> Template:
    since = await visit_start_page(principal)
    counts = await waiting_for(principal, since=since)
    return page(
        request,
        "home.html",
        {
            "role": principal.role.value,
            "counts": counts,
            "since": since,
            "saved_views": SAVED_VIEWS_PATH if _has_route(request, SAVED_VIEWS_PATH) else "",
        },
    )
