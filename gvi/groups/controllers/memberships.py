"""Memberships: the JSON API under /api/v1/memberships and the pages under
/memberships. Thin: :mod:`gvi.groups.services` owns scope, queries and audit."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.principal import Principal
from gvi.core import rest
from gvi.core.failures import Refused
from gvi.core.forms import read_id, read_version
from gvi.core.params import Signed
from gvi.core.web import submit
from gvi.groups import forms, services
from gvi.groups.controllers.claims import (
    ClaimScreens,
    claim_dates,
    claim_form_values,
)
from gvi.groups.controllers.claims_api import ClaimApi
from gvi.groups.controllers.shapes import membership_out
from gvi.groups.controllers.shared import (
    MEMBERS,
    READ,
    AnyRequest,
    asked,
    back_to,
    refusal_context,
)
from gvi.groups.forms import ArchiveForm, MembershipForm
from gvi.groups.schemas import (
    MEMBERSHIP_SHAPES,
    ConfirmIn,
    EndIn,
    MembershipFullOut,
    MembershipFullPage,
    MembershipIn,
    MembershipOut,
    MembershipPage,
    MembershipUpdateIn,
)
from gvi.groups.services import MEMBERSHIPS, MembershipChanges, MembershipView, get_membership
from gvi.i18n import gettext
from gvi.people import services as people

Shown = MembershipOut | MembershipFullOut


API: ClaimApi[MembershipView, Shown] = ClaimApi(
    MEMBERSHIPS, get_membership, membership_out, MembershipChanges, MEMBERSHIP_SHAPES
)


class MembershipsApi(Controller):
    path = "/api/v1/memberships"
    tags = ["memberships"]

    @rest.listing("/", opt=READ, name="api.memberships.list")
    async def list_memberships(
        self,
        principal: Signed,
        window: NamedDependency[rest.Window],
        group_id: FromQuery[int | None] = None,
        person_id: FromQuery[int | None] = None,
        as_of: FromQuery[date | None] = None,
    ) -> Response[MembershipPage | MembershipFullPage]:
        """Memberships you may see, of one group or person if asked; every claim when
        ``as_of`` is left out. Each call is recorded in the audit trail."""
        rows, total = await services.list_memberships(
            principal,
            group_id=group_id,
            person_id=person_id,
            as_of=as_of,
            **window.rows,
        )
        return API.page(principal, window, rows, total)

    @rest.create("/", opt=MEMBERS, name="api.memberships.create")
    async def create_membership(
        self, principal: Signed, data: JSONBody[MembershipIn]
    ) -> Response[Shown]:
        return await API.create(self.path, principal, asked(services.MembershipDraft, data))

    @rest.show("/{membership_id:int}", opt=READ, name="api.memberships.show")
    async def show_membership(
        self, principal: Signed, membership_id: FromPath[int]
    ) -> Response[Shown]:
        return await API.show(principal, membership_id)

    @rest.update("/{membership_id:int}", opt=MEMBERS, name="api.memberships.update")
    async def update_membership(
        self,
        principal: Signed,
        membership_id: FromPath[int],
        data: JSONBody[MembershipUpdateIn],
        expected: rest.Expected,
    ) -> Response[Shown]:
        """Fields left out keep their value."""
        return await API.update(principal, membership_id, data, expected)

    @rest.archive("/{membership_id:int}", opt=MEMBERS, name="api.memberships.archive")
    async def archive_membership(
        self, principal: Signed, membership_id: FromPath[int], expected: rest.Expected
    ) -> None:
        """Archive a membership entered in error (the row stays; ending a true one is /end)."""
        await API.archive(principal, membership_id, expected)

    @post(
        "/{membership_id:int}/confirm",
        opt=MEMBERS,
        name="api.memberships.confirm",
        status_code=200,
    )
    async def confirm_membership(
        self, principal: Signed, membership_id: FromPath[int], data: JSONBody[ConfirmIn]
    ) -> Shown:
        return await API.confirm(principal, membership_id, data)

    @post("/{membership_id:int}/end", opt=MEMBERS, name="api.memberships.end", status_code=200)
    async def end_membership(
        self, principal: Signed, membership_id: FromPath[int], data: JSONBody[EndIn]
    ) -> Shown:
        return await API.end(principal, membership_id, data)


def _membership_form(m: services.MembershipView, back: str) -> MembershipForm:
    return MembershipForm(
        person_code=m.person_code,
        group=str(m.group_id),
        role=m.role,
        back=back,
        **claim_form_values(m),
    )


def _keep_ends(form: MembershipForm, m: services.MembershipView) -> None:
    form.person_code, form.group = m.person_code, str(m.group_id)


SCREENS: ClaimScreens[services.MembershipView, MembershipForm] = ClaimScreens(
    template="memberships/form.html",
    key="membership",
    get=services.get_membership,
    form_of=_membership_form,
    keep_ends=_keep_ends,
)


class MembershipPages(Controller):
    path = "/memberships"
    include_in_schema = False

    @get("/new", opt=MEMBERS, name="memberships.new")
    async def new_membership(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        person_id: FromQuery[int | None] = None,
        group_id: FromQuery[int | None] = None,
    ) -> Template:
        form = MembershipForm(back="person" if person_id else "group")
        if person_id is not None:
            person = await people.get_person(principal, person_id)
            form.person_code = person.code
        if group_id is not None:
            form.group = str(group_id)
        return SCREENS.render(request, form, groups=await services.group_choices(principal))

    @post("/new", opt=MEMBERS, name="memberships.create")
    async def create_membership(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        data: URLEncodedBody[MembershipForm],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        draft = services.MembershipDraft(
            person_code=data.person_code,
            group_id=read_id(data.group, "group", errors, gettext("Välj en grupp i listan.")),
            role=data.role,
            confidence=data.confidence,
            source=data.source,
            **claim_dates(data, errors),
        )

        async def rerender(exc: Refused, status: int) -> Template:
            # Something that is not a code may be a name or a personnummer: not shown again.
            if forms.clean_code(data.person_code) is None:
                data.person_code = ""
            groups = await services.group_choices(principal)
            return SCREENS.render(
                request, data, groups=groups, status_code=status, **refusal_context(exc)
            )

        return await submit(
            request,
            services.MEMBERSHIPS.create(principal, draft, known_errors=errors),
            rerender=rerender,
            to=lambda created: back_to(data.back, created.person_id, created.group_id),
            flash=lambda created: (
                gettext("Medlemskapet för %(person_code)s i %(group_name)s är registrerat.")
                % {"person_code": created.person_code, "group_name": created.group_name}
            ),
        )

    @get("/{membership_id:int}/edit", opt=MEMBERS, name="memberships.edit_form")
    async def edit_form(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        membership_id: FromPath[int],
        back: FromQuery[str] = "group",
    ) -> Template:
        membership = await SCREENS.writable(principal, membership_id)
        return SCREENS.render(request, _membership_form(membership, back), claim=membership)

    @post("/{membership_id:int}/edit", opt=MEMBERS, name="memberships.edit")
    async def edit_membership(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        membership_id: FromPath[int],
        data: URLEncodedBody[MembershipForm],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        changes = services.MembershipChanges(
            role=data.role,
            confidence=data.confidence,
            source=data.source,
            **claim_dates(data, errors),
        )
        return await SCREENS.edit(
            request,
            principal,
            membership_id,
            data,
            services.MEMBERSHIPS.update(
                principal, membership_id, read_version(data.version), changes, known_errors=errors
            ),
            to=lambda m: back_to(data.back, m.person_id, m.group_id),
            flash=gettext("Medlemskapet är ändrat."),
        )

    @post("/{membership_id:int}/archive", opt=MEMBERS, name="memberships.archive")
    async def archive_membership(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        membership_id: FromPath[int],
        data: URLEncodedBody[ArchiveForm],
    ) -> Template | Redirect:
        return await SCREENS.archive(
            request,
            principal,
            membership_id,
            data,
            lambda version: services.MEMBERSHIPS.archive(principal, membership_id, version),
            to=lambda m, _: back_to(data.back, m.person_id, m.group_id),
            flash=gettext("Medlemskapet är arkiverat."),
        )
