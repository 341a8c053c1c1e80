"""The outreach log: the JSON API under /api/v1/outreach and the pages under
/outreach (README: Outreach and reach). Handlers only translate; the one
edit/create pattern is :func:`gvi.core.web.submit`."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core import rest
from gvi.core.clock import today
from gvi.core.failures import FormErrors, Refused
from gvi.core.paging import PAGE_SIZE, page_rows, pages_count
from gvi.core.params import PageNumber
from gvi.core.shapes import CreatedOut as Created
from gvi.core.web import page, refusal_view, submit, submit_form, translated
from gvi.i18n import gettext
from gvi.outreach import services
from gvi.outreach.labels import CHANNEL_LABELS
from gvi.outreach.schemas import (
    ActivityChangesIn,
    ActivityIn,
    ActivityPage,
    ActivityUpdateIn,
    ActivityView,
)
from gvi.outreach.tables import Channel
from gvi.support.services.methods import unit_choices
from gvi.support.services.providers import municipality_choices

READ = {"permission": Permission.outreach_read}
WRITE = {"permission": Permission.outreach_write}

Form = Mapping[str, Any]


def _year(raw: str) -> int | None:
    """The list's year filter: blank or four digits (anything else: 400 in the API)."""
    raw = raw.strip()
    if not raw:
        return None
    if raw.isascii() and raw.isdigit() and len(raw) == 4:
        return int(raw)
    raise FormErrors({"year": gettext("Ange året med fyra siffror, till exempel 2024.")})


async def _activity_list(
    principal: Principal, page: int, channel: str, year: int | None, size: int = PAGE_SIZE
) -> ActivityPage:
    page = max(page, 1)
    rows, total = await services.list_activities(
        principal, channel=channel, year=year, **page_rows(page, size)
    )
    return ActivityPage(items=rows, total=total, page=page, page_size=size)


class OutreachApi(Controller):
    path = "/api/v1/outreach"
    tags = ["outreach"]

    @rest.listing("/", opt=READ, name="api.outreach.list")
    async def list_activities(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        channel: FromQuery[str] = "",
        year: FromQuery[str] = "",
    ) -> Response[ActivityPage]:
        channel = rest.known_value(channel, Channel.__members__, "channel")
        return window.answer(
            await _activity_list(principal, window.page, channel, _year(year), window.size)
        )

    @rest.create("/", opt=WRITE, name="api.outreach.create")
    async def create_activity(
        self, principal: NamedDependency[Principal], data: JSONBody[ActivityIn]
    ) -> Response[Created]:
        created = Created(id=await services.create_activity(principal, data))
        return rest.created(self.path, created)

    @rest.show("/{activity_id:int}", opt=READ, name="api.outreach.show")
    async def show_activity(
        self, principal: NamedDependency[Principal], activity_id: FromPath[int]
    ) -> Response[ActivityView]:
        return rest.tagged(await services.get_activity(principal, activity_id))

    @rest.update("/{activity_id:int}", opt=WRITE, name="api.outreach.update")
    async def update_activity(
        self,
        principal: NamedDependency[Principal],
        activity_id: FromPath[int],
        data: JSONBody[ActivityChangesIn],
        expected: rest.Expected,
    ) -> Response[ActivityView]:
        """Fields left out keep their value."""
        update = rest.body_versioned(services.update_activity, ActivityUpdateIn)
        read = services.get_activity
        return await rest.patched(update, read, principal, activity_id, expected, data)

    @rest.archive("/{activity_id:int}", opt=WRITE, name="api.outreach.archive")
    async def archive_activity(
        self,
        principal: NamedDependency[Principal],
        activity_id: FromPath[int],
        expected: rest.Expected,
    ) -> None:
        """Archive (never delete): the activity leaves the log and the figures."""
        await services.archive_activity(principal, activity_id, expected)


def _render(
    request: Request[Any, Any, Any], template: str, context: dict[str, Any], status_code: int
) -> Template:
    ctx = {"channels": translated(CHANNEL_LABELS), "errors": {}, **context}
    return page(request, template, ctx, status_code=status_code)


