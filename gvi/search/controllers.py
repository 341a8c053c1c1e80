"""``/search``: the search box across records (gvi/search/services.py).

The term is sent in the body of a POST (with the CSRF token), never in the URL:
someone may type a name by mistake, and a URL ends up in logs and the browser's
history. The results link to the lists, whose filters are codes, references and
group names.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core.web import page
from gvi.search import services

AnyRequest = Request[Any, Any, Any]
ANYONE = {"permission": Permission.authenticated}


class SearchForm(msgspec.Struct):
    q: str = ""


class SearchPages(Controller):
    path = "/search"
    include_in_schema = False

    @get("/", opt=ANYONE, name="search.form")
    async def form(self, request: AnyRequest) -> Template:
        return page(request, "search/results.html", {"term": "", "results": None, "error": ""})

    @post("/", opt=ANYONE, name="search.run")
    async def run(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        data: URLEncodedBody[SearchForm],
    ) -> Template:
        try:
            results = await services.search(principal, data.q)
        except ValueError as refused:
            return page(
                request,
                "search/results.html",
                {"term": data.q, "results": None, "error": str(refused)},
                status_code=400,
            )
        return page(
            request, "search/results.html", {"term": results.term, "results": results, "error": ""}
        )


SEARCH_ROUTES = [SearchPages]
