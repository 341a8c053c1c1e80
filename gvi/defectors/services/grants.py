"""State-grant applications (statsbidrag via Polismyndigheten) and their decisions.
An application is possible only while the police definition is met."""

from __future__ import annotations

from gvi.access.principal import Principal
from gvi.core.failures import FormErrors, NotVisible
from gvi.db import write_transaction
from gvi.defectors.schemas import GrantDecisionIn, GrantIn
from gvi.defectors.services.common import (
    CaseError,
    GrantRefused,
    audit_write,
    not_future,
    versioned,
    writable_case,
)
from gvi.defectors.services.track import consent_state, definition, track_inputs
from gvi.defectors.tables import DefectorCase, GrantApplication
from gvi.i18n import gettext


async def apply_for_grant(principal: Principal, case_id: int, data: GrantIn) -> int:
    """A state-grant application: only while the police definition is met (the
    refusal lists the criteria that fail)."""
    errors: dict[str, str] = {}
    not_future(data.applied_on, "applied_on", errors)
    if data.amount_applied <= 0:
        errors["amount_applied"] = gettext("Beloppet måste vara större än noll.")
    async with write_transaction(DefectorCase._meta.db):
        case = await writable_case(principal, case_id)
        row = await track_inputs(case_id)
        police = definition(row, await consent_state(case_id))
        if not police.met:
            raise GrantRefused(
                gettext(
                    "Statsbidrag kan bara sökas när polisens definition är uppfylld. "
                    "Det som saknas: "
                )
                + " ".join(police.failing)
            )
        if errors:
            raise FormErrors(errors)
        grant = GrantApplication(
            case=case_id, applied_on=data.applied_on, amount_applied=data.amount_applied
        )
        await grant.save()
        await audit_write(principal, case, "grant_apply", grant_id=grant.id)
    return grant.id


async def decide_grant(
    principal: Principal, case_id: int, grant_id: int, data: GrantDecisionIn
) -> None:
    """Record the Police Authority's decision on an application."""
    errors: dict[str, str] = {}
    decided_on = not_future(data.decided_on, "decided_on", errors)
    granted = GrantApplication.Decision.granted
    if data.decision == GrantApplication.Decision.pending:
        errors["decision"] = gettext("Välj beviljad eller avslagen.")
    if data.decision == granted and (data.amount_granted is None or data.amount_granted <= 0):
        errors["amount_granted"] = gettext("Skriv det beviljade beloppet.")
    if data.decision != granted and data.amount_granted is not None:
        errors["amount_granted"] = gettext("Ett avslag har inget beviljat belopp.")
    async with write_transaction(DefectorCase._meta.db):
        case = await writable_case(principal, case_id)
        grant = (
            await GrantApplication.select(
                GrantApplication.applied_on,
                GrantApplication.decision,
                GrantApplication.amount_applied,
                GrantApplication.version,
            )
            .where(
                (GrantApplication.id == grant_id)
                & (GrantApplication.case == case_id)
                & GrantApplication.archived_at.is_null()
            )
            .first()
        )
        if grant is None:
            raise NotVisible()
        if grant["decision"] != GrantApplication.Decision.pending:
            raise CaseError(gettext("Ansökan har redan ett beslut."))
        if "decided_on" not in errors and decided_on < grant["applied_on"]:
            errors["decided_on"] = gettext("Beslutet kan inte ligga före ansökan.")
        if (
            "amount_granted" not in errors
            and data.amount_granted is not None
            and data.amount_granted > grant["amount_applied"]
        ):
            errors["amount_granted"] = gettext(
                "Det beviljade beloppet kan inte vara större än det sökta."
            )
        if errors:
            raise FormErrors(errors)
        await versioned(
            GrantApplication,
            grant_id,
            grant["version"],
            {
                GrantApplication.decision: data.decision,
                GrantApplication.decided_on: decided_on,
                GrantApplication.amount_granted: data.amount_granted,
            },
        )
        await audit_write(
            principal, case, "grant_decide", grant_id=grant_id, decision=data.decision.value
        )
