"""Incidents: the JSON API under /api/v1/incidents and the pages under /incidents.

Both faces call :mod:`gvi.incidents.services`, which owns scoping, audit and the
retaliation-risk assessment. A refusal the API does not catch is answered by
:mod:`gvi.core.errors` (400 naming the fields, 409 for a conflict).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core import rest
from gvi.core.clock import local_moment
from gvi.core.failures import FormErrors, Refused
from gvi.core.forms import (
    confirmed,
    read_date,
    read_id,
    read_ids,
    read_line,
    read_text,
    read_time,
    read_version,
)
from gvi.core.operations import aware, local
from gvi.core.paging import PAGE_SIZE, page_offset
from gvi.core.params import PageNumber, Signed
from gvi.core.shapes import CreatedOut
from gvi.core.web import ops_list, ops_page, redirect_with_flash, refusal_view, unconfirmed
from gvi.i18n import gettext
from gvi.incidents import services
from gvi.incidents.forms import ConfirmForm, IncidentForm, LinkPersonForm, ReviewForm
from gvi.incidents.labels import INCIDENT_KIND_LABELS, REVIEW_LABELS
from gvi.incidents.schemas import (
    GroupLinkOut,
    IncidentDetailOut,
    IncidentIn,
    IncidentOut,
    IncidentPage,
    LinkPersonIn,
    OpenRiskOut,
    PersonLinkOut,
    ReviewIn,
    RiskOut,
    RiskRowOut,
)

READ = {"permission": Permission.incidents_read}
WRITE = {"permission": Permission.incidents_write}

AnyRequest = Request[Any, Any, Any]


# --- conversions ---------------------------------------------------------------------


def _row_out(r: services.IncidentRow) -> IncidentOut:
    return IncidentOut(
        id=r.id,
        occurred_at=r.occurred_at.isoformat(),
        municipality=r.municipality,
        kind=r.kind,
        harm=r.harm,
        area=r.area,
        review_status=r.review_status,
        suspected_groups=r.suspected,
        victim_groups=r.victims,
    )


def _risk_row_out(r: services.RiskRow) -> RiskRowOut:
    return msgspec.convert(r, RiskRowOut, from_attributes=True)


def _detail_out(d: services.IncidentDetail) -> IncidentDetailOut:
    return IncidentDetailOut(
        id=d.id,
        version=d.version,
        occurred_at=d.occurred_at.isoformat(),
        municipality_id=d.municipality_id,
        municipality=d.municipality,
        area=d.area,
        place=d.place,
        kind=d.kind,
        harm=d.harm,
        motive=d.motive,
        review_status=d.review_status,
        review_notes=d.review_notes,
        groups=[GroupLinkOut(g.group_id, g.name, g.role) for g in d.groups],
        people=[PersonLinkOut(p.link_id, p.person_id, p.code, p.role) for p in d.people],
        risk=RiskOut(
            incident_day=d.risk.incident_day,
            open_until=d.risk.open_until,
            is_open=d.risk.is_open,
            ranking=[_risk_row_out(r) for r in d.risk.ranking],
            proposed_group_ids=d.risk.proposed_groups,
        )
        if d.risk
        else None,
    )


def _api_draft(data: IncidentIn) -> services.IncidentDraft:
    return services.IncidentDraft(
        occurred_at=aware(data.occurred_at),
        municipality_id=data.municipality_id,
        area=" ".join(data.area.split()),
        place=data.place.strip(),
        kind=data.kind,
        harm=data.harm,
        motive=data.motive.strip(),
        suspected_group_ids=data.suspected_group_ids,
        victim_group_ids=data.victim_group_ids,
    )


def _form_draft(form: IncidentForm) -> tuple[services.IncidentDraft, dict[str, str]]:
    errors: dict[str, str] = {}
    day = read_date(form.occurred_on, "occurred_on", errors)
    clock = read_time(form.occurred_time, "occurred_time", errors)
    municipality = read_id(
        form.municipality, "municipality", errors, gettext("Välj en av dina kommuner.")
    )
    suspected = read_ids(
        form.suspected(), "suspected_groups", errors, gettext("Välj grupper i listan.")
    )
    victims = read_ids(form.victims(), "victim_groups", errors, gettext("Välj grupper i listan."))
    draft = services.IncidentDraft(
        occurred_at=local_moment(day, clock) if day and clock else None,
        municipality_id=municipality,
        area=read_line(form.area, "area", errors),
        place=read_text(form.place, "place", errors),
        kind=form.kind,
        harm=form.harm,
        motive=read_text(form.motive, "motive", errors),
        suspected_group_ids=suspected,
        victim_group_ids=victims,
    )
    return draft, errors


def _form_of(d: services.IncidentDetail) -> IncidentForm:
    moment = local(d.occurred_at)
    return IncidentForm(
        version=str(d.version),
        occurred_on=moment.date().isoformat(),
        occurred_time=moment.strftime("%H:%M"),
        municipality=str(d.municipality_id),
        area=d.area,
        place=d.place,
        kind=d.kind,
        harm=d.harm,
        motive=d.motive,
        suspected_groups=[str(g.group_id) for g in d.groups if g.role == "suspected"],
        victim_groups=[str(g.group_id) for g in d.groups if g.role == "victim"],
    )


# --- API -------------------------------------------------------------------------------


class IncidentsApi(Controller):
    path = "/api/v1/incidents"
    tags = ["incidents"]

    @rest.listing("/", opt=READ, name="api.incidents.list")
    async def list_incidents(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        q: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        review_status: FromQuery[str] = "",
    ) -> Response[IncidentPage]:
        rows, total = await services.list_incidents(
            principal,
            search=q,
            kind=rest.known_value(kind, INCIDENT_KIND_LABELS, "kind"),
            review_status=rest.known_value(review_status, REVIEW_LABELS, "review_status"),
            **window.rows,
        )
        return window.page_of(IncidentPage, [_row_out(r) for r in rows], total)

    @get("/risks", opt=READ, name="api.incidents.risks")
    async def open_risks(self, principal: NamedDependency[Principal]) -> list[OpenRiskOut]:
        return [
            OpenRiskOut(
                incident_id=r.incident_id,
                incident_day=r.incident_day,
                kind=r.kind,
                municipality=r.municipality,
                open_until=r.open_until,
                top=[_risk_row_out(x) for x in r.top],
            )
            for r in await services.open_risks(principal)
        ]

    @rest.show("/{incident_id:int}", opt=READ, name="api.incidents.show")
    async def show_incident(
        self, principal: NamedDependency[Principal], incident_id: FromPath[int]
    ) -> Response[IncidentDetailOut]:
        return rest.tagged(await _incident(principal, incident_id))

    @rest.create("/", opt=WRITE, name="api.incidents.create")
    async def create_incident(
        self, principal: NamedDependency[Principal], data: JSONBody[IncidentIn]
    ) -> Response[CreatedOut]:
        incident_id = await services.create_incident(principal, _api_draft(data))
        return rest.created(self.path, CreatedOut(id=incident_id))

    @rest.update("/{incident_id:int}", opt=WRITE, name="api.incidents.update")
    async def update_incident(
        self,
        principal: Signed,
        incident_id: FromPath[int],
        data: JSONBody[IncidentIn],
        expected: rest.Expected,
    ) -> Response[IncidentDetailOut]:
        """The whole incident, as on create (fields left out take their defaults)."""
        update, draft = services.update_incident, _api_draft(data)
        return await rest.patched(update, _incident, principal, incident_id, expected, draft)

    @post("/{incident_id:int}/review", opt=WRITE, name="api.incidents.review", status_code=200)
    async def review_incident(
        self,
        principal: NamedDependency[Principal],
        incident_id: FromPath[int],
        data: JSONBody[ReviewIn],
    ) -> IncidentDetailOut:
        await services.review_incident(
            principal, incident_id, data.version, data.review_status, data.review_notes
        )
        return await _incident(principal, incident_id)

    @post("/{incident_id:int}/people", opt=WRITE, name="api.incidents.link_person")
    async def link_person(
        self,
        principal: NamedDependency[Principal],
        incident_id: FromPath[int],
        data: JSONBody[LinkPersonIn],
    ) -> CreatedOut:
        link_id = await services.link_person(principal, incident_id, data.code, data.role)
        return CreatedOut(id=link_id)


async def _incident(principal: Principal, incident_id: int) -> IncidentDetailOut:
    return _detail_out(await services.get_incident(principal, incident_id))


# --- pages -----------------------------------------------------------------------------


async def _form_page(
    request: AnyRequest,
    principal: Principal,
    form: IncidentForm,
    *,
    incident_id: int | None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    return ops_page(
        request,
        "incidents/form.html",
        {
            "form": form,
            "errors": errors or {},
            "error": error,
            "incident_id": incident_id,
            "municipalities": await services.municipality_choices(principal),
            "groups": await services.group_choices(principal),
        },
        status_code=status_code,
    )


async def _show(
    request: AnyRequest,
    principal: Principal,
    incident_id: int,
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    review: ReviewForm | None = None,
    link: LinkPersonForm | None = None,
    status_code: int = 200,
) -> Template:
    incident = await services.get_incident(principal, incident_id)
    return ops_page(
        request,
        "incidents/show.html",
        {
            "incident": incident,
            "errors": errors or {},
            "error": error,
            "review": review
            or ReviewForm(
                version=str(incident.version),
                review_status=incident.review_status,
                review_notes=incident.review_notes,
            ),
            "link": link or LinkPersonForm(),
            "can_write": principal.can(Permission.incidents_write),
            "window_days": services.RETALIATION_WINDOW_DAYS,
        },
        status_code=status_code,
    )


class IncidentPages(Controller):
    path = "/incidents"
    include_in_schema = False

    @get("/", opt=READ, name="incidents.list")
    async def list_incidents(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        review_status: FromQuery[str] = "",
        sort: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        page_no = max(page, 1)
        rows, total = await services.list_incidents(
            principal,
            search=q,
            kind=kind,
            review_status=review_status,
            sort=sort,
            limit=PAGE_SIZE,
            offset=page_offset(page_no),
        )
        return ops_list(
            request,
            "incidents/list.html",
            "incidents",
            rows,
            total,
            page_no,
            {"can_write": principal.can(Permission.incidents_write)},
            filters={"q": q, "kind": kind, "review_status": review_status},
            sort=services.INCIDENT_SORTS.parse(sort).param,
        )

    @get("/risks", opt=READ, name="incidents.risks")
    async def open_risks(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Template:
        return ops_page(
            request,
            "incidents/risks.html",
            {
                "risks": await services.open_risks(principal),
                "window_days": services.RETALIATION_WINDOW_DAYS,
            },
        )

    @get("/new", opt=WRITE, name="incidents.new")
    async def new_incident(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Template:
        form = IncidentForm(kind="shooting")
        if len(principal.municipality_ids) == 1:
            form.municipality = str(next(iter(principal.municipality_ids)))
        return await _form_page(request, principal, form, incident_id=None)

    @post("/new", opt=WRITE, name="incidents.create")
    async def create_incident(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        data: URLEncodedBody[IncidentForm],
    ) -> Template | Redirect:
        draft, errors = _form_draft(data)
        try:
            incident_id = await services.create_incident(principal, draft, known_errors=errors)
        except Refused as exc:
            return await _form_page(request, principal, data, incident_id=None, **refusal_view(exc))
        return redirect_with_flash(
            request,
            f"/incidents/{incident_id}",
            gettext("Händelsen är registrerad. Risken för repressalier är bedömd nedan."),
        )

    @get("/{incident_id:int}", opt=READ, name="incidents.show")
    async def show_incident(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        incident_id: FromPath[int],
    ) -> Template:
        return await _show(request, principal, incident_id)

    @get("/{incident_id:int}/edit", opt=WRITE, name="incidents.edit")
    async def edit_incident(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        incident_id: FromPath[int],
    ) -> Template:
        incident = await services.get_incident(principal, incident_id)
        return await _form_page(request, principal, _form_of(incident), incident_id=incident_id)

    @post("/{incident_id:int}/edit", opt=WRITE, name="incidents.update")
    async def update_incident(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        incident_id: FromPath[int],
        data: URLEncodedBody[IncidentForm],
    ) -> Template | Redirect:
        draft, errors = _form_draft(data)
        try:
            await services.update_incident(
                principal, incident_id, read_version(data.version), draft, known_errors=errors
            )
        except Refused as exc:
            return await _form_page(
                request, principal, data, incident_id=incident_id, **refusal_view(exc)
            )
        return redirect_with_flash(
            request,
            f"/incidents/{incident_id}",
            gettext("Ändringarna är sparade och risken för repressalier är bedömd på nytt."),
        )

    @post("/{incident_id:int}/review", opt=WRITE, name="incidents.review")
    async def review_incident(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        incident_id: FromPath[int],
        data: URLEncodedBody[ReviewForm],
    ) -> Template | Redirect:
        try:
            await services.review_incident(
                principal,
                incident_id,
                read_version(data.version),
                data.review_status,
                data.review_notes,
            )
        except Refused as exc:
            return await _show(
                request, principal, incident_id, review=data, **refusal_view(exc, "review.")
            )
        return redirect_with_flash(
            request, f"/incidents/{incident_id}#review", gettext("Granskningen är sparad.")
        )

    @post("/{incident_id:int}/people", opt=WRITE, name="incidents.link_person")
    async def link_person(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        incident_id: FromPath[int],
        data: URLEncodedBody[LinkPersonForm],
    ) -> Template | Redirect:
        try:
            await services.link_person(principal, incident_id, data.code, data.role)
        except FormErrors as exc:
            # The typed code is not echoed when it was not a code (it may be a name).
            shown = data if "code" not in exc.errors else LinkPersonForm(role=data.role)
            return await _show(
                request,
                principal,
                incident_id,
                errors={f"link.{k}": v for k, v in exc.errors.items()},
                link=shown,
                status_code=400,
            )
        return redirect_with_flash(
            request,
            f"/incidents/{incident_id}#people",
            gettext("Personen är kopplad till händelsen."),
        )

    @post(
        "/{incident_id:int}/people/{link_id:int}/remove",
        opt=WRITE,
        name="incidents.unlink_person",
    )
    async def unlink_person(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        incident_id: FromPath[int],
        link_id: FromPath[int],
        data: URLEncodedBody[ConfirmForm],
    ) -> Template | Redirect:
        if not confirmed(data.confirm):
            return await _show(request, principal, incident_id, **unconfirmed(f"unlink-{link_id}"))
        await services.unlink_person(principal, incident_id, link_id)
        return redirect_with_flash(
            request,
            f"/incidents/{incident_id}#people",
            gettext("Kopplingen till personen är borttagen."),
        )


INCIDENT_ROUTES = [IncidentsApi, IncidentPages]
