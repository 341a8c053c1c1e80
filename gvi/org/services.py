"""Organisation services: units, the municipalities they serve, and which units a
user belongs to. The one place that knows these queries, the access check and
the audit row of each change.

A user's scope follows their units: the municipalities served by their home
unit (``User.unit``) and their joint units (``UserUnit``), plus any granted
explicitly (``UserMunicipality``); :func:`gvi.access.loading.load_principal`
reads it in one query. So a change here that moves what someone may read ends
the sessions of everyone concerned at once (``session_epoch`` + 1): a user
moved between units, and every member of a unit whose served municipalities
change or which is deactivated.

Admins never see case content or identities: a unit with open defector cases
is refused deactivation with the cases' references and their count only.
Every change is an optimistic-locked UPDATE (``version``) with its audit event
in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.accounts.tables import User, UserUnit
from gvi.admin.services import AdminError as AdminError
from gvi.admin.services import FormErrors as FormErrors
from gvi.admin.services import VersionConflict as VersionConflict
from gvi.audit import services as audit
from gvi.audit.events import AuditAction
from gvi.core.failures import NotVisible
from gvi.core.versioning import bump_version
from gvi.db import write_transaction
from gvi.defectors.tables import CaseStatus, DefectorCase
from gvi.i18n import N_, gettext
from gvi.municipalities.reference import CODE_PATTERN
from gvi.municipalities.tables import Agency, Municipality, Unit, UnitMunicipality

UNIT_CONFLICT_MESSAGE = N_("Någon annan har ändrat enheten under tiden. Ladda om och försök igen.")
OPEN_CASES_MESSAGE = N_(
    "Enheten har %(count)s öppna avhopparärenden och kan inte avaktiveras. "
    "Flytta ärendena till en annan enhet först: %(references)s."
)
# How many open cases a refusal names; the count is always the full one.
OPEN_CASES_LISTED = 50


class UnitConflict(VersionConflict):
    """The unit changed since the form was shown."""

    def __init__(self) -> None:
        AdminError.__init__(self, gettext(UNIT_CONFLICT_MESSAGE))


@dataclass(frozen=True)
class OpenCase:
    id: int
    reference: str


class OpenCasesRefusal(AdminError):
    """The unit still holds open defector cases: references and a count, nothing else."""

    def __init__(self, cases: Sequence[OpenCase], count: int) -> None:
        listed = ", ".join(c.reference for c in cases[:OPEN_CASES_LISTED])
        if count > len(cases[:OPEN_CASES_LISTED]):
            listed += " …"
        super().__init__(gettext(OPEN_CASES_MESSAGE) % {"count": count, "references": listed})
        self.cases = list(cases)
        self.count = count


def _require(principal: Principal) -> None:
    # The guard already checked; this keeps a service safe when called from elsewhere.
    if not principal.can(Permission.org_manage):
        raise NotVisible()


def _engine() -> Any:
    return Unit._meta.db


# --- reading ---------------------------------------------------------------------


@dataclass(frozen=True)
class MunicipalityView:
    id: int
    code: str
    name: str
    county: str


@dataclass(frozen=True)
class UnitView:
    id: int
    name: str
    kind: str
    agency: str
    home: MunicipalityView
    serves: tuple[MunicipalityView, ...]
    is_active: bool
    members: int
    version: int


async def municipalities(principal: Principal, county: str = "") -> list[MunicipalityView]:
    """Live municipalities by code; *county* keeps one county (län)."""
    _require(principal)
    where: Any = Municipality.archived_at.is_null()
    if county.strip():
        where &= Municipality.county == county.strip()
    rows = (
        await Municipality.select(
            Municipality.id, Municipality.code, Municipality.name, Municipality.county
        )
        .where(where)
        .order_by(Municipality.code)
    )
    return [MunicipalityView(r["id"], r["code"], r["name"], r["county"]) for r in rows]


async def _members(unit_ids: Sequence[int]) -> dict[int, set[int]]:
    """User ids per unit: home members and joint members (archived accounts left out)."""
    found: dict[int, set[int]] = {u: set() for u in unit_ids}
    if not unit_ids:
        return found
    for r in await User.select(User.id, User.unit).where(
        User.unit.is_in(list(unit_ids)) & User.archived_at.is_null()
    ):
        found[r["unit"]].add(r["id"])
    for r in await UserUnit.select(UserUnit.user, UserUnit.unit).where(
        UserUnit.unit.is_in(list(unit_ids))
    ):
        found[r["unit"]].add(r["user"])
    return found


async def _views(where: Any) -> list[UnitView]:
    rows = (
        await Unit.select(
            Unit.id,
            Unit.name,
            Unit.kind,
            Unit.agency,
            Unit.is_active,
            Unit.version,
            Unit.municipality.id,
            Unit.municipality.code,
            Unit.municipality.name,
            Unit.municipality.county,
        )
        .where(where)
        .order_by(Unit.name)
    )
    ids = [r["id"] for r in rows]
    served: dict[int, list[MunicipalityView]] = {i: [] for i in ids}
    if ids:
        for r in await UnitMunicipality.select(
            UnitMunicipality.unit,
            UnitMunicipality.municipality.id,
            UnitMunicipality.municipality.code,
            UnitMunicipality.municipality.name,
            UnitMunicipality.municipality.county,
        ).where(UnitMunicipality.unit.is_in(ids)):
            served[r["unit"]].append(
                MunicipalityView(
                    r["municipality.id"],
                    r["municipality.code"],
                    r["municipality.name"],
                    r["municipality.county"],
                )
            )
    members = await _members(ids)
    return [
        UnitView(
            id=r["id"],
            name=r["name"],
            kind=r["kind"],
            agency=r["agency"],
            home=MunicipalityView(
                r["municipality.id"],
                r["municipality.code"],
                r["municipality.name"],
                r["municipality.county"],
            ),
            serves=tuple(sorted(served[r["id"]], key=lambda m: m.code)),
            is_active=r["is_active"],
            members=len(members[r["id"]]),
            version=r["version"],
        )
        for r in rows
    ]


async def list_units(principal: Principal) -> list[UnitView]:
    """Every unit that is not archived, active ones and deactivated ones, by name."""
    _require(principal)
    return await _views(Unit.archived_at.is_null())


async def get_unit(principal: Principal, unit_id: int) -> UnitView:
    _require(principal)
    found = await _views((Unit.id == unit_id) & Unit.archived_at.is_null())
    if not found:
        raise NotVisible()
    return found[0]


async def find_unit(principal: Principal, key: str) -> UnitView:
    """A unit by id or by exact name (the command line names units either way)."""
    _require(principal)
    key = key.strip()
    where: Any = Unit.archived_at.is_null()
    where &= (Unit.id == int(key)) if key.isdigit() else (Unit.name == key)
    found = await _views(where)
    if not found:
        raise NotVisible()
    return found[0]


# --- validation --------------------------------------------------------------------


@dataclass(frozen=True)
class UnitDraft:
    """What an admin typed for a unit (page, API or command line). Municipalities
    are kommunkoder, as text: the leading zero is part of the code."""

    name: str
    kind: str
    agency: str
    home: str
    serves: tuple[str, ...] = ()


@dataclass(frozen=True)
class _CleanUnit:
    name: str
    kind: str
    agency: str
    home_id: int
    serves_ids: frozenset[int]


async def _clean(
    draft: UnitDraft, *, unit_id: int | None, known: dict[str, str] | None = None
) -> _CleanUnit:
    errors: dict[str, str] = dict(known or {})
    name = " ".join(draft.name.split())
    if len(name) < 2:
        errors["name"] = gettext("Skriv enhetens namn (minst två tecken).")
    elif len(name) > 120:
        errors["name"] = gettext("Namnet får vara högst 120 tecken.")
    else:
        # Compared case-folded in Python: SQLite has no ILIKE, and LIKE would
        # read % and _ in a name as wildcards. Units number in the hundreds.
        taken = {
            r["name"].casefold()
            for r in await Unit.select(Unit.name).where(
                Unit.archived_at.is_null() & (Unit.id != (unit_id or 0))
            )
        }
        if name.casefold() in taken:
            errors["name"] = gettext("Det finns redan en enhet med det namnet. Välj ett annat.")
    if draft.kind not in {k.value for k in Unit.Kind}:
        errors["kind"] = gettext("Välj vilken sorts enhet det är.")
    if draft.agency not in {a.value for a in Agency}:
        errors["agency"] = gettext("Välj vilken verksamhet enheten hör till.")
    home = draft.home.strip()
    serves = {c.strip() for c in draft.serves if c.strip()}
    wanted = serves | ({home} if home else set())
    by_code: dict[str, int] = {}
    if wanted and all(CODE_PATTERN.fullmatch(c) for c in wanted):
        by_code = {
            r["code"]: r["id"]
            for r in await Municipality.select(Municipality.id, Municipality.code).where(
                Municipality.code.is_in(sorted(wanted)) & Municipality.archived_at.is_null()
            )
        }
    if not home:
        errors["home"] = gettext("Välj enhetens hemkommun.")
    elif home not in by_code:
        errors["home"] = gettext("Välj en kommun i listan (kommunkod med fyra siffror).")
    if any(c not in by_code for c in serves):
        errors["serves"] = gettext(
            "Välj kommuner i listan (kommunkoder med fyra siffror, till exempel 0123)."
        )
    if errors:
        raise FormErrors(errors)
    return _CleanUnit(
        name=name,
        kind=draft.kind,
        agency=draft.agency,
        home_id=by_code[home],
        # The home municipality is always among those served.
        serves_ids=frozenset(by_code[c] for c in wanted),
    )


# --- changes -------------------------------------------------------------------------


async def _end_sessions(user_ids: Iterable[int]) -> int:
    """Raise the session epoch of these users: their sessions end on the next request."""
    ids = sorted(set(user_ids))
    if ids:
        await User.update({User.session_epoch: User.session_epoch + 1}).where(User.id.is_in(ids))
    return len(ids)


async def create_unit(
    principal: Principal, draft: UnitDraft, *, known_errors: dict[str, str] | None = None
) -> UnitView:
    """A new, active unit; :class:`FormErrors` says what to fix, field by field."""
    _require(principal)
    clean = await _clean(draft, unit_id=None, known=known_errors)
    async with write_transaction(_engine()):
        unit = Unit(
            name=clean.name,
            kind=clean.kind,
            agency=clean.agency,
            municipality=clean.home_id,
            is_active=True,
        )
        await unit.save()
        await UnitMunicipality.insert(
            *(UnitMunicipality(unit=unit.id, municipality=m) for m in sorted(clean.serves_ids))
        )
        await audit.record(
            AuditAction.org_unit_create,
            actor=principal,
            target_type="unit",
            target_id=unit.id,
            details={
                "kind": clean.kind,
                "agency": clean.agency,
                "home": clean.home_id,
                "serves": len(clean.serves_ids),
            },
        )
    return await get_unit(principal, unit.id)


@dataclass(frozen=True)
class UnitChange:
    scope_changed: bool
    sessions_ended: int


async def _versioned(unit_id: int, version: int, values: dict[Any, Any]) -> None:
    if not await bump_version(Unit, unit_id, version, values, live_only=True):
        if await Unit.exists().where((Unit.id == unit_id) & Unit.archived_at.is_null()):
            raise UnitConflict()
        raise NotVisible()


async def update_unit(
    principal: Principal,
    unit_id: int,
    version: int,
    draft: UnitDraft,
    *,
    known_errors: dict[str, str] | None = None,
) -> UnitChange:
    """Change a unit. A changed set of served municipalities changes what every
    member may read, so it ends their sessions."""
    _require(principal)
    if not await Unit.exists().where((Unit.id == unit_id) & Unit.archived_at.is_null()):
        raise NotVisible()
    clean = await _clean(draft, unit_id=unit_id, known=known_errors)
    async with write_transaction(_engine()):
        held = {
            r["municipality"]
            for r in await UnitMunicipality.select(UnitMunicipality.municipality).where(
                UnitMunicipality.unit == unit_id
            )
        }
        await _versioned(
            unit_id,
            version,
            {
                Unit.name: clean.name,
                Unit.kind: clean.kind,
                Unit.agency: clean.agency,
                Unit.municipality: clean.home_id,
            },
        )
        scope_changed = held != clean.serves_ids
        ended = 0
        if scope_changed:
            gone = held - clean.serves_ids
            if gone:
                await UnitMunicipality.delete().where(
                    (UnitMunicipality.unit == unit_id)
                    & UnitMunicipality.municipality.is_in(sorted(gone))
                )
            added = clean.serves_ids - held
            if added:
                await UnitMunicipality.insert(
                    *(UnitMunicipality(unit=unit_id, municipality=m) for m in sorted(added))
                )
            ended = await _end_sessions((await _members([unit_id]))[unit_id])
        await audit.record(
            AuditAction.org_unit_update,
            actor=principal,
            target_type="unit",
            target_id=unit_id,
            details={
                "kind": clean.kind,
                "agency": clean.agency,
                "home": clean.home_id,
                "serves": len(clean.serves_ids),
                "scope_changed": scope_changed,
                "sessions_ended": ended,
            },
        )
    return UnitChange(scope_changed=scope_changed, sessions_ended=ended)


async def open_cases(unit_id: int) -> tuple[list[OpenCase], int]:
    """The unit's open defector cases (not closed, not archived): reference and id only."""
    where = (
        (DefectorCase.unit == unit_id)
        & (DefectorCase.status != CaseStatus.closed.value)
        & DefectorCase.archived_at.is_null()
    )
    rows = (
        await DefectorCase.select(DefectorCase.id, DefectorCase.reference)
        .where(where)
        .order_by(DefectorCase.reference)
        .limit(OPEN_CASES_LISTED)
    )
    count: int = await DefectorCase.count().where(where)
    return [OpenCase(r["id"], r["reference"]) for r in rows], count


