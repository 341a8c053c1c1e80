"""Disclosures: social services hand a case's facts to one police officer, on a
recorded legal ground, for a bounded time (offentlighets- och sekretesslagen).
While one is in force the officer sees those facts (see
:func:`~gvi.defectors.services.common.case_scope`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from gvi.access.permissions import Permission, roles_with
from gvi.access.principal import Principal, require
from gvi.access.tables import Disclosure, LegalGround
from gvi.accounts.tables import User
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.failures import NotVisible
from gvi.db import write_transaction
from gvi.defectors.services.common import DisclosureError, case_scope
from gvi.defectors.tables import CaseConsent, ConsentAgency, DefectorCase
from gvi.i18n import N_, gettext
from gvi.municipalities.tables import Agency

# A disclosure goes to a user who can read disclosed case facts: a police officer.
RECIPIENTS = Permission.cases_read_disclosed

# the longest the programme's routines allow, after which a new assessment is made.
# A ground that needs a shorter time gets its own entry here.
DISCLOSURE_MIN_DAYS = 1
DISCLOSURE_MAX_DAYS: Mapping[str, int] = dict.fromkeys((g.value for g in LegalGround), 365)
DISCLOSURE_DAYS = N_(
    "Ange hur länge utlämnandet gäller: %(low)s–%(high)s dagar med den här rättsliga grunden. "
    "Ett utlämnande utan slutdatum går inte att göra."
)


def _check_valid_days(legal_ground: LegalGround, valid_days: int | None) -> int:
    high = DISCLOSURE_MAX_DAYS.get(legal_ground.value, 365)
    if valid_days is None or not DISCLOSURE_MIN_DAYS <= valid_days <= high:
        raise DisclosureError(gettext(DISCLOSURE_DAYS) % {"low": DISCLOSURE_MIN_DAYS, "high": high})
    return valid_days


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
    require(principal, Permission.disclosures_write)
    summary = summary.strip()
    if len(summary) < 10:
        raise DisclosureError(gettext("Beskriv vad som lämnas ut (minst 10 tecken)."))
    days = _check_valid_days(legal_ground, valid_days)
    now = clock.now()
    async with write_transaction(DefectorCase._meta.db):
        case = (
            await DefectorCase.select(
                DefectorCase.id, DefectorCase.person, DefectorCase.police_track_active
            )
            .where(case_scope(principal) & (DefectorCase.id == case_id))
            .first()
        )
        if case is None:
            raise NotVisible()
        officer = (
            await User.select(User.id)
            .where(
                (User.id == to_user_id)
                & User.role.is_in(sorted(r.value for r in roles_with(RECIPIENTS)))
                & (User.is_active == True)  # noqa: E712
            )
            .first()
        )
        if officer is None:
            raise DisclosureError(gettext("Mottagaren måste vara en aktiv användare hos polisen."))
        if legal_ground is LegalGround.consent:
            consent = await CaseConsent.exists().where(
                (CaseConsent.case == case_id)
                & (CaseConsent.agency == ConsentAgency.police)
                & CaseConsent.withdrawn_on.is_null()
            )
            if not consent or not case["police_track_active"]:
                raise DisclosureError(
                    gettext(
                        "Samtycke till polisen saknas eller är återkallat: välj en annan "
                        "rättslig grund (OSL-bestämmelse) eller avstå."
                    )
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
            expires_at=now + timedelta(days=days),
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
