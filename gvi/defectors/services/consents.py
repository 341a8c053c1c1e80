"""Consent per agency to the exchange of information about a case. Giving or
withdrawing one recomputes the police track in the same transaction:
withdrawing the police consent (or excluding any agency) ends it at once."""

from __future__ import annotations

from datetime import date

from gvi.access.principal import Principal
from gvi.core.failures import FormErrors, NotVisible
from gvi.db import write_transaction
from gvi.defectors.forms import AGENCY_LABELS
from gvi.defectors.schemas import ChangeResult, ConsentIn
from gvi.defectors.services.common import (
    CaseError,
    audit_write,
    not_future,
    versioned,
    writable_case,
)
from gvi.defectors.services.track import consent_state, refresh_police_track
from gvi.defectors.tables import CaseConsent, ConsentAgency, DefectorCase
from gvi.i18n import gettext


async def give_consent(principal: Principal, case_id: int, data: ConsentIn) -> ChangeResult:
    errors: dict[str, str] = {}
    given_on = not_future(data.given_on, "given_on", errors)
    async with write_transaction(DefectorCase._meta.db):
        case = await writable_case(principal, case_id)
        if data.agency in (await consent_state(case_id)).in_force:
            errors["agency"] = gettext("Samtycket till %(n)s gäller redan.") % {
                "n": gettext(AGENCY_LABELS[data.agency]).lower()
            }
        if errors:
            raise FormErrors(errors)
        await CaseConsent(case=case_id, agency=data.agency, given_on=given_on).save()
        result = await refresh_police_track(case_id)
        await audit_write(
            principal,
            case,
            "consent_give",
            agency=data.agency.value,
            police_track=result.police_track_active,
        )
    return result


async def withdraw_consent(
    principal: Principal, case_id: int, consent_id: int, withdrawn_on: date | None
) -> ChangeResult:
    """Withdraw (or exclude) one agency's consent. Withdrawing the police consent,
    or excluding any agency while on the police track, ends the track at once:
    consent-based disclosures stop in the same transaction."""
    errors: dict[str, str] = {}
    when = not_future(withdrawn_on, "withdrawn_on", errors)
    async with write_transaction(DefectorCase._meta.db):
        case = await writable_case(principal, case_id)
        consent = (
            await CaseConsent.select(
                CaseConsent.agency,
                CaseConsent.given_on,
                CaseConsent.withdrawn_on,
                CaseConsent.version,
            )
            .where(
                (CaseConsent.id == consent_id)
                & (CaseConsent.case == case_id)
                & CaseConsent.archived_at.is_null()
            )
            .first()
        )
        if consent is None:
            raise NotVisible()
        if consent["withdrawn_on"] is not None:
            raise CaseError(gettext("Samtycket är redan återkallat."))
        if "withdrawn_on" not in errors and when < consent["given_on"]:
            errors["withdrawn_on"] = gettext("Återkallelsen kan inte ligga före samtycket.")
        if errors:
            raise FormErrors(errors)
        await versioned(
            CaseConsent, consent_id, consent["version"], {CaseConsent.withdrawn_on: when}
        )
        result = await refresh_police_track(case_id)
        sip_ended = False
        if consent["agency"] == ConsentAgency.healthcare:
            # A SIP rests on the healthcare consent: it ends with it (gvi.plans).
            from gvi.plans.services import end_sip_on_withdrawal

            sip_ended = await end_sip_on_withdrawal(case_id, when)
        await audit_write(
            principal,
            case,
            "consent_withdraw",
            agency=consent["agency"],
            consent_id=consent_id,
            police_track=result.police_track_active,
            police_track_ended=result.police_track_ended,
            **({"sip_ended": True} if sip_ended else {}),
        )
    return result