async def deactivate_unit(principal: Principal, unit_id: int, version: int) -> UnitChange:
    """Stop a unit being chosen and giving scope; its members' sessions end. Refused
    (:class:`OpenCasesRefusal`) while it holds open defector cases; the refusal
    is recorded too, with the count."""
    _require(principal)
    async with write_transaction(_engine()):
        row = (
            await Unit.select(Unit.is_active, Unit.version)
            .where((Unit.id == unit_id) & Unit.archived_at.is_null())
            .first()
        )
        if row is None:
            raise NotVisible()
        if row["version"] != version:
            raise UnitConflict()
        if not row["is_active"]:
            raise FormErrors({"unit": gettext("Enheten är redan avaktiverad.")})
        cases, count = await open_cases(unit_id)
        if count:
            await audit.record(
                AuditAction.org_unit_deactivate_refused,
                actor=principal,
                target_type="unit",
                target_id=unit_id,
                details={"open_cases": count},
            )
        else:
            await _versioned(unit_id, version, {Unit.is_active: False})
            ended = await _end_sessions((await _members([unit_id]))[unit_id])
            await audit.record(
                AuditAction.org_unit_deactivate,
                actor=principal,
                target_type="unit",
                target_id=unit_id,
                details={"sessions_ended": ended},
            )
    if count:
        # Raised after the commit: the refusal's audit row stays.
        raise OpenCasesRefusal(cases, count)
    return UnitChange(scope_changed=True, sessions_ended=ended)


