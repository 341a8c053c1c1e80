"""Organisation: the unit pages under /admin/units and the JSON API under
/api/v1/admin/units and /api/v1/admin/municipalities. Handlers read the input
and call :mod:`gvi.org.services`, which owns the queries, scope and audit."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.admin.forms import CONFIRM_MESSAGE, CONFIRM_VALUE
from gvi.core import rest
from gvi.core.shapes import VersionIn
from gvi.core.web import page, redirect_with_flash, translated
from gvi.i18n import gettext
from gvi.municipalities.reference import counties
from gvi.municipalities.tables import Agency, Unit
from gvi.org import services
from gvi.org.forms import AGENCY_LABELS, KIND_LABELS, UnitActionForm, UnitForm
from gvi.org.schemas import (
    MunicipalityOut,
    UnitChangeOut,
    UnitIn,
    UnitOut,
)

ORG = {"permission": Permission.org_manage}


def _version(value: str) -> int:
    """The version the form carried; -1 (never a real version) if missing or bad."""
    try:
        return int(value)
    except ValueError:
        return -1


def _municipality_out(m: services.MunicipalityView) -> MunicipalityOut:
    return MunicipalityOut(code=m.code, name=m.name, county=m.county)


def _unit_out(unit: services.UnitView) -> UnitOut:
    return UnitOut(
        id=unit.id,
        name=unit.name,
        kind=Unit.Kind(unit.kind),
        agency=Agency(unit.agency),
        home=_municipality_out(unit.home),
        serves=[_municipality_out(m) for m in unit.serves],
        is_active=unit.is_active,
        members=unit.members,
        version=unit.version,
    )


# --- JSON API ----------------------------------------------------------------------


class UnitsApi(Controller):
    path = "/api/v1/admin/units"
    tags = ["admin"]

    @get("/", opt=ORG, name="api.admin.units.list")
    async def list_units(self, principal: NamedDependency[Principal]) -> list[UnitOut]:
        return [_unit_out(u) for u in await services.list_units(principal)]

    @rest.show("/{unit_id:int}", opt=ORG, name="api.admin.units.show")
    async def show_unit(
        self, principal: NamedDependency[Principal], unit_id: FromPath[int]
    ) -> Response[UnitOut]:
        return rest.tagged(await _unit(principal, unit_id))

    @rest.create("/", opt=ORG, name="api.admin.units.create")
    async def create_unit(
        self, principal: NamedDependency[Principal], data: JSONBody[UnitIn]
    ) -> Response[UnitOut]:
        created = await services.create_unit(principal, _draft(data))
        return rest.created(self.path, _unit_out(created))

    @rest.update("/{unit_id:int}", opt=ORG, name="api.admin.units.update")
    async def update_unit(
        self,
        principal: NamedDependency[Principal],
        unit_id: FromPath[int],
        data: JSONBody[UnitIn],
        expected: rest.Expected,
    ) -> Response[UnitChangeOut]:
        """The whole unit, as on create; the ETag is the unit's version."""
        version = expected
        change = await services.update_unit(principal, unit_id, version, _draft(data))
        out = await _change_out(principal, unit_id, change)
        return rest.tagged(out, version=out.unit.version)

    @post("/{unit_id:int}/deactivate", opt=ORG, name="api.admin.units.deactivate", status_code=200)
    async def deactivate_unit(
        self,
        principal: NamedDependency[Principal],
        unit_id: FromPath[int],
        data: JSONBody[VersionIn],
    ) -> UnitChangeOut:
        """Refused with 409 while the unit holds open defector cases: the answer
        names them by reference, with their count, and nothing else."""
        try:
            change = await services.deactivate_unit(principal, unit_id, data.version)
        except services.OpenCasesRefusal as exc:
            raise HTTPException(
                status_code=409,
                detail=str(exc),
                extra={
                    "count": exc.count,
                    "cases": [{"id": c.id, "reference": c.reference} for c in exc.cases],
                },
            ) from exc
        return await _change_out(principal, unit_id, change)

    @post("/{unit_id:int}/reactivate", opt=ORG, name="api.admin.units.reactivate", status_code=200)
    async def reactivate_unit(
        self,
        principal: NamedDependency[Principal],
        unit_id: FromPath[int],
        data: JSONBody[VersionIn],
    ) -> UnitChangeOut:
        """A deactivated unit made active again; its members' sessions end."""
        change = await services.reactivate_unit(principal, unit_id, data.version)
        return await _change_out(principal, unit_id, change)


