"""The method catalogue: the methods and interventions a unit works with, each with
the strength of the evidence for it (scientific support, promising practice, not
evaluated) and the source of that judgement (README: Methods and their evidence).

A catalogue holds no person data: every outreach worker reads all of it (so a
joint unit and the municipalities it serves name the same methods), and a
method is changed only by those who belong to the unit that keeps it. Offers
name their method; the figure of started interventions with scientific support
is in :mod:`gvi.reports`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msgspec import UNSET

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.failures import FormErrors, NotVisible
from gvi.core.listing import contains
from gvi.db import write_transaction
from gvi.i18n import N_, gettext
from gvi.municipalities.tables import Unit
from gvi.support.schemas import MethodIn, MethodUpdateIn, MethodView
from gvi.support.services.common import versioned
from gvi.support.tables import Method, SupportOffer

METHOD_CONFLICT = N_("Någon annan har ändrat metoden under tiden. Ladda om sidan och försök igen.")
NO_SUCH_METHOD = N_("Välj en metod i listan.")
SOURCE_NEEDED = N_(
    "Ange källan till bedömningen av vetenskapligt stöd, till exempel en rapport från SBU "
    "eller Socialstyrelsens metodguide."
)
NAME_MAX = 160
TEXT_MAX = 4000

_COLUMNS = (
    Method.id,
    Method.unit,
    Method.unit.name.as_alias("unit_name"),
    Method.name,
    Method.description,
    Method.evidence,
    Method.evidence_source,
    Method.is_active,
    Method.version,
)


def _view(principal: Principal, row: dict[str, Any], offers: int = 0) -> MethodView:
    return MethodView(
        id=row["id"],
        unit_id=row["unit"],
        unit=row["unit_name"],
        name=row["name"],
        description=row["description"],
        evidence=row["evidence"],
        evidence_source=row["evidence_source"],
        is_active=row["is_active"],
        version=row["version"],
        editable=principal.can(Permission.methods_write) and row["unit"] in principal.unit_ids,
        offers=offers,
    )


async def list_methods(
    principal: Principal,
    *,
    search: str = "",
    evidence: str = "",
    active_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[MethodView], int]:
    require(principal, Permission.methods_read)
    where: Any = Method.archived_at.is_null()
    if search.strip():
        term = search.strip()
        where = where & (contains(Method.name, term) | contains(Method.description, term))
    if evidence in Method.Evidence.__members__:
        where = where & (Method.evidence == evidence)
    if active_only:
        where = where & (Method.is_active == True)  # noqa: E712
    rows = (
        await Method.select(*_COLUMNS)
        .where(where)
        .order_by(Method.name)
        .order_by(Method.id)
        .limit(limit)
        .offset(offset)
    )
    total = await Method.count().where(where)
    return [_view(principal, r) for r in rows], total


async def get_method(principal: Principal, method_id: int) -> MethodView:
    require(principal, Permission.methods_read)
    row = (
        await Method.select(*_COLUMNS)
        .where((Method.id == method_id) & Method.archived_at.is_null())
        .first()
    )
    if row is None:
        raise NotVisible()
    offers = await SupportOffer.count().where(
        (SupportOffer.method == method_id) & SupportOffer.archived_at.is_null()
    )
    return _view(principal, row, offers)


@dataclass(frozen=True)
class MethodChoice:
    id: int
    label: str
    evidence: str


async def method_choices() -> list[MethodChoice]:
    """Active methods for the offer form, by name (the unit after it, as two units
    may both name a method "Mentorskap")."""
    rows = (
        await Method.select(
            Method.id, Method.name, Method.evidence, Method.unit.name.as_alias("unit_name")
        )
        .where(Method.archived_at.is_null() & (Method.is_active == True))  # noqa: E712
        .order_by(Method.name)
        .order_by(Method.id)
    )
    return [MethodChoice(r["id"], f"{r['name']} ({r['unit_name']})", r["evidence"]) for r in rows]


async def method_usable(method_id: int | None) -> bool:
    """Whether an offer may name *method_id* (none, or an active method)."""
    if method_id is None:
        return True
    found: bool = await Method.exists().where(
        (Method.id == method_id) & Method.archived_at.is_null() & (Method.is_active == True)  # noqa: E712
    )
    return found


def _check_text(
    errors: dict[str, str], *, name: str | None, description: str | None, source: str | None
) -> None:
    if name is not None:
        if not name:
            errors["name"] = gettext("Skriv metodens namn.")
        elif len(name) > NAME_MAX:
            errors["name"] = gettext("Namnet får vara högst 160 tecken.")
    if description is not None and len(description) > TEXT_MAX:
        errors["description"] = gettext("Texten får vara högst 4000 tecken.")
    if source is not None and len(source) > TEXT_MAX:
        errors["evidence_source"] = gettext("Texten får vara högst 4000 tecken.")


async def _name_taken(unit_id: int, name: str, *, other_than: int | None = None) -> bool:
    """Whether the unit has another method of that name, in any case (a catalogue
    holds tens of methods: compared here, the same on both engines)."""
    rows = await Method.select(Method.id, Method.name).where(
        (Method.unit == unit_id) & Method.archived_at.is_null()
    )
    return any(r["name"].casefold() == name.casefold() and r["id"] != other_than for r in rows)


async def _audit(principal: Principal, method_id: int, op: str, **details: Any) -> None:
    await record(
        AuditAction.method_write,
        actor=principal,
        target_type="method",
        target_id=method_id,
        details={"op": op, **details},
    )


async def create_method(principal: Principal, data: MethodIn) -> int:
    require(principal, Permission.methods_write)
    errors: dict[str, str] = {}
    name = " ".join(data.name.split())
    description, source = data.description.strip(), data.evidence_source.strip()
    _check_text(errors, name=name, description=description, source=source)
    if data.unit_id not in principal.unit_ids:
        errors["unit_id"] = gettext("Välj en av dina enheter.")
    if data.evidence == Method.Evidence.scientific and not source:
        errors["evidence_source"] = gettext(SOURCE_NEEDED)
    async with write_transaction(Method._meta.db):
        if not errors and not await Unit.exists().where(
            (Unit.id == data.unit_id) & (Unit.is_active == True)  # noqa: E712
        ):
            errors["unit_id"] = gettext("Välj en av dina enheter.")
        if (
            "name" not in errors
            and "unit_id" not in errors
            and await _name_taken(data.unit_id, name)
        ):
            errors["name"] = gettext("Enheten har redan en metod med det namnet.")
        if errors:
            raise FormErrors(errors)
        method = Method(
            unit=data.unit_id,
            name=name,
            description=description,
            evidence=data.evidence,
            evidence_source=source,
        )
        await method.save()
        await _audit(principal, method.id, "create", evidence=data.evidence.value)
    return method.id


async def update_method(principal: Principal, method_id: int, data: MethodUpdateIn) -> None:
    """Change a method of one of the caller's units (optimistic lock on ``version``)."""
    require(principal, Permission.methods_write)
    errors: dict[str, str] = {}
    async with write_transaction(Method._meta.db):
        current = (
            await Method.select(Method.id, Method.unit, Method.evidence, Method.evidence_source)
            .where(
                (Method.id == method_id)
                & Method.archived_at.is_null()
                & Method.unit.is_in(list(principal.unit_ids) or [-1])
            )
            .first()
        )
        if current is None:
            raise NotVisible()
        values: dict[Any, Any] = {}
        name = " ".join(data.name.split()) if data.name is not UNSET else None
        description = data.description.strip() if data.description is not UNSET else None
        source = data.evidence_source.strip() if data.evidence_source is not UNSET else None
        _check_text(errors, name=name, description=description, source=source)
        evidence = data.evidence if data.evidence is not UNSET else current["evidence"]
        if evidence == Method.Evidence.scientific and not (
            source if source is not None else current["evidence_source"]
        ):
            errors["evidence_source"] = gettext(SOURCE_NEEDED)
        if (
            name
            and "name" not in errors
            and await _name_taken(current["unit"], name, other_than=method_id)
        ):
            errors["name"] = gettext("Enheten har redan en metod med det namnet.")
        if errors:
            raise FormErrors(errors)
        if name is not None:
            values[Method.name] = name
        if description is not None:
            values[Method.description] = description
        if source is not None:
            values[Method.evidence_source] = source
        if data.evidence is not UNSET:
            values[Method.evidence] = data.evidence
        if data.is_active is not UNSET:
            values[Method.is_active] = data.is_active
        await versioned(Method, method_id, data.version, values, METHOD_CONFLICT)
        await _audit(principal, method_id, "update", fields=sorted(c._meta.name for c in values))


@dataclass(frozen=True)
class UnitChoice:
    id: int
    label: str


async def unit_choices(principal: Principal) -> list[UnitChoice]:
    """The caller's active units: where a new method can be kept."""
    rows = (
        await Unit.select(Unit.id, Unit.name)
        .where(Unit.id.is_in(list(principal.unit_ids) or [-1]) & (Unit.is_active == True))  # noqa: E712
        .order_by(Unit.name)
    )
    return [UnitChoice(r["id"], r["name"]) for r in rows]
