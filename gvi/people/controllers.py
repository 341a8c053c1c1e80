"""People: JSON API under /api/v1/people and the HTML pages under /people."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core import clock, rest
from gvi.core.openapi import error_answer
from gvi.core.paging import PAGE_SIZE, page_offset, pages_count
from gvi.core.params import PageNumber
from gvi.core.web import page, redirect_with_flash, translated
from gvi.groups import forms as group_forms
from gvi.groups import services as group_services
from gvi.i18n import N_, gettext
from gvi.people import services
from gvi.people.schemas import (
    BreakGlassIn,
    BreakGlassOut,
    IdentityOut,
    PersonOut,
    PersonPage,
    PinSearchIn,
)
from gvi.people.tables import Protection

PROTECTION_LABELS = {
    Protection.none: N_("Inga"),
    Protection.sekretessmarkering: N_("Sekretessmarkering"),
    Protection.skyddad_folkbokforing: N_("Skyddad folkbokföring"),
    Protection.fingerade_personuppgifter: N_("Fingerade personuppgifter"),
}
# Personnummer or samordningsnummer, with or without century and separator.
_PIN = re.compile(r"(\d{6}|\d{8})[-+]?\d{4}")


class NewPersonForm(msgspec.Struct):
    municipality: str = ""
    birth_year: str = ""
    protection: str = "none"
    name: str = ""
    pin: str = ""
    address: str = ""
    phone: str = ""


class BreakGlassNeeded(HTTPException):
    status_code = 403


class PeopleApi(Controller):
    path = "/api/v1/people"
    tags = ["people"]

    @rest.listing("/", opt={"permission": Permission.people_read}, name="api.people.list")
    async def list_people(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        code: FromQuery[str] = "",
    ) -> Response[PersonPage]:
        rows, total = await services.list_people(principal, code_prefix=code, **window.rows)
        return window.page_of(PersonPage, [PersonOut(**asdict(r)) for r in rows], total)

    @get("/{person_id:int}", opt={"permission": Permission.people_read}, name="api.people.show")
    async def show_person(
        self, principal: NamedDependency[Principal], person_id: FromPath[int]
    ) -> PersonOut:
        return PersonOut(**asdict(await services.get_person(principal, person_id)))

    @get(
        "/{person_id:int}/identity",
        opt={"permission": Permission.identity_read},
        name="api.people.identity",
        responses={
            403: error_answer(
                "The person has protected personal data: break the glass (with a reason) first."
            )
        },
    )
    async def show_identity(
        self, principal: NamedDependency[Principal], person_id: FromPath[int]
    ) -> IdentityOut:
        try:
            identity = await services.read_identity(principal, person_id)
        except services.BreakGlassRequired as exc:
            raise BreakGlassNeeded(
                detail=gettext(
                    "Personen har skyddade personuppgifter. Ange skäl för nödåtkomst först."
                )
            ) from exc
        return IdentityOut(**asdict(identity))

    @post(
        "/{person_id:int}/break-glass",
        opt={"permission": Permission.identity_read},
        name="api.people.break_glass",
    )
    async def break_glass(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        person_id: FromPath[int],
        data: JSONBody[BreakGlassIn],
    ) -> BreakGlassOut:
        expires = await services.break_glass(principal, person_id, data.reason)
        _rotate(request)
        return BreakGlassOut(expires_at=expires.isoformat())

    @post(
        "/search-by-pin",
        opt={"permission": Permission.identity_read},
        name="api.people.search_pin",
        status_code=200,
    )
    async def search_by_pin(
        self, principal: NamedDependency[Principal], data: JSONBody[PinSearchIn]
    ) -> PersonOut:
        found = await services.find_by_pin(principal, data.pin)
        if found is None:
            raise NotFoundException()
        return PersonOut(**asdict(found))


def _rotate(request: Request[Any, Any, Any]) -> None:
    # Break-the-glass raises what this session can do: a privilege change, so a new id.
    from gvi.security.sessions import get_session

    get_session(request).rotate()


class PeoplePages(Controller):
    path = "/people"
    include_in_schema = False

    @get("/", opt={"permission": Permission.people_read}, name="people.list")
    async def list_people(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: FromQuery[str] = "",
        sort: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        page_no = max(page, 1)
        rows, total = await services.list_people(
            principal, code_prefix=code, sort=sort, limit=PAGE_SIZE, offset=page_offset(page_no)
        )
        return page_(
            request,
            "people/list.html",
            {
                "people": rows,
                "total": total,
                "code": code,
                "params": {"code": code, "sort": services.PEOPLE_SORTS.parse(sort).param},
                "page": page_no,
                "pages": pages_count(total),
            },
        )

    @get("/new", opt={"permission": Permission.people_write}, name="people.new")
    async def new_person(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        choices = await group_services.municipality_choices(principal)
        form = NewPersonForm(municipality=str(choices[0].id) if len(choices) == 1 else "")
        return await _new_person_page(request, principal, form)

    @post("/new", opt={"permission": Permission.people_write}, name="people.create")
    async def create_person(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: URLEncodedBody[NewPersonForm],
    ) -> Template | Redirect:
        errors: dict[str, str] = {}
        municipality_id = _municipality_id(data.municipality, principal, errors)
        birth_year = _birth_year(data.birth_year, errors)
        try:
            protection = Protection(data.protection)
        except ValueError:
            errors["protection"] = gettext("Välj skyddsnivå i listan.")
            protection = Protection.none
        pin = data.pin.strip()
        if pin and not _PIN.fullmatch(pin):
            errors["pin"] = gettext(
                "Skriv personnumret som ÅÅMMDD-NNNN eller ÅÅÅÅMMDDNNNN, eller lämna fältet tomt."
            )
        if errors or municipality_id is None:
            return await _new_person_page(request, principal, data, errors=errors, status_code=400)
        fields = [" ".join(v.split()) or None for v in (data.name, pin, data.address, data.phone)]
        identity = services.Identity(*fields) if any(fields) else None
        try:
            person = await services.create_person(
                principal,
                municipality_id=municipality_id,
                birth_year=birth_year,
                protection=protection,
                identity=identity,
            )
        except services.PersonError as exc:
            return await _new_person_page(request, principal, data, error=str(exc), status_code=400)
        return redirect_with_flash(
            request,
            f"/people/{person.id}",
            gettext(
                "Personen är upplagd med koden %(code)s. Använd koden, aldrig namnet, när du "
                "hänvisar till personen."
            )
            % {"code": person.code},
        )

    @get("/{person_id:int}", opt={"permission": Permission.people_read}, name="people.show")
    async def show_person(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        person_id: FromPath[int],
    ) -> Template:
        person = await services.get_person(principal, person_id)
        memberships = None
        if principal.can(Permission.groups_read):
            # Group intelligence: police and coordinators, not social services.
            memberships = await group_services.person_memberships(principal, person_id)
        return page_(
            request,
            "people/show.html",
            {
                "person": person,
                "can_identity": principal.can(Permission.identity_read),
                "memberships": memberships,
                "role_labels": translated(group_forms.ROLE_LABELS),
                "confidence_labels": translated(group_forms.CONFIDENCE_LABELS),
                "today": group_services.today(),
            },
        )

    @get(
        "/{person_id:int}/identity",
        opt={"permission": Permission.identity_read},
        name="people.identity",
    )
    async def show_identity(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        person_id: FromPath[int],
    ) -> Template:
        person = await services.get_person(principal, person_id)
        try:
            identity = await services.read_identity(principal, person_id)
        except services.BreakGlassRequired:
            return page_(request, "people/break_glass.html", {"person": person, "reason": ""})
        return page_(request, "people/identity.html", {"person": person, "identity": identity})

    @post(
        "/{person_id:int}/break-glass",
        opt={"permission": Permission.identity_read},
        name="people.break_glass",
    )
    async def break_glass(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        person_id: FromPath[int],
        data: URLEncodedBody[BreakGlassIn],
    ) -> Template | Redirect:
        try:
            await services.break_glass(principal, person_id, data.reason)
        except services.PersonError as exc:
            person = await services.get_person(principal, person_id)
            return page_(
                request,
                "people/break_glass.html",
                {"person": person, "reason": data.reason, "error": str(exc)},
                status_code=400,
            )
        _rotate(request)
        return redirect_with_flash(
            request,
            f"/people/{person_id}/identity",
            gettext(
                "Åtkomst beviljad i %(break_glass_minutes)s minuter. Administratörerna har fått "
                "en avisering."
            )
            % {"break_glass_minutes": services.BREAK_GLASS_MINUTES},
            "warning",
        )


async def _new_person_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    form: NewPersonForm,
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    return page_(
        request,
        "people/new.html",
        {
            "form": form,
            "errors": errors or {},
            "error": error,
            "municipalities": await group_services.municipality_choices(principal),
            "protection_labels": translated(PROTECTION_LABELS),
            "can_identity": principal.can(Permission.identity_read),
        },
        status_code=status_code,
    )


def _municipality_id(value: str, principal: Principal, errors: dict[str, str]) -> int | None:
    try:
        municipality_id = int(value)
    except ValueError:
        municipality_id = None
    if municipality_id is None or municipality_id not in principal.municipality_ids:
        errors["municipality"] = gettext("Välj en av dina kommuner i listan.")
        return None
    return municipality_id


def _birth_year(value: str, errors: dict[str, str]) -> int | None:
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit() and 1900 <= int(value) <= clock.today().year:
        return int(value)
    errors["birth_year"] = gettext(
        "Ange födelseåret med fyra siffror, till exempel 2006, eller lämna tomt."
    )
    return None


page_ = page
PEOPLE_ROUTES = [PeopleApi, PeoplePages]
