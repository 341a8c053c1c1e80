"""Defector cases: unit scoping, and the police view only through a recorded disclosure.

Social services see the cases of their own unit (a joint unit sees the cases
it runs for several municipalities). Police see a few facts of a case only
while a disclosure to them is in force: with consent as the legal ground that
also needs the police track active (withdrawn consent ends it at once).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.exceptions import NotFoundException

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.access.tables import Disclosure, LegalGround
from gvi.accounts.tables import Role
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.db import write_transaction
from gvi.defectors.tables import DefectorCase
from gvi.municipalities.tables import Agency


class CaseView(msgspec.Struct, frozen=True):
    """A case as one user may see it; also the API's output shape."""

    id: int
    reference: str
    status: str
    municipality: str
    person_code: str
    threat_level: str
    police_track_active: bool
    # Social services only; None in the police view.
    referral_source: str | None = None
    environment: str | None = None
    is_child: bool | None = None
    notes: str | None = None


def _engine() -> Any:
    return DefectorCase._meta.db


def _disclosed_to_police(principal: Principal) -> Any:
    now = datetime.now(tz=UTC)
    return DefectorCase.id.is_in(
        Disclosure.select(Disclosure.defector_case).where(
            (Disclosure.to_agency == Agency.police)
            & (Disclosure.disclosed_to == principal.user_id)
            & (Disclosure.expires_at.is_null() | (Disclosure.expires_at > now))
            & (
                (Disclosure.legal_ground != LegalGround.consent)
                | (DefectorCase.police_track_active == True)  # noqa: E712
            )
        )
    )


def case_scope(principal: Principal) -> Any:
    """The WHERE clause of every case query for this principal."""
    live = DefectorCase.archived_at.is_null()
    if principal.role is Role.outreach:
        # The unit's cases, and any case the user is caseworker for (a social
        # secretary who also works in a joint defector unit).
        return live & (
            DefectorCase.unit.is_in(list(principal.unit_ids) or [-1])
            | (DefectorCase.caseworker == principal.user_id)
        )
    if principal.role is Role.police:
        return (
            live
            & DefectorCase.municipality.is_in(list(principal.municipality_ids) or [-1])
            & (_disclosed_to_police(principal))
        )
    return DefectorCase.id == -1


async def get_case(principal: Principal, case_id: int) -> CaseView:
    if not principal.can(Permission.cases_read) and principal.role is not Role.police:
        raise NotFoundException()
    async with write_transaction(_engine()):
        row = (
            await DefectorCase.select(
                *DefectorCase.all_columns(),
                DefectorCase.municipality.name.as_alias("municipality_name"),
                DefectorCase.person.code.as_alias("person_code"),
            )
            .where(case_scope(principal) & (DefectorCase.id == case_id))
            .first()
        )
        if row is None:
            raise NotFoundException()
        await record(
            AuditAction.case_read
            if principal.role is Role.outreach
            else AuditAction.disclosure_read,
            actor=principal,
            target_type="defector_case",
            target_id=case_id,
            person_id=row["person"],
        )
    base = {
        "id": row["id"],
        "reference": row["reference"],
        "status": row["status"],
        "municipality": row["municipality_name"],
        "person_code": row["person_code"],
        "threat_level": row["threat_level"],
        "police_track_active": row["police_track_active"],
    }
    if principal.role is Role.outreach:
        return CaseView(
            **base,
            referral_source=row["referral_source"],
            environment=row["environment"],
            is_child=row["is_child"],
            notes=row["notes"],
        )
    return CaseView(**base)


class DisclosureError(Exception):
    """A disclosure that cannot be made; the message says why."""


async def record_disclosure(
    principal: Principal,
    case_id: int,
    *,
    to_user_id: int,
    legal_ground: LegalGround,
    summary: str,
    valid_days: int | None = 30,
) -> int:
    """Social services disclose a case's facts to one police officer.

    The crossing is explicit: who assessed it, on what legal ground, what was
    disclosed, to whom and until when. With consent as the ground, the person's
    consent to the police must be in force; withdrawing it later ends the
    sharing at once (see :func:`case_scope`).
    """
    from datetime import timedelta

    from gvi.accounts.tables import User
    from gvi.defectors.tables import CaseConsent, ConsentAgency

    if principal.role is not Role.outreach or not principal.can(Permission.disclosures_write):
        raise NotFoundException()
    summary = summary.strip()
    if len(summary) < 10:
        raise DisclosureError("Beskriv vad som lämnas ut (minst 10 tecken).")
    now = datetime.now(tz=UTC)
    async with write_transaction(_engine()):
        case = (
            await DefectorCase.select(
                DefectorCase.id, DefectorCase.person, DefectorCase.police_track_active
            )
            .where(case_scope(principal) & (DefectorCase.id == case_id))
            .first()
        )
        if case is None:
            raise NotFoundException()
        officer = (
            await User.select(User.id)
            .where(
                (User.id == to_user_id) & (User.role == Role.police) & (User.is_active == True)  # noqa: E712
            )
            .first()
        )
        if officer is None:
            raise DisclosureError("Mottagaren måste vara en aktiv användare hos polisen.")
        if legal_ground is LegalGround.consent:
            consent = await CaseConsent.exists().where(
                (CaseConsent.case == case_id)
                & (CaseConsent.agency == ConsentAgency.police)
                & CaseConsent.withdrawn_on.is_null()
            )
            if not consent or not case["police_track_active"]:
                raise DisclosureError(
                    "Samtycke till polisen saknas eller är återkallat: välj en annan "
                    "rättslig grund (OSL-bestämmelse) eller avstå."
                )
        disclosure = Disclosure(
            from_agency=Agency.social_services,
            to_agency=Agency.police,
            person=case["person"],
            defector_case=case_id,
            legal_ground=legal_ground,
            assessed_by=principal.user_id,
            disclosed_to=to_user_id,
            summary=summary,
            disclosed_at=now,
            expires_at=now + timedelta(days=valid_days) if valid_days else None,
        )
        await disclosure.save()
        await record(
            AuditAction.disclosure_create,
            actor=principal,
            target_type="defector_case",
            target_id=case_id,
            person_id=case["person"],
            details={
                "disclosure_id": disclosure.id,
                "legal_ground": legal_ground.value,
                "to_user_id": to_user_id,
            },
        )
    return disclosure.id
