"""Providers of support: a register without person data. Every outreach worker
reads all of it; a municipal provider is changed only by those who work for its
municipality. A private provider without an approved requirement check in the
last twelve months is flagged wherever it can be chosen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec
from msgspec import UNSET

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.clock import today
from gvi.core.failures import FormErrors, NotVisible
from gvi.core.listing import contains
from gvi.db import write_transaction
from gvi.defectors.services.common import not_future
from gvi.i18n import N_, gettext
from gvi.municipalities.tables import Municipality
from gvi.support.schemas import (
    ProviderCheckIn,
    ProviderCheckView,
    ProviderDeviationCloseIn,
    ProviderDeviationIn,
    ProviderIn,
    ProviderRequirementIn,
    ProviderUpdateIn,
    ProviderView,
)
from gvi.support.services.common import PROVIDER_CONFLICT, versioned
from gvi.support.services.provider_control import (
    deviations_of,
    open_deviation_counts,
    requirements_of,
)
from gvi.support.tables import Provider, ProviderCheck, ProviderDeviation, ProviderRequirement


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def needs_check(kind: str, last_approved_on: date | None, today: date) -> bool:
    """A private provider needs an approved requirement check within the last 12 months."""
    if kind != Provider.Kind.private:
        return False
    return last_approved_on is None or last_approved_on < _year_before(today)


async def last_approved(provider_ids: Iterable[int]) -> dict[int, date]:
    ids = list(provider_ids)
    if not ids:
        return {}
    rows = await ProviderCheck.select(ProviderCheck.provider, ProviderCheck.checked_on).where(
        ProviderCheck.provider.is_in(ids)
        & (ProviderCheck.result == ProviderCheck.Result.approved)
        & ProviderCheck.archived_at.is_null()
    )
    out: dict[int, date] = {}
    for r in rows:
        if r["provider"] not in out or r["checked_on"] > out[r["provider"]]:
            out[r["provider"]] = r["checked_on"]
    return out


_PROVIDER_COLUMNS = (
    Provider.id,
    Provider.name,
    Provider.kind,
    Provider.services,
    Provider.contract_reference,
    Provider.municipality,
    Provider.municipality.name.as_alias("municipality_name"),
    Provider.is_active,
    Provider.version,
)


def _provider_view(
    row: dict[str, Any],
    approved: dict[int, date],
    checks: list[ProviderCheckView] | None = None,
    open_deviations: dict[int, int] | None = None,
) -> ProviderView:
    last = approved.get(row["id"])
    return ProviderView(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        services=row["services"],
        contract_reference=row["contract_reference"],
        municipality_id=row["municipality"],
        municipality=row["municipality_name"],
        is_active=row["is_active"],
        last_approved_on=last,
        needs_check=needs_check(row["kind"], last, today()),
        version=row["version"],
        checks=checks,
        open_deviations=(open_deviations or {}).get(row["id"], 0),
    )


async def list_providers(
    principal: Principal,
    *,
    search: str = "",
    kind: str = "",
    flagged: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ProviderView], int]:
    require(principal, Permission.providers_read)
    where: Any = Provider.archived_at.is_null()
    if search.strip():
        term = search.strip()
        where = where & (contains(Provider.name, term) | contains(Provider.services, term))
    if kind in Provider.Kind.__members__:
        where = where & (Provider.kind == kind)
    if flagged:
        # Flagging needs the checks; the register is small, so filter after reading it.
        rows = await Provider.select(*_PROVIDER_COLUMNS).where(where).order_by(Provider.name)
        approved = await last_approved(r["id"] for r in rows)
        deviations = await open_deviation_counts(r["id"] for r in rows)
        views = [_provider_view(r, approved, None, deviations) for r in rows]
        views = [v for v in views if v.needs_check]
        return views[offset : offset + limit], len(views)
    rows = (
        await Provider.select(*_PROVIDER_COLUMNS)
        .where(where)
        .order_by(Provider.name)
        .limit(limit)
        .offset(offset)
    )
    total = await Provider.count().where(where)
    approved = await last_approved(r["id"] for r in rows)
    deviations = await open_deviation_counts(r["id"] for r in rows)
    return [_provider_view(r, approved, None, deviations) for r in rows], total


async def get_provider(principal: Principal, provider_id: int) -> ProviderView:
    require(principal, Permission.providers_read)
    row = (
        await Provider.select(*_PROVIDER_COLUMNS)
        .where((Provider.id == provider_id) & Provider.archived_at.is_null())
        .first()
    )
    if row is None:
        raise NotVisible()
    checks = (
        await ProviderCheck.select(
            ProviderCheck.id,
            ProviderCheck.checked_on,
            ProviderCheck.what,
            ProviderCheck.result,
            ProviderCheck.kind,
            ProviderCheck.checked_by.display_name.as_alias("by_name"),
        )
        .where((ProviderCheck.provider == provider_id) & ProviderCheck.archived_at.is_null())
        .order_by(ProviderCheck.checked_on, ascending=False)
        .order_by(ProviderCheck.id, ascending=False)
    )
    view = _provider_view(
        row,
        await last_approved([provider_id]),
        [
            ProviderCheckView(
                id=c["id"],
                checked_on=c["checked_on"],
                what=c["what"],
                result=c["result"],
                checked_by=c["by_name"],
                kind=c["kind"],
            )
            for c in checks
        ],
        await open_deviation_counts([provider_id]),
    )
    return msgspec.structs.replace(
        view,
        requirements=await requirements_of(provider_id),
        deviations=await deviations_of(provider_id),
    )


@dataclass(frozen=True)
class ProviderChoice:
    id: int
    label: str
    needs_check: bool
    open_deviations: int = 0


async def provider_choices() -> list[ProviderChoice]:
    """Active providers for the offer form, private ones flagged when unchecked."""
    rows = (
        await Provider.select(Provider.id, Provider.name, Provider.kind)
        .where(Provider.archived_at.is_null() & (Provider.is_active == True))  # noqa: E712
        .order_by(Provider.name)
    )
    approved = await last_approved(r["id"] for r in rows)
    deviations = await open_deviation_counts(r["id"] for r in rows)
    now = today()
    return [
        ProviderChoice(
            r["id"],
            r["name"],
            needs_check(r["kind"], approved.get(r["id"]), now),
            deviations.get(r["id"], 0),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class MunicipalityChoice:
    id: int
    label: str


async def municipality_choices(principal: Principal) -> list[MunicipalityChoice]:
    rows = (
        await Municipality.select(Municipality.id, Municipality.name)
        .where(Municipality.id.is_in(list(principal.municipality_ids) or [-1]))
        .order_by(Municipality.name)
    )
    return [MunicipalityChoice(r["id"], r["name"]) for r in rows]


def _check_provider_fields(
    principal: Principal,
    *,
    name: str,
    kind: str,
    municipality_id: int | None,
    errors: dict[str, str],
) -> None:
    if not name:
        errors["name"] = gettext("Skriv utförarens namn.")
    elif len(name) > 160:
        errors["name"] = gettext("Namnet får vara högst 160 tecken.")
    if municipality_id is not None and municipality_id not in principal.municipality_ids:
        errors["municipality_id"] = gettext("Välj en av dina kommuner.")
    if kind == Provider.Kind.municipal and municipality_id is None:
        errors["municipality_id"] = gettext("En kommunal utförare hör till en kommun: välj vilken.")


async def _audit_provider(principal: Principal, provider_id: int, op: str, **details: Any) -> None:
    await record(
        AuditAction.provider_write,
        actor=principal,
        target_type="provider",
        target_id=provider_id,
        details={"op": op, **details},
    )


async def create_provider(principal: Principal, data: ProviderIn) -> int:
    require(principal, Permission.providers_write)
    errors: dict[str, str] = {}
    name = " ".join(data.name.split())
    _check_provider_fields(
        principal, name=name, kind=data.kind, municipality_id=data.municipality_id, errors=errors
    )
    if len(data.contract_reference.strip()) > 80:
        errors["contract_reference"] = gettext("Referensen får vara högst 80 tecken.")
    async with write_transaction(Provider._meta.db):
        if "name" not in errors and await Provider.exists().where(Provider.name == name):
            errors["name"] = gettext("Det finns redan en utförare med det namnet.")
        if errors:
            raise FormErrors(errors)
        provider = Provider(
            name=name,
            kind=data.kind,
            services=data.services.strip(),
            contract_reference=data.contract_reference.strip(),
            municipality=data.municipality_id,
        )
        await provider.save()
        await _audit_provider(principal, provider.id, "create", kind=data.kind.value)
    return provider.id


async def _writable_provider(principal: Principal, provider_id: int) -> dict[str, Any]:
    require(principal, Permission.providers_write)
    row: dict[str, Any] | None = (
        await Provider.select(Provider.id, Provider.kind, Provider.municipality, Provider.name)
        .where(
            (Provider.id == provider_id)
            & Provider.archived_at.is_null()
            & (
                Provider.municipality.is_null()
                | Provider.municipality.is_in(list(principal.municipality_ids) or [-1])
            )
        )
        .first()
    )
    if row is None:
        raise NotVisible()
    return row


async def update_provider(principal: Principal, provider_id: int, data: ProviderUpdateIn) -> None:
    """Change a provider (optimistic lock on ``version``)."""
    errors: dict[str, str] = {}
    async with write_transaction(Provider._meta.db):
        current = await _writable_provider(principal, provider_id)
        name = " ".join(data.name.split()) if data.name is not UNSET else current["name"]
        kind = data.kind if data.kind is not UNSET else current["kind"]
        municipality_id = (
            data.municipality_id if data.municipality_id is not UNSET else current["municipality"]
        )
        _check_provider_fields(
            principal, name=name, kind=kind, municipality_id=municipality_id, errors=errors
        )
        if data.contract_reference is not UNSET and len(data.contract_reference.strip()) > 80:
            errors["contract_reference"] = gettext("Referensen får vara högst 80 tecken.")
        if (
            "name" not in errors
            and name != current["name"]
            and await Provider.exists().where(Provider.name == name)
        ):
            errors["name"] = gettext("Det finns redan en utförare med det namnet.")
        if errors:
            raise FormErrors(errors)
        values: dict[Any, Any] = {
            Provider.name: name,
            Provider.kind: kind,
            Provider.municipality: municipality_id,
        }
        if data.services is not UNSET:
            values[Provider.services] = data.services.strip()
        if data.contract_reference is not UNSET:
            values[Provider.contract_reference] = data.contract_reference.strip()
        if data.is_active is not UNSET:
            values[Provider.is_active] = data.is_active
        await versioned(Provider, provider_id, data.version, values, PROVIDER_CONFLICT)
        await _audit_provider(principal, provider_id, "update")


async def add_provider_check(principal: Principal, provider_id: int, data: ProviderCheckIn) -> int:
    """Record a requirement check (what was checked, when, with what result)."""
    errors: dict[str, str] = {}
    what = data.what.strip()
    if len(what) < 3:
        errors["what"] = gettext("Beskriv vad som kontrollerades, till exempel registerutdrag.")
    checked_on = not_future(data.checked_on, "checked_on", errors)
    async with write_transaction(Provider._meta.db):
        await _writable_provider(principal, provider_id)
        if errors:
            raise FormErrors(errors)
        check = ProviderCheck(
            provider=provider_id,
            checked_on=checked_on,
            what=what,
            result=data.result,
            checked_by=principal.user_id,
            kind=data.kind,
        )
        await check.save()
        await _audit_provider(
            principal, provider_id, "check", check_id=check.id, result=data.result.value
        )
    return check.id


TEXT_MAX = 4000
DEVIATION_CONFLICT = N_(
    "Någon annan har ändrat avvikelsen under tiden. Ladda om sidan och försök igen."
)


async def add_provider_requirement(
    principal: Principal, provider_id: int, data: ProviderRequirementIn
) -> int:
    """Record one particular requirement of a procurement or agreement."""
    errors: dict[str, str] = {}
    requirement, agreement = data.requirement.strip(), " ".join(data.agreement.split())
    if len(requirement) < 3:
        errors["requirement"] = gettext(
            "Beskriv kravet, till exempel \u201dtillstånd från IVO för HVB\u201d."
        )
    elif len(requirement) > TEXT_MAX:
        errors["requirement"] = gettext("Texten får vara högst 4000 tecken.")
    if len(agreement) > 80:
        errors["agreement"] = gettext("Referensen får vara högst 80 tecken.")
    if data.valid_from and data.valid_to and data.valid_to < data.valid_from:
        errors["valid_to"] = gettext("Slutdatumet kan inte ligga före startdatumet.")
    async with write_transaction(Provider._meta.db):
        await _writable_provider(principal, provider_id)
        if errors:
            raise FormErrors(errors)
        row = ProviderRequirement(
            provider=provider_id,
            agreement=agreement,
            requirement=requirement,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
        )
        await row.save()
        await _audit_provider(principal, provider_id, "requirement", requirement_id=row.id)
    return row.id


async def add_provider_deviation(
    principal: Principal, provider_id: int, data: ProviderDeviationIn
) -> int:
    """Record a deviation (avvikelse): what happened, how serious, the measures."""
    errors: dict[str, str] = {}
    description, measures = data.description.strip(), data.measures.strip()
    if len(description) < 3:
        errors["description"] = gettext(
            "Beskriv vad som hände, utan namn på personer, till exempel \u201dutlovad "
            "kontaktperson saknades i tre veckor\u201d."
        )
    elif len(description) > TEXT_MAX:
        errors["description"] = gettext("Texten får vara högst 4000 tecken.")
    if len(measures) > TEXT_MAX:
        errors["measures"] = gettext("Texten får vara högst 4000 tecken.")
    reported_on = not_future(data.reported_on, "reported_on", errors)
    async with write_transaction(Provider._meta.db):
        await _writable_provider(principal, provider_id)
        if errors:
            raise FormErrors(errors)
        row = ProviderDeviation(
            provider=provider_id,
            reported_on=reported_on,
            severity=data.severity,
            description=description,
            measures=measures,
            reported_by=principal.user_id,
        )
        await row.save()
        await _audit_provider(
            principal,
            provider_id,
            "deviation",
            deviation_id=row.id,
            severity=data.severity.value,
        )
    return row.id


async def close_provider_deviation(
    principal: Principal, provider_id: int, deviation_id: int, data: ProviderDeviationCloseIn
) -> None:
    """Close an open deviation once its measures are done (optimistic lock)."""
    errors: dict[str, str] = {}
    measures = data.measures.strip()
    if len(measures) < 3:
        errors["measures"] = gettext("Skriv vilka åtgärder som gjorts innan avvikelsen stängs.")
    elif len(measures) > TEXT_MAX:
        errors["measures"] = gettext("Texten får vara högst 4000 tecken.")
    closed_on = not_future(data.closed_on, "closed_on", errors)
    async with write_transaction(Provider._meta.db):
        await _writable_provider(principal, provider_id)
        found = (
            await ProviderDeviation.select(ProviderDeviation.reported_on)
            .where(
                (ProviderDeviation.id == deviation_id)
                & (ProviderDeviation.provider == provider_id)
                & ProviderDeviation.archived_at.is_null()
                & ProviderDeviation.closed_on.is_null()
            )
            .first()
        )
        if found is None:
            raise NotVisible()
        if "closed_on" not in errors and closed_on < found["reported_on"]:
            errors["closed_on"] = gettext("Avvikelsen kan inte stängas före den rapporterades.")
        if errors:
            raise FormErrors(errors)
        values = {ProviderDeviation.measures: measures, ProviderDeviation.closed_on: closed_on}
        await versioned(ProviderDeviation, deviation_id, data.version, values, DEVIATION_CONFLICT)
        await _audit_provider(principal, provider_id, "deviation_close", deviation_id=deviation_id)