async def _unit(principal: Principal, unit_id: int) -> UnitOut:
    return _unit_out(await services.get_unit(principal, unit_id))


async def _change_out(principal: Principal, unit_id: int, change: Any) -> UnitChangeOut:
    return UnitChangeOut(
        unit=await _unit(principal, unit_id),
        scope_changed=change.scope_changed,
        sessions_ended=change.sessions_ended,
    )


class MunicipalitiesApi(Controller):
    path = "/api/v1/admin/municipalities"
    tags = ["admin"]

    @get("/", opt=ORG, name="api.admin.municipalities.list")
    async def list_municipalities(
        self, principal: NamedDependency[Principal], county: FromQuery[str] = ""
    ) -> list[MunicipalityOut]:
        """SCB's municipalities (kommunkod, name, county), by code; *county* keeps one län."""
        return [_municipality_out(m) for m in await services.municipalities(principal, county)]


# --- pages ---------------------------------------------------------------------------


async def _form_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    template: str,
    form: dict[str, Any],
    *,
    unit: services.UnitView | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    open_cases: list[services.OpenCase] | None = None,
    open_count: int = 0,
    status_code: int = 200,
) -> Template:
    municipalities = await services.municipalities(principal)
    by_county: dict[str, list[services.MunicipalityView]] = {c: [] for c in counties()}
    for m in municipalities:
        by_county.setdefault(m.county, []).append(m)
    return page(
        request,
        template,
        {
            "form": form,
            "unit": unit,
            "errors": errors or {},
            "error": error,
            "open_cases": open_cases or [],
            "open_count": open_count,
            "by_county": by_county,
            "kind_labels": translated(KIND_LABELS),
            "agency_labels": translated(AGENCY_LABELS),
            "confirm_value": CONFIRM_VALUE,
        },
        status_code=status_code,
    )


def _typed(data: UnitForm) -> dict[str, Any]:
    """What the admin typed, to show again after an error."""
    return {
        "name": data.name,
        "kind": data.kind,
        "agency": data.agency,
        "home": data.home.strip(),
        "serves": set(data.served_codes()),
    }


def _shown(unit: services.UnitView) -> dict[str, Any]:
    return {
        "name": unit.name,
        "kind": unit.kind,
        "agency": unit.agency,
        "home": unit.home.code,
        "serves": {m.code for m in unit.serves},
    }


def _draft(data: UnitForm | UnitIn) -> services.UnitDraft:
    """The unit a form or an API body describes."""
    serves = data.served_codes() if isinstance(data, UnitForm) else data.serves
    fields = {"name": data.name, "kind": data.kind, "agency": data.agency, "home": data.home}
    return services.UnitDraft(**fields, serves=tuple(serves))


