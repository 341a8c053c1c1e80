"""What every defector-case service shares: its refusals, the access scope of a
case, the municipalities a user can open cases in, and the write preamble (the
case as the writer may change it, and its audit row).

Social services see the cases of their units: the own unit and any joint
defector unit the user works in (``UserUnit``), plus the cases they are
caseworker for. A case belongs to its home municipality; the joint unit that
runs it sees it, other units do not. Police see a few facts of a case only
while a disclosure to them is in force: with consent as the legal ground that
also needs the police track active and the police consent in force.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from gvi.access.permissions import Permission, roles_with
from gvi.access.principal import Principal, require
from gvi.access.tables import Disclosure, LegalGround
from gvi.accounts.tables import User, UserUnit
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.failures import NotVisible, Refused, VersionConflict
from gvi.core.versioning import bump_version
from gvi.defectors.tables import CaseConsent, ConsentAgency, DefectorCase
from gvi.i18n import N_, gettext
from gvi.municipalities.tables import Agency, Unit, UnitMunicipality

CONFLICT_MESSAGE = N_("Någon annan har ändrat ärendet under tiden. Ladda om sidan och försök igen.")
STATUS_CONFLICT_MESSAGE = N_(
    "Ärendets status har ändrats av någon annan under tiden. Ladda om sidan och försök igen."
)
PERSON_NOT_FOUND = N_("Ingen person med den koden finns i de kommuner du arbetar för.")
CASEWORKER_NOT_IN_UNIT = N_("Handläggaren måste arbeta i den ansvariga enheten.")

today = clock.today


class CaseError(Refused):
    """A refusal a person can act on (400); the message is safe to show."""


class Conflict(CaseError, VersionConflict):
    """The record changed since the page was shown (409)."""


class TransitionRefused(CaseError):
    """A status change the rules do not allow; the message says why."""


class GateRefused(TransitionRefused):
    """A step forward while consent, threat assessment or eligibility decision is missing;
    ``gate`` names what is missing (an override with a reason can pass it)."""

    def __init__(self, message: str, gate: str) -> None:
        super().__init__(message)
        self.gate = gate


class GrantRefused(CaseError):
    """A grant application while the police definition is not met."""


class DisclosureError(Refused):
    """A disclosure that cannot be made; the message says why."""


# --- scoping -------------------------------------------------------------------------


def _disclosed_to_police(principal: Principal) -> Any:
    now = clock.now()
    police_consent = DefectorCase.id.is_in(
        CaseConsent.select(CaseConsent.case).where(
            (CaseConsent.agency == ConsentAgency.police)
            & CaseConsent.withdrawn_on.is_null()
            & CaseConsent.archived_at.is_null()
        )
    )
    return DefectorCase.id.is_in(
        Disclosure.select(Disclosure.defector_case).where(
            (Disclosure.to_agency == Agency.police)
            & (Disclosure.disclosed_to == principal.user_id)
            & (Disclosure.expires_at.is_null() | (Disclosure.expires_at > now))
            & (
                (Disclosure.legal_ground != LegalGround.consent)
                | ((DefectorCase.police_track_active == True) & police_consent)  # noqa: E712
            )
        )
    )


def case_scope(principal: Principal) -> Any:
    """The WHERE clause of every case query for this principal."""
    live = DefectorCase.archived_at.is_null()
    if principal.can(Permission.cases_read):
        # The user's units (own and joint), and any case the user is caseworker for.
        return live & (
            DefectorCase.unit.is_in(list(principal.unit_ids) or [-1])
            | (DefectorCase.caseworker == principal.user_id)
        )
    if principal.can(Permission.cases_read_disclosed):
        return (
            live
            & DefectorCase.municipality.is_in(list(principal.municipality_ids) or [-1])
            & (_disclosed_to_police(principal))
        )
    return DefectorCase.id == -1


def visible_case_ids(principal: Principal) -> Any:
    """A sub-select of the ids of the cases this principal may see."""
    return DefectorCase.select(DefectorCase.id).where(case_scope(principal))


def visible_case_persons(principal: Principal) -> Any:
    """A sub-select of the people of the cases this principal may see (a case's
    caseworker and unit reach its person, wherever the person is registered)."""
    return DefectorCase.select(DefectorCase.person).where(case_scope(principal))


async def served_municipalities(unit_ids: Iterable[int]) -> set[int]:
    ids = list(unit_ids) or [-1]
    homes = await Unit.select(Unit.municipality).where(Unit.id.is_in(ids))
    served = await UnitMunicipality.select(UnitMunicipality.municipality).where(
        UnitMunicipality.unit.is_in(ids)
    )
    return {r["municipality"] for r in homes} | {r["municipality"] for r in served}


async def reach(principal: Principal) -> set[int]:
    """Municipalities whose people this user may open a case for: their own, and
    those their units (a joint unit) serve."""
    return set(principal.municipality_ids) | await served_municipalities(principal.unit_ids)


async def members(unit_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The active users who may be caseworkers in these units."""
    ids = list(unit_ids) or [-1]
    extra = UserUnit.select(UserUnit.user).where(UserUnit.unit.is_in(ids))
    rows: list[dict[str, Any]] = (
        await User.select(User.id, User.display_name)
        .where(
            User.role.is_in(sorted(r.value for r in roles_with(Permission.cases_write)))
            & (User.is_active == True)  # noqa: E712
            & User.archived_at.is_null()
            & (User.unit.is_in(ids) | User.id.is_in(extra))
        )
        .order_by(User.display_name)
    )
    return rows


async def caseworker_ok(user_id: int, unit_id: int) -> bool:
    return any(m["id"] == user_id for m in await members([unit_id]))


# --- writing -------------------------------------------------------------------------


def not_future(value: date | None, field: str, errors: dict[str, str]) -> date:
    """The date given, or today when none; a date after today is a field error."""
    now = today()
    if value is None:
        return now
    if value > now:
        errors[field] = gettext("Datumet kan inte ligga i framtiden.")
    return value


async def writable_case(principal: Principal, case_id: int) -> dict[str, Any]:
    """The case as a writer needs it, if this user may change it (else 404)."""
    require(principal, Permission.cases_write)
    row: dict[str, Any] | None = (
        await DefectorCase.select(
            DefectorCase.id,
            DefectorCase.person,
            DefectorCase.status,
            DefectorCase.version,
            DefectorCase.unit,
            DefectorCase.opened_on,
            DefectorCase.police_track_active,
        )
        .where(case_scope(principal) & (DefectorCase.id == case_id))
        .first()
    )
    if row is None:
        raise NotVisible()
    return row


async def audit_write(principal: Principal, case: dict[str, Any], op: str, **details: Any) -> None:
    await record(
        AuditAction.case_write,
        actor=principal,
        target_type="defector_case",
        target_id=case["id"],
        person_id=case["person"],
        details={"op": op, **details},
    )


async def versioned(
    table: Any, row_id: int, version: int, values: dict[Any, Any], message: str = CONFLICT_MESSAGE
) -> None:
    """:func:`~gvi.core.versioning.bump_version`, refusing with :class:`Conflict`."""
    if not await bump_version(table, row_id, version, values):
        raise Conflict(gettext(message))
