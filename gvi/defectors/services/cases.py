"""Opening and changing defector cases: the forms' choices, the case number,
the case's facts and assessments (optimistic lock on ``version``) and its
status along the allowed transitions. The police track follows every change
in the same transaction (:mod:`.track`); every write writes its audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from msgspec import UNSET

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.failures import FormErrors
from gvi.core.forms import PERSON_CODE
from gvi.db import write_transaction
from gvi.defectors import transitions
from gvi.defectors.forms import normalise_code
from gvi.defectors.schemas import CaseIn, CaseStatusIn, CaseUpdateIn, ChangeResult
from gvi.defectors.services.common import (
    CASEWORKER_NOT_IN_UNIT,
    PERSON_NOT_FOUND,
    STATUS_CONFLICT_MESSAGE,
    Conflict,
    GateRefused,
    TransitionRefused,
    audit_write,
    caseworker_ok,
    members,
    not_future,
    reach,
    served_municipalities,
    today,
    versioned,
    writable_case,
)
from gvi.defectors.services.track import consent_state, facts, refresh_police_track
from gvi.defectors.tables import CaseAssessmentChange, CaseStatus, CaseStatusChange, DefectorCase
from gvi.i18n import N_, gettext
from gvi.municipalities.tables import Agency, Municipality, Unit
from gvi.people.tables import Person

CLOSE_NEEDS_LEAD = N_(
    "Ett ärende avslutas av en enhetschef i ärendets enhet. Be enhetschefen avsluta det."
)

# Serialises case numbering on PostgreSQL ("gvi_case"); SQLite's immediate transaction already does.
_PG_REFERENCE_LOCK = 0x6776695F63617365


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class CaseChoices:
    units: list[Choice]
    municipalities: list[Choice]
    caseworkers: list[Choice]


async def case_choices(principal: Principal) -> CaseChoices:
    """Units the user may make responsible (their own and joint units), the
    municipalities those serve, and the caseworkers who work in them."""
    require(principal, Permission.cases_write)
    units = (
        await Unit.select(Unit.id, Unit.name)
        .where(
            Unit.id.is_in(list(principal.unit_ids) or [-1])
            & Unit.archived_at.is_null()
            & (Unit.is_active == True)  # noqa: E712
            & (Unit.agency == Agency.social_services)
        )
        .order_by(Unit.name)
    )
    served = await served_municipalities(u["id"] for u in units)
    municipalities = (
        await Municipality.select(Municipality.id, Municipality.name)
        .where(Municipality.id.is_in(list(served) or [-1]))
        .order_by(Municipality.name)
    )
    workers = await members(u["id"] for u in units)
    return CaseChoices(
        units=[Choice(u["id"], u["name"]) for u in units],
        municipalities=[Choice(m["id"], m["name"]) for m in municipalities],
        caseworkers=[Choice(w["id"], w["display_name"]) for w in workers],
    )


# --- writing -------------------------------------------------------------------------


async def _unit_serves(unit_id: int, municipality_id: int) -> bool:
    return municipality_id in await served_municipalities([unit_id])


async def _next_reference(year: int) -> str:
    if DefectorCase._meta.db.engine_type == "postgres":
        await DefectorCase.raw("SELECT pg_advisory_xact_lock({})", _PG_REFERENCE_LOCK)
    prefix = f"AH-{year}-"
    # Numbering is national (the reference is unique), so this one query is unscoped;
    # it hands out a number, nothing else.
    rows = await DefectorCase.select(DefectorCase.reference).where(
        DefectorCase.reference.like(prefix + "%")
    )
    numbers = [
        int(r["reference"][len(prefix) :]) for r in rows if r["reference"][len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


async def create_case(principal: Principal, data: CaseIn) -> int:
    """Open a case: person by code, home municipality, responsible unit (own or a
    joint unit serving the municipality), caseworker, referral, environment."""
    require(principal, Permission.cases_write)
    errors: dict[str, str] = {}
    code = normalise_code(data.person_code)
    if not PERSON_CODE.fullmatch(code):
        errors["person_code"] = gettext("Skriv personens kod, till exempel P-7Q4K.")
    opened_on = not_future(data.opened_on, "opened_on", errors)
    if data.unit_id not in principal.unit_ids:
        errors["unit_id"] = gettext("Välj en av dina enheter.")
    async with write_transaction(DefectorCase._meta.db):
        person = None
        if "person_code" not in errors:
            person = (
                await Person.select(Person.id, Person.home_municipality)
                .where(
                    (Person.code == code)
                    & Person.archived_at.is_null()
                    & Person.home_municipality.is_in(list(await reach(principal)) or [-1])
                )
                .first()
            )
            if person is None:
                errors["person_code"] = gettext(PERSON_NOT_FOUND)
        municipality_id = data.municipality_id or (person["home_municipality"] if person else None)
        if (
            "unit_id" not in errors
            and municipality_id is not None
            and not await _unit_serves(data.unit_id, municipality_id)
        ):
            errors["municipality_id"] = gettext(
                "Enheten arbetar inte för den kommunen. Välj en gemensam enhet som gör det."
            )
        caseworker = data.caseworker_id or principal.user_id
        if "unit_id" not in errors and not await caseworker_ok(caseworker, data.unit_id):
            errors["caseworker_id"] = gettext(CASEWORKER_NOT_IN_UNIT)
        if errors:
            raise FormErrors(errors)
        assert person is not None
        assert municipality_id is not None
        case = DefectorCase(
            reference=await _next_reference(opened_on.year),
            person=person["id"],
            municipality=municipality_id,
            unit=data.unit_id,
            caseworker=caseworker,
            status=CaseStatus.contact,
            referral_source=data.referral_source,
            environment=data.environment,
            is_child=data.is_child,
            opened_on=opened_on,
            notes=data.notes.strip(),
        )
        await case.save()
        await CaseStatusChange(
            case=case.id,
            from_status=None,
            to_status=CaseStatus.contact,
            changed_at=clock.now(),
            changed_by=principal.user_id,
        ).save()
        await record(
            AuditAction.case_write,
            actor=principal,
            target_type="defector_case",
            target_id=case.id,
            person_id=person["id"],
            details={"op": "create", "unit_id": data.unit_id},
        )
    return case.id


_UPDATABLE = (
    "caseworker_id",
    "referral_source",
    "environment",
    "is_child",
    "notes",
    "motivated",
    "is_witness",
    "threat_level",
    "threat_assessed_on",
    "social_services_eligible",
    "psychiatric_collaboration",
)


# The assessments whose changes the timeline shows (architecture §3.1: the threat assessment,
# motivation, witness status and the social services' decision decide the tracks).
ASSESSMENT_COLUMNS = (
    DefectorCase.threat_level,
    DefectorCase.threat_assessed_on,
    DefectorCase.motivated,
    DefectorCase.is_witness,
    DefectorCase.social_services_eligible,
)


def _assessment_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


async def _record_assessments(
    principal: Principal, case_id: int, before: dict[str, Any], changes: dict[str, Any]
) -> None:
    now = clock.now()
    for column in ASSESSMENT_COLUMNS:
        name = column._meta.name
        if name not in changes:
            continue
        old, new = _assessment_text(before[name]), _assessment_text(changes[name])
        if old != new:
            await CaseAssessmentChange(
                case=case_id,
                field=name,
                old_value=old,
                new_value=new,
                changed_at=now,
                changed_by=principal.user_id,
            ).save()


async def update_case(principal: Principal, case_id: int, data: CaseUpdateIn) -> ChangeResult:
    """Change the case's facts and assessments (optimistic lock on ``version``).
    The police track follows the new assessments at once."""
    errors: dict[str, str] = {}
    changes = {name: getattr(data, name) for name in _UPDATABLE if getattr(data, name) is not UNSET}
    if changes.get("threat_assessed_on") is not None:
        not_future(changes["threat_assessed_on"], "threat_assessed_on", errors)
    if isinstance(changes.get("notes"), str):
        changes["notes"] = changes["notes"].strip()
    async with write_transaction(DefectorCase._meta.db):
        case = await writable_case(principal, case_id)
        if "caseworker_id" in changes:
            worker = changes.pop("caseworker_id")
            if worker is not None and not await caseworker_ok(worker, case["unit"]):
                errors["caseworker_id"] = gettext(CASEWORKER_NOT_IN_UNIT)
            changes["caseworker"] = worker
        if (
            changes.get("threat_level") not in (None, DefectorCase.Threat.unknown)
            and "threat_assessed_on" in changes
            and changes["threat_assessed_on"] is None
        ):
            changes["threat_assessed_on"] = today()
        if errors:
            raise FormErrors(errors)
        values: dict[Any, Any] = {
            DefectorCase._meta.get_column_by_name(name): value for name, value in changes.items()
        }
        before = (
            await DefectorCase.select(*(c for c in ASSESSMENT_COLUMNS))
            .where(DefectorCase.id == case_id)
            .first()
        )
        await versioned(DefectorCase, case_id, data.version, values)
        assert before is not None
        await _record_assessments(principal, case_id, before, changes)
        result = await refresh_police_track(case_id)
        await audit_write(
            principal,
            case,
            "update",
            fields=sorted(changes),
            police_track=result.police_track_active,
            police_track_ended=result.police_track_ended,
        )
    return result


async def change_status(principal: Principal, case_id: int, data: CaseStatusIn) -> ChangeResult:
    """Move the case along the allowed transitions; closing needs an outcome and
    ends the police track. Refused moves raise :class:`TransitionRefused`."""
    async with write_transaction(DefectorCase._meta.db):
        case = await writable_case(principal, case_id)
        current = case["status"]
        if data.from_status is not None and data.from_status != current:
            raise Conflict(gettext(STATUS_CONFLICT_MESSAGE))
        outcome = data.outcome.value if data.outcome is not None else None
        reason = transitions.refusal(current, data.to_status, outcome)
        if reason is not None:
            raise TransitionRefused(reason)
        if data.to_status == CaseStatus.closed and not (
            principal.can(Permission.cases_approve) and case["unit"] in principal.unit_ids
        ):
            # Closing is the unit lead's decision (Permission.cases_approve, README).
            raise TransitionRefused(gettext(CLOSE_NEEDS_LEAD))
        gate_facts = (
            await DefectorCase.select(
                DefectorCase.threat_level,
                DefectorCase.threat_assessed_on,
                DefectorCase.social_services_eligible,
            )
            .where(DefectorCase.id == case_id)
            .first()
        )
        assert gate_facts is not None
        gate = transitions.gate(
            current, data.to_status, facts(gate_facts, await consent_state(case_id))
        )
        if gate is not None and not data.override:
            raise GateRefused(transitions.gate_message(current), gate)
        if gate is not None and len(data.reason.strip()) < transitions.OVERRIDE_MIN:
            raise GateRefused(
                gettext(
                    "Ett undantag från kravet på %(what)s behöver ett skäl: skriv varför i "
                    "kommentaren (minst %(n)s tecken)."
                )
                % {"what": gettext(transitions.GATE_LABELS[gate]), "n": transitions.OVERRIDE_MIN},
                gate,
            )
        values: dict[Any, Any] = {DefectorCase.status: data.to_status}
        if data.to_status == CaseStatus.closed:
            values[DefectorCase.closed_on] = today()
            values[DefectorCase.closure_outcome] = outcome
        moved = (
            await DefectorCase.update(values)
            .where((DefectorCase.id == case_id) & (DefectorCase.status == current))
            .returning(DefectorCase.id)
        )
        if not moved:
            raise Conflict(gettext(STATUS_CONFLICT_MESSAGE))
        await CaseStatusChange(
            case=case_id,
            from_status=current,
            to_status=data.to_status,
            changed_at=clock.now(),
            changed_by=principal.user_id,
            reason=data.reason.strip(),
            overridden_gate=gate or "",
        ).save()
        result = await refresh_police_track(case_id)
        await audit_write(
            principal,
            case,
            "status",
            **{"from": current, "to": data.to_status.value, "outcome": outcome},
            **({"override": gate} if gate else {}),
            police_track_ended=result.police_track_ended,
        )
    return result