async def reactivate_unit(principal: Principal, unit_id: int, version: int) -> UnitChange:
    """Make a deactivated unit active again: it can be chosen and gives its members
    its municipalities once more, so their sessions end (the next sign-in has the
    wider scope)."""
    _require(principal)
    async with write_transaction(_engine()):
        row = (
            await Unit.select(Unit.is_active, Unit.version)
            .where((Unit.id == unit_id) & Unit.archived_at.is_null())
            .first()
        )
        if row is None:
            raise NotVisible()
        if row["version"] != version:
            raise UnitConflict()
        if row["is_active"]:
            raise FormErrors({"unit": gettext("Enheten är redan aktiv.")})
        await _versioned(unit_id, version, {Unit.is_active: True})
        ended = await _end_sessions((await _members([unit_id]))[unit_id])
        await audit.record(
            AuditAction.org_unit_reactivate,
            actor=principal,
            target_type="unit",
            target_id=unit_id,
            details={"sessions_ended": ended},
        )
    return UnitChange(scope_changed=True, sessions_ended=ended)


# --- a user's units ------------------------------------------------------------------


async def active_unit_ids(ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    return {
        r["id"]
        for r in await Unit.select(Unit.id).where(
            Unit.id.is_in(wanted) & Unit.archived_at.is_null() & (Unit.is_active == True)  # noqa: E712 (Piccolo needs ==)
        )
    }


async def check_joint_units(ids: Iterable[int], errors: dict[str, str]) -> set[int]:
    wanted = set(ids)
    found = await active_unit_ids(wanted)
    if found != wanted:
        errors["joint_units"] = gettext("Välj aktiva enheter i listan.")
    return found


async def joint_unit_ids(user_id: int) -> set[int]:
    return {r["unit"] for r in await UserUnit.select(UserUnit.unit).where(UserUnit.user == user_id)}


async def join_units(
    principal: Principal, user_id: int, unit_ids: set[int], *, home: int | None
) -> None:
    """In the caller's transaction: a new user's joint units (checked active by
    :func:`check_joint_units` first), with its ``user:unit:change`` event."""
    await replace_joint_units(user_id, unit_ids)
    await audit.record(
        AuditAction.user_unit_change,
        actor=principal,
        target_type="user",
        target_id=user_id,
        details={
            "home_from": None,
            "home_to": home,
            "joint_units": len(unit_ids),
            "sessions_ended": False,
        },
    )


async def replace_joint_units(user_id: int, wanted: set[int]) -> bool:
    """In the caller's transaction: make the user's joint units *wanted*; whether they changed."""
    held = await joint_unit_ids(user_id)
    if held == wanted:
        return False
    gone = held - wanted
    if gone:
        await UserUnit.delete().where(
            (UserUnit.user == user_id) & UserUnit.unit.is_in(sorted(gone))
        )
    added = wanted - held
    if added:
        await UserUnit.insert(*(UserUnit(user=user_id, unit=u) for u in sorted(added)))
    return True
