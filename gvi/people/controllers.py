"""People: JSON API under /api/v1/people and the HTML pages under /people."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core.web import page, redirect_with_flash
from gvi.people import services
from gvi.people.schemas import (
    BreakGlassIn,
    BreakGlassOut,
    IdentityOut,
    PersonOut,
    PersonPage,
    PinSearchIn,
)

PAGE_SIZE = 50


class BreakGlassNeeded(HTTPException):
    status_code = 403


class PeopleApi(Controller):
    path = "/api/v1/people"
    tags = ["people"]

    @get("/", opt={"permission": Permission.people_read}, name="api.people.list")
    async def list_people(
        self,
        principal: NamedDependency[Principal],
        code: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> PersonPage:
        page = max(page, 1)
        rows, total = await services.list_people(
            principal, code_prefix=code, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        return PersonPage(
            items=[PersonOut(**asdict(r)) for r in rows],
            total=total,
            page=page,
            page_size=PAGE_SIZE,
        )

    @get("/{person_id:int}", opt={"permission": Permission.people_read}, name="api.people.show")
    async def show_person(
        self, principal: NamedDependency[Principal], person_id: FromPath[int]
    ) -> PersonOut:
        return PersonOut(**asdict(await services.get_person(principal, person_id)))

    @get(
        "/{person_id:int}/identity",
        opt={"permission": Permission.identity_read},
        name="api.people.identity",
    )
    async def show_identity(
        self, principal: NamedDependency[Principal], person_id: FromPath[int]
    ) -> IdentityOut:
        try:
            identity = await services.read_identity(principal, person_id)
        except services.BreakGlassRequired as exc:
            raise BreakGlassNeeded(
                detail="Personen har skyddade personuppgifter. Ange skäl via break-the-glass först."
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
        try:
            expires = await services.break_glass(principal, person_id, data.reason)
        except services.PersonError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
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
        page: FromQuery[int] = 1,
    ) -> Template:
        page_no = max(page, 1)
        rows, total = await services.list_people(
            principal, code_prefix=code, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
        return page_(
            request,
            "people/list.html",
            {
                "people": rows,
                "total": total,
                "code": code,
                "page": page_no,
                "pages": max(1, -(-total // PAGE_SIZE)),
            },
        )

    @get("/{person_id:int}", opt={"permission": Permission.people_read}, name="people.show")
    async def show_person(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        person_id: FromPath[int],
    ) -> Template:
        person = await services.get_person(principal, person_id)
        return page_(
            request,
            "people/show.html",
            {"person": person, "can_identity": principal.can(Permission.identity_read)},
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
            f"Åtkomst beviljad i {services.BREAK_GLASS_MINUTES} minuter. "
            "Administratörerna har fått en avisering.",
            "warning",
        )


page_ = page
PEOPLE_ROUTES = [PeopleApi, PeoplePages]
