"""The start page: what this user can do, by role."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core.web import page


@get("/", opt={"permission": Permission.authenticated}, name="home", include_in_schema=False)
async def home(request: Request[Any, Any, Any], principal: NamedDependency[Principal]) -> Template:
    return page(request, "home.html", {"role": principal.role.value})
