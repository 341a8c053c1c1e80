"""What the offer and provider services share: their refusals and messages, and
the audit row of an offer's change.

Offers are social services' records. An outreach worker sees the offers of the
municipalities they work for; an offer that is an intervention in a defector
case follows the case instead (whoever sees the case sees its offers, and
nobody else learns from an offer that the person has a defector case). Every
read and write of an offer writes its audit row in the same transaction.
"""

from __future__ import annotations

from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.failures import Refused, VersionConflict
from gvi.core.versioning import bump_version
from gvi.defectors.services import visible_case_ids
from gvi.i18n import N_, gettext
from gvi.support.tables import SupportOffer

OFFER_CONFLICT = N_(
    "Någon annan har ändrat erbjudandet under tiden. Ladda om sidan och försök igen."
)
OFFER_STATUS_CONFLICT = N_(
    "Erbjudandets status har ändrats av någon annan under tiden. Ladda om sidan och försök igen."
)
PROVIDER_CONFLICT = N_(
    "Någon annan har ändrat utföraren under tiden. Ladda om sidan och försök igen."
)
PERSON_NOT_FOUND = N_("Ingen person med den koden finns i de kommuner du arbetar för.")
FUTURE_DATE = N_("Datumet kan inte ligga i framtiden.")
NEGATIVE_COST = N_("Kostnaden kan inte vara negativ.")
NO_SUCH_PROVIDER = N_("Välj en utförare i listan.")


class SupportError(Refused):
    """A refusal a person can act on (400); the message is safe to show."""


class Conflict(SupportError, VersionConflict):
    """The record changed since the page was shown (409)."""


class TransitionRefused(SupportError):
    """A status change the rules do not allow; the message says why."""


def offer_scope(principal: Principal) -> Any:
    """The WHERE clause of every offer query for this principal."""
    if not principal.can(Permission.offers_read):
        return SupportOffer.id == -1
    municipalities = list(principal.municipality_ids) or [-1]
    return SupportOffer.archived_at.is_null() & (
        (SupportOffer.defector_case.is_null() & SupportOffer.municipality.is_in(municipalities))
        | SupportOffer.defector_case.is_in(visible_case_ids(principal))
    )


async def audit_offer(principal: Principal, offer_id: int, person_id: int, **details: Any) -> None:
    """The audit row of a change to an offer (``details`` name the change)."""
    await record(
        AuditAction.offer_write,
        actor=principal,
        target_type="support_offer",
        target_id=offer_id,
        person_id=person_id,
        details=details,
    )


async def versioned(
    table: Any, row_id: int, version: int, values: dict[Any, Any], message: str
) -> None:
    """:func:`~gvi.core.versioning.bump_version`, refusing with :class:`Conflict`."""
    if not await bump_version(table, row_id, version, values):
        raise Conflict(gettext(message))
