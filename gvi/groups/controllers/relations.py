"""Relations between groups: the JSON API under /api/v1/relations and the pages
under /relations. Thin: :mod:`gvi.groups.services` owns scope, queries and audit."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.principal import Principal
from gvi.core import rest
from gvi.core.failures import Refused
from gvi.core.forms import read_id, read_int, read_version
from gvi.core.params import Signed
from gvi.core.web import submit
from gvi.groups import forms, services
from gvi.groups.controllers.claims import (
    ClaimScreens,
    claim_dates,
    claim_form_values,
)
from gvi.groups.controllers.claims_api import ClaimApi
from gvi.groups.controllers.shapes import relation_out
from gvi.groups.controllers.shared import (
    READ,
    RELATIONS,
    AnyRequest,
    asked,
    refusal_context,
)
from gvi.groups.forms import ArchiveForm, RelationForm
from gvi.groups.schemas import (
    RELATION_SHAPES,
    ConfirmIn,
    EndIn,
    RelationFullOut,
    RelationFullPage,
    RelationIn,
    RelationOut,
    RelationPage,
    RelationUpdateIn,
)
from gvi.groups.services import RelationChanges, RelationView, get_relation
from gvi.i18n import gettext

Shown = RelationOut | RelationFullOut


API: ClaimApi[RelationView, Shown] = ClaimApi(
    services.RELATIONS, get_relation, relation_out, RelationChanges, RELATION_SHAPES
)


class RelationsApi(Controller):
    path = "/api/v1/relations"
    tags = ["relations"]

    @rest.listing("/", opt=READ, name="api.relations.list")
    async def list_relations(
        self,
        principal: Signed,
        window: NamedDependency[rest.Window],
        group_id: FromQuery[int | None] = None,
        as_of: FromQuery[date | None] = None,
    ) -> Response[RelationPage | RelationFullPage]:
        rows, total = await services.list_relations(
            principal, group_id=group_id, as_of=as_of, **window.rows
        )
        return API.page(principal, window, rows, total)

    @rest.create("/", opt=RELATIONS, name="api.relations.create")
    async def create_relation(
        self, principal: Signed, data: JSONBody[RelationIn]
    ) -> Response[Shown]:
        return await API.create(self.path, principal, asked(services.RelationDraft, data))

    @rest.show("/{relation_id:int}", opt=READ, name="api.relations.show")
    async def show_relation(self, principal: Signed, relation_id: FromPath[int]) -> Response[Shown]:
        return await API.show(principal, relation_id)

    @rest.update("/{relation_id:int}", opt=RELATIONS, name="api.relations.update")
    async def update_relation(
        self,
        principal: Signed,
        relation_id: FromPath[int],
        data: JSONBody[RelationUpdateIn],
        expected: rest.Expected,
    ) -> Response[Shown]:
        """Fields left out keep their value."""
        return await API.update(principal, relation_id, data, expected)

    @rest.archive("/{relation_id:int}", opt=RELATIONS, name="api.relations.archive")
    async def archive_relation(
        self, principal: Signed, relation_id: FromPath[int], expected: rest.Expected
    ) -> None:
        """Archive a relation entered in error (the row stays; ending a true one is /end)."""
        await API.archive(principal, relation_id, expected)

    @post(
        "/{relation_id:int}/confirm",
        opt=RELATIONS,
        name="api.relations.confirm",
        status_code=200,
    )
    async def confirm_relation(
        self, principal: Signed, relation_id: FromPath[int], data: JSONBody[ConfirmIn]
    ) -> Shown:
        return await API.confirm(principal, relation_id, data)

    @post("/{relation_id:int}/end", opt=RELATIONS, name="api.relations.end", status_code=200)
    async def end_relation(
        self, principal: Signed, relation_id: FromPath[int], data: JSONBody[EndIn]
    ) -> Shown:
        return await API.end(principal, relation_id, data)


def _relation_form(r: services.RelationView, back: str = "") -> RelationForm:
    # The relation pages always go back to the first group: *back* is not kept.
    return RelationForm(
        group_a=str(r.group_a_id),
        group_b=str(r.group_b_id),
        kind=r.kind,
        intensity=str(r.intensity),
        **claim_form_values(r),
    )


def _keep_ends(form: RelationForm, r: services.RelationView) -> None:
    form.group_a, form.group_b = str(r.group_a_id), str(r.group_b_id)


def _intensity(form: RelationForm, errors: dict[str, str]) -> int | None:
    return read_int(
        form.intensity,
        "intensity",
        errors,
        low=forms.INTENSITY_MIN,
        high=forms.INTENSITY_MAX,
        message=forms.form_message("intensity"),
    )


SCREENS: ClaimScreens[services.RelationView, RelationForm] = ClaimScreens(
    template="relations/form.html",
    key="relation",
    get=services.get_relation,
    form_of=_relation_form,
    keep_ends=_keep_ends,
)


class RelationPages(Controller):
    path = "/relations"
    include_in_schema = False

    @get("/new", opt=RELATIONS, name="relations.new")
    async def new_relation(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        group_id: FromQuery[int | None] = None,
    ) -> Template:
        form = RelationForm(group_a=str(group_id) if group_id else "")
        return SCREENS.render(request, form, groups=await services.group_choices(principal))

    @post("/new", opt=RELATIONS, name="relations.create")
    async def create_relation(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        data: URLEncodedBody[RelationForm],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        draft = services.RelationDraft(
            group_a_id=read_id(
                data.group_a, "group_a", errors, gettext("Välj den första gruppen.")
            ),
            group_b_id=read_id(data.group_b, "group_b", errors, gettext("Välj den andra gruppen.")),
            kind=data.kind,
            intensity=_intensity(data, errors),
            confidence=data.confidence,
            source=data.source,
            **claim_dates(data, errors),
        )

        async def rerender(exc: Refused, status: int) -> Template:
            groups = await services.group_choices(principal)
            return SCREENS.render(
                request, data, groups=groups, status_code=status, **refusal_context(exc)
            )

        return await submit(
            request,
            services.RELATIONS.create(principal, draft, known_errors=errors),
            rerender=rerender,
            to=lambda created: f"/groups/{created.group_a_id}",
            flash=lambda created: (
                gettext("Relationen mellan %(group_a)s och %(group_b)s är registrerad.")
                % {"group_a": created.group_a, "group_b": created.group_b}
            ),
        )

    @get("/{relation_id:int}/edit", opt=RELATIONS, name="relations.edit_form")
    async def edit_form(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        relation_id: FromPath[int],
    ) -> Template:
        relation = await SCREENS.writable(principal, relation_id)
        return SCREENS.render(request, _relation_form(relation), claim=relation)

    @post("/{relation_id:int}/edit", opt=RELATIONS, name="relations.edit")
    async def edit_relation(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        relation_id: FromPath[int],
        data: URLEncodedBody[RelationForm],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        changes = services.RelationChanges(
            kind=data.kind,
            intensity=_intensity(data, errors),
            confidence=data.confidence,
            source=data.source,
            **claim_dates(data, errors),
        )
        return await SCREENS.edit(
            request,
            principal,
            relation_id,
            data,
            services.RELATIONS.update(
                principal, relation_id, read_version(data.version), changes, known_errors=errors
            ),
            to=lambda r: f"/groups/{r.group_a_id}",
            flash=gettext("Relationen är ändrad."),
        )

    @post("/{relation_id:int}/archive", opt=RELATIONS, name="relations.archive")
    async def archive_relation(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        relation_id: FromPath[int],
        data: URLEncodedBody[ArchiveForm],
    ) -> Template | Redirect:
        return await SCREENS.archive(
            request,
            principal,
            relation_id,
            data,
            lambda version: services.RELATIONS.archive(principal, relation_id, version),
            to=lambda _, group_id: f"/groups/{group_id}",
            flash=gettext("Relationen är arkiverad."),
        )
