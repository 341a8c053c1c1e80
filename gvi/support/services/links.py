"""Linking an offer after it was logged: to a defector case (beside its origin),
or to the call-in or notification it came from; and the case page's list of the
person's offers that could be linked to the case."""

from __future__ import annotations

from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.callins.tables import Invitation, Notification
from gvi.core.failures import FormErrors, NotVisible
from gvi.db import write_transaction
from gvi.defectors.services import case_scope
from gvi.defectors.tables import DefectorCase
from gvi.i18n import N_, gettext
from gvi.support.schemas import OfferLinkIn, OfferToLink
from gvi.support.services.common import OFFER_CONFLICT, audit_offer, offer_scope, versioned
from gvi.support.tables import SupportOffer

LINK_NOT_THIS_PERSON = N_("Ärendet gäller en annan person, eller finns inte bland dina ärenden.")
LINK_NOT_INVITED = N_("Personen var inte inbjuden till det mötet, eller mötet finns inte.")
LINK_NOT_NOTIFIED = N_("Underrättelsen gäller inte den här personen.")


_ORIGINS = {
    SupportOffer.Context.call_in: (SupportOffer.call_in, SupportOffer.notification),
    SupportOffer.Context.notification: (SupportOffer.notification, SupportOffer.call_in),
}
_NOT_ORIGIN = {
    SupportOffer.Context.call_in: LINK_NOT_INVITED,
    SupportOffer.Context.notification: LINK_NOT_NOTIFIED,
}


async def _origin_of(
    context: SupportOffer.Context, target_id: int, person_id: int, scope: list[int]
) -> bool:
    """Whether the call-in (the person was invited) or notification (it was given to
    the person) can be the offer's origin, in the user's municipalities."""
    if context == SupportOffer.Context.call_in:
        return bool(
            await Invitation.exists().where(
                (Invitation.call_in == target_id)
                & (Invitation.person == person_id)
                & Invitation.archived_at.is_null()
                & Invitation.call_in.municipality.is_in(scope)
                & Invitation.call_in.archived_at.is_null()
            )
        )
    return bool(
        await Notification.exists().where(
            (Notification.id == target_id)
            & (Notification.person == person_id)
            & Notification.municipality.is_in(scope)
            & Notification.archived_at.is_null()
        )
    )


async def link_offer(principal: Principal, offer_id: int, data: OfferLinkIn) -> None:
    """Link an offer to a defector case, a call-in or a notification (or move or unlink
    it), audited. A case link sits beside the offer's origin (the call-in or notification
    it came from); a call-in and a notification are alternative origins."""
    require(principal, Permission.offers_write)
    scope = list(principal.municipality_ids) or [-1]
    async with write_transaction(SupportOffer._meta.db):
        offer: dict[str, Any] | None = (
            await SupportOffer.select(
                SupportOffer.id,
                SupportOffer.person,
                SupportOffer.context,
                SupportOffer.call_in,
                SupportOffer.notification,
                SupportOffer.defector_case,
            )
            .where(offer_scope(principal) & (SupportOffer.id == offer_id))
            .first()
        )
        if offer is None:
            raise NotVisible()
        target_id = data.target_id
        values: dict[Any, Any] = {}
        origin = SupportOffer.Context.street_outreach
        if data.target == "defector_case":
            if target_id is not None and not await DefectorCase.exists().where(
                case_scope(principal)
                & (DefectorCase.id == target_id)
                & (DefectorCase.person == offer["person"])
            ):
                raise FormErrors({"target_id": gettext(LINK_NOT_THIS_PERSON)})
            values[SupportOffer.defector_case] = target_id
            if offer["context"] == SupportOffer.Context.defector_case and target_id is None:
                values[SupportOffer.context] = origin
            before = offer["defector_case"]
        else:
            # A call-in and a notification are alternative origins: linking one unlinks
            # the other.
            context = SupportOffer.Context(data.target)
            column, other = _ORIGINS[context]
            if target_id is not None and not await _origin_of(
                context, target_id, offer["person"], scope
            ):
                raise FormErrors({"target_id": gettext(_NOT_ORIGIN[context])})
            values[column] = target_id
            if target_id is not None:
                values[other] = None
                values[SupportOffer.context] = context
            elif offer["context"] == context:
                values[SupportOffer.context] = origin
            before = offer[data.target]
        await versioned(SupportOffer, offer_id, data.version, values, OFFER_CONFLICT)
        await audit_offer(
            principal,
            offer_id,
            offer["person"],
            op="link",
            target=data.target,
            **{"from": before, "to": target_id},
        )


async def offers_to_link(principal: Principal, case_id: int) -> list[OfferToLink]:
    """The case person's offers not linked to this case (the user's scope), audited."""
    if not principal.can(Permission.offers_write):
        return []
    case = (
        await DefectorCase.select(DefectorCase.person)
        .where(case_scope(principal) & (DefectorCase.id == case_id))
        .first()
    )
    if case is None:
        return []
    async with write_transaction(SupportOffer._meta.db):
        rows = (
            await SupportOffer.select(
                SupportOffer.id,
                SupportOffer.version,
                SupportOffer.category,
                SupportOffer.status,
                SupportOffer.offered_on,
                SupportOffer.context,
                SupportOffer.defector_case.reference.as_alias("case_reference"),
            )
            .where(
                offer_scope(principal)
                & (SupportOffer.person == case["person"])
                & (SupportOffer.defector_case.is_null() | (SupportOffer.defector_case != case_id))
            )
            .order_by(SupportOffer.offered_on, ascending=False)
            .limit(50)
        )
        if rows:
            await record(
                AuditAction.offer_list,
                actor=principal,
                target_type="defector_case",
                target_id=case_id,
                person_id=case["person"],
                details={"op": "to_link", "count": len(rows)},
            )
    return [OfferToLink(**r) for r in rows]