async def _new_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    form: Form | None = None,
    errors: Mapping[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    values: dict[str, Any] = {
        "unit_id": str(principal.unit_id or ""),
        "municipality_id": "",
        "held_on": today().isoformat(),
        "channel": "",
        "people_reached": "",
        "title": "",
    }
    if form is not None:
        values.update({k: v for k, v in form.items() if k in values})
    return _render(
        request,
        "outreach/new.html",
        {
            "form": values,
            "units": await unit_choices(principal),
            "municipalities": await municipality_choices(principal),
            "errors": dict(errors or {}),
        },
        status_code,
    )


async def _activity_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    activity_id: int,
    *,
    edit: Form | None = None,
    errors: Mapping[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    activity = await services.get_activity(principal, activity_id)
    values: dict[str, Any] = {
        "municipality_id": str(activity.municipality_id),
        "held_on": activity.held_on.isoformat(),
        "channel": activity.channel,
        "people_reached": str(activity.people_reached),
        "title": activity.title,
    }
    if edit is not None:
        values.update({k: v for k, v in edit.items() if k in values})
    return _render(
        request,
        "outreach/show.html",
        {
            "activity": activity,
            "edit": values,
            "municipalities": await municipality_choices(principal),
            "may_edit": principal.can(Permission.outreach_write),
            "errors": dict(errors or {}),
            "error": error,
        },
        status_code,
    )


class OutreachPages(Controller):
    path = "/outreach"
    include_in_schema = False

    @get("/", opt=READ, name="outreach.list")
    async def list_activities(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        channel: FromQuery[str] = "",
        year: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        try:
            chosen = _year(year)
            year_error = None
        except FormErrors as exc:
            chosen, year_error = None, exc.errors["year"]
        listing = await _activity_list(principal, page, channel, chosen)
        return _render(
            request,
            "outreach/list.html",
            {
                "activities": listing.items,
                "total": listing.total,
                "reached": sum(a.people_reached for a in listing.items),
                "filters": {"channel": channel, "year": year},
                "page": listing.page,
                "pages": pages_count(listing.total),
                "errors": {"year": year_error} if year_error else {},
            },
            400 if year_error else 200,
        )

    @get("/new", opt=WRITE, name="outreach.new")
    async def new_activity(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return await _new_page(request, principal)

    @post("/new", opt=WRITE, name="outreach.create")
    async def create_activity(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        return await submit_form(
            request,
            ActivityIn,
            data,
            partial(services.create_activity, principal),
            page=partial(_new_page, request, principal),
            form_as="form",
            to="/outreach",
            flash=gettext("Aktiviteten är sparad i loggen."),
        )

    @get("/{activity_id:int}", opt=READ, name="outreach.show")
    async def show_activity(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        activity_id: FromPath[int],
    ) -> Template:
        return await _activity_page(request, principal, activity_id)

    @post("/{activity_id:int}/edit", opt=WRITE, name="outreach.update")
    async def update_activity(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        activity_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        return await submit_form(
            request,
            ActivityUpdateIn,
            data,
            partial(services.update_activity, principal, activity_id),
            page=partial(_activity_page, request, principal, activity_id),
            form_as="edit",
            prefix="edit.",
            to=f"/outreach/{activity_id}",
            flash=gettext("Ändringarna är sparade."),
        )

    @post("/{activity_id:int}/archive", opt=WRITE, name="outreach.archive")
    async def archive_activity(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        activity_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        async def archive() -> None:
            raw = str(data.get("version", "")).strip()
            version = int(raw) if raw.isdigit() else -1
            await services.archive_activity(principal, activity_id, version)

        async def again(exc: Refused, _status: int) -> Template:
            return await _activity_page(request, principal, activity_id, **refusal_view(exc))

        return await submit(
            request,
            archive(),
            rerender=again,
            to="/outreach",
            flash=gettext("Aktiviteten är borttagen ur loggen och statistiken."),
        )


OUTREACH_ROUTES = [OutreachApi, OutreachPages]
