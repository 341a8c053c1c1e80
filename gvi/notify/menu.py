"""The counts in the main menu ("Uppgifter (3)"): the app's ``after_request`` adds
them to pages only (a rendered template with a signed-in user), never to the API
or a redirect, with one small scoped count query per counted item."""

from __future__ import annotations

from litestar import Response
from litestar.response import Template

from gvi.access.principal import Principal
from gvi.notify.counts import alerts_open, tasks_waiting


async def menu_counts(principal: Principal) -> dict[str, int]:
    """Menu entry → count, for the entries this user sees (zero left out)."""
    counts = {"tasks": await tasks_waiting(principal), "alerts": await alerts_open(principal)}
    return {key: n for key, n in counts.items() if n}


async def add_menu_counts(response: Response) -> Response:  # type: ignore[type-arg]
    if isinstance(response, Template):
        principal = (response.context or {}).get("principal")
        if isinstance(principal, Principal):
            response.context["menu_counts"] = await menu_counts(principal)
    return response
