"""The police track of a case: the police definition, consent per agency, and
the derived ``police_track_active``.

The track is derived, never typed in: it is recomputed in the same transaction
as every change to its inputs (assessments, consents, closing), see
:func:`refresh_police_track`. A person who fails the police definition stays a
social-services case. Withdrawn consent ends the track at once, and for good:
the track's end also ends the case's consent-based disclosures, so consent
given again later needs a new disclosure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gvi.access.tables import Disclosure, LegalGround
from gvi.core import clock
from gvi.defectors import transitions
from gvi.defectors.schemas import ChangeResult
from gvi.defectors.tables import CaseConsent, CaseStatus, ConsentAgency, DefectorCase


@dataclass(frozen=True)
class ConsentState:
    in_force: frozenset[str]
    excluded: frozenset[str]


async def consent_state(case_id: int) -> ConsentState:
    rows = await CaseConsent.select(CaseConsent.agency, CaseConsent.withdrawn_on).where(
        (CaseConsent.case == case_id) & CaseConsent.archived_at.is_null()
    )
    in_force = frozenset(r["agency"] for r in rows if r["withdrawn_on"] is None)
    # An agency whose every consent is withdrawn is excluded from the exchange.
    excluded = frozenset(r["agency"] for r in rows) - in_force
    return ConsentState(in_force=in_force, excluded=excluded)


def definition(row: dict[str, Any], consents: ConsentState) -> transitions.PoliceDefinition:
    return transitions.police_definition(
        motivated=row["motivated"],
        police_consent_in_force=ConsentAgency.police in consents.in_force,
        threat_level=row["threat_level"],
        is_witness=bool(row["is_witness"]),
        social_services_eligible=row["social_services_eligible"],
    )


def facts(row: dict[str, Any], consents: ConsentState) -> transitions.CaseFacts:
    """What the steps forward are gated on."""
    return transitions.CaseFacts(
        consent_in_force=bool(consents.in_force),
        threat_level=row["threat_level"],
        threat_assessed_on=row["threat_assessed_on"],
        social_services_eligible=row["social_services_eligible"],
    )


TRACK_INPUTS = (
    DefectorCase.motivated,
    DefectorCase.is_witness,
    DefectorCase.threat_level,
    DefectorCase.social_services_eligible,
    DefectorCase.status,
    DefectorCase.police_track_active,
)


async def track_inputs(case_id: int) -> dict[str, Any]:
    row = await DefectorCase.select(*TRACK_INPUTS).where(DefectorCase.id == case_id).first()
    assert row is not None
    return row


async def refresh_police_track(case_id: int) -> ChangeResult:
    """Recompute the police track from its inputs; in the caller's transaction."""
    row = await track_inputs(case_id)
    consents = await consent_state(case_id)
    active = transitions.police_track_active(
        definition(row, consents),
        excluded_agencies=len(consents.excluded),
        closed=row["status"] == CaseStatus.closed,
    )
    was = bool(row["police_track_active"])
    if active != was:
        # Derived state: no version bump, so an open edit form is not made stale by it.
        await DefectorCase.update({DefectorCase.police_track_active: active}).where(
            DefectorCase.id == case_id
        )
    if not active:
        # case_scope already hides them; ending them here makes it final, so a consent
        # given again later does not revive an old disclosure (a new one must be made).
        now = clock.now()
        await Disclosure.update({Disclosure.expires_at: now}).where(
            (Disclosure.defector_case == case_id)
            & (Disclosure.legal_ground == LegalGround.consent)
            & (Disclosure.expires_at.is_null() | (Disclosure.expires_at > now))
        )
    return ChangeResult(police_track_active=active, police_track_ended=was and not active)