class UnitPages(Controller):
    path = "/admin/units"
    include_in_schema = False

    @get("/", opt=ORG, name="admin.units.list")
    async def list_units(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return page(
            request,
            "admin/units/list.html",
            {
                "units": await services.list_units(principal),
                "kind_labels": translated(KIND_LABELS),
                "agency_labels": translated(AGENCY_LABELS),
            },
        )

    @get("/new", opt=ORG, name="admin.units.new")
    async def new_unit(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        blank = {"name": "", "kind": "", "agency": "", "home": "", "serves": set()}
        return await _form_page(request, principal, "admin/units/new.html", blank)

    @post("/new", opt=ORG, name="admin.units.create")
    async def create_unit(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: URLEncodedBody[UnitForm],
    ) -> Template | Redirect:
        try:
            unit = await services.create_unit(principal, _draft(data))
        except services.FormErrors as exc:
            return await _form_page(
                request,
                principal,
                "admin/units/new.html",
                _typed(data),
                errors=exc.errors,
                status_code=400,
            )
        return redirect_with_flash(
            request, f"/admin/units/{unit.id}", gettext("Enheten är skapad.")
        )

    @get("/{unit_id:int}", opt=ORG, name="admin.units.show")
    async def show_unit(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        unit_id: FromPath[int],
    ) -> Template:
        unit = await services.get_unit(principal, unit_id)
        return await _form_page(
            request, principal, "admin/units/show.html", _shown(unit), unit=unit
        )

    @post("/{unit_id:int}/edit", opt=ORG, name="admin.units.edit")
    async def edit_unit(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        unit_id: FromPath[int],
        data: URLEncodedBody[UnitForm],
    ) -> Template | Redirect:
        unit = await services.get_unit(principal, unit_id)
        try:
            change = await services.update_unit(
                principal, unit_id, _version(data.version), _draft(data)
            )
        except services.VersionConflict as exc:
            return await _form_page(
                request,
                principal,
                "admin/units/show.html",
                _shown(unit),
                unit=unit,
                error=str(exc),
                status_code=409,
            )
        except services.FormErrors as exc:
            return await _form_page(
                request,
                principal,
                "admin/units/show.html",
                _typed(data),
                unit=unit,
                errors=exc.errors,
                status_code=400,
            )
        message = gettext("Enheten är sparad.")
        if change.sessions_ended:
            message += " " + gettext(
                "Kommunerna ändrades, så inloggningarna för enhetens %(n)s användare avslutades."
            ) % {"n": change.sessions_ended}
        return redirect_with_flash(request, f"/admin/units/{unit_id}", message)

    @post("/{unit_id:int}/deactivate", opt=ORG, name="admin.units.deactivate")
    async def deactivate_unit(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        unit_id: FromPath[int],
        data: URLEncodedBody[UnitActionForm],
    ) -> Template | Redirect:
        unit = await services.get_unit(principal, unit_id)

        async def again(status: int, **extra: Any) -> Template:
            return await _form_page(
                request,
                principal,
                "admin/units/show.html",
                _shown(unit),
                unit=unit,
                status_code=status,
                **extra,
            )

        if data.confirm != CONFIRM_VALUE:
            return await again(400, errors={"deactivate.confirm": gettext(CONFIRM_MESSAGE)})
        try:
            await services.deactivate_unit(principal, unit_id, _version(data.version))
        except services.OpenCasesRefusal as exc:
            return await again(409, error=str(exc), open_cases=exc.cases, open_count=exc.count)
        except services.VersionConflict as exc:
            return await again(409, error=str(exc))
        except services.FormErrors as exc:
            return await again(400, error=" ".join(exc.errors.values()))
        return redirect_with_flash(
            request,
            f"/admin/units/{unit_id}",
            gettext("Enheten är avaktiverad och dess användares inloggningar är avslutade."),
        )

    @post("/{unit_id:int}/reactivate", opt=ORG, name="admin.units.reactivate")
    async def reactivate_unit(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        unit_id: FromPath[int],
        data: URLEncodedBody[UnitActionForm],
    ) -> Template | Redirect:
        unit = await services.get_unit(principal, unit_id)

        async def again(status: int, **extra: Any) -> Template:
            return await _form_page(
                request,
                principal,
                "admin/units/show.html",
                _shown(unit),
                unit=unit,
                status_code=status,
                **extra,
            )

        if data.confirm != CONFIRM_VALUE:
            return await again(400, errors={"reactivate.confirm": gettext(CONFIRM_MESSAGE)})
        try:
            await services.reactivate_unit(principal, unit_id, _version(data.version))
        except services.VersionConflict as exc:
            return await again(409, error=str(exc))
        except services.FormErrors as exc:
            return await again(400, error=" ".join(exc.errors.values()))
        return redirect_with_flash(
            request,
            f"/admin/units/{unit_id}",
            gettext(
                "Enheten är aktiv igen. Dess användare loggar in på nytt och får enhetens kommuner."
            ),
        )


ORG_ROUTES = [UnitsApi, MunicipalitiesApi, UnitPages]
