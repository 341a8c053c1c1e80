"""Logging and changing offers: the first "offered" row, corrections (optimistic
lock on ``version``) and the status history offered → accepted / declined →
started → completed / discontinued, each with its audit row."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.callins.tables import CallIn, Notification
from gvi.core import clock
from gvi.core.failures import FormErrors, NotVisible
from gvi.core.forms import PERSON_CODE
from gvi.db import write_transaction
from gvi.defectors.forms import normalise_code
from gvi.defectors.services import case_scope
from gvi.defectors.services.common import not_future
from gvi.defectors.tables import DefectorCase
from gvi.i18n import N_, gettext
from gvi.people.tables import Person
from gvi.support import transitions
from gvi.support.schemas import OfferIn, OfferStatusIn, OfferUpdateIn
from gvi.support.services.common import (
    NEGATIVE_COST,
    NO_SUCH_PROVIDER,
    OFFER_CONFLICT,
    OFFER_STATUS_CONFLICT,
    PERSON_NOT_FOUND,
    Conflict,
    TransitionRefused,
    audit_offer,
    offer_scope,
    versioned,
)
from gvi.support.services.methods import NO_SUCH_METHOD, method_usable
from gvi.support.tables import OfferStatus, Provider, SupportOffer, SupportOfferStatusChange


async def _check_links(
    principal: Principal, data: OfferIn, errors: dict[str, str]
) -> dict[str, Any] | None:
    """Check that the context names exactly its own link, in scope; returns the
    case row for a defector-case offer."""
    context = SupportOffer.Context(data.context)
    links = {
        SupportOffer.Context.call_in: ("call_in_id", data.call_in_id),
        SupportOffer.Context.notification: ("notification_id", data.notification_id),
        SupportOffer.Context.defector_case: ("defector_case_id", data.defector_case_id),
    }
    for kind, (field, value) in links.items():
        if kind == context and value is None:
            errors[field] = gettext("Välj vilken det gäller.")
        if kind != context and value is not None:
            errors[field] = gettext("Kopplingen passar inte ihop med sammanhanget.")
    municipalities = list(principal.municipality_ids) or [-1]
    if (
        context == SupportOffer.Context.call_in
        and data.call_in_id is not None
        and not await CallIn.exists().where(
            (CallIn.id == data.call_in_id)
            & CallIn.municipality.is_in(municipalities)
            & CallIn.archived_at.is_null()
        )
    ):
        errors["call_in_id"] = gettext("Call-in finns inte bland dina kommuners.")
    if context == SupportOffer.Context.defector_case and data.defector_case_id is not None:
        case: dict[str, Any] | None = (
            await DefectorCase.select(
                DefectorCase.id,
                DefectorCase.person,
                DefectorCase.municipality,
                DefectorCase.person.code.as_alias("person_code"),
            )
            .where(case_scope(principal) & (DefectorCase.id == data.defector_case_id))
            .first()
        )
        if case is None:
            errors["defector_case_id"] = gettext("Ärendet finns inte bland dina ärenden.")
        return case
    return None


async def create_offer(principal: Principal, data: OfferIn) -> int:
    """Log an offer of support: it starts as "offered", with its first history row."""
    require(principal, Permission.offers_write)
    errors: dict[str, str] = {}
    code = normalise_code(data.person_code)
    offered_on = not_future(data.offered_on, "offered_on", errors)
    if data.cost is not None and data.cost < 0:
        errors["cost"] = gettext(NEGATIVE_COST)
    notes = data.notes.strip()
    async with write_transaction(SupportOffer._meta.db):
        case = await _check_links(principal, data, errors)
        person: dict[str, Any] | None = None
        if case is not None and code in ("", case["person_code"]):
            # An intervention in a case: the case's person, wherever they live.
            person = {"id": case["person"], "municipality": case["municipality"]}
        elif not PERSON_CODE.fullmatch(code):
            errors["person_code"] = gettext("Skriv personens kod, till exempel P-7Q4K.")
        elif case is not None:
            errors["person_code"] = gettext("Koden är inte personen i det valda ärendet.")
        else:
            row = (
                await Person.select(Person.id, Person.home_municipality)
                .where(
                    (Person.code == code)
                    & Person.archived_at.is_null()
                    & Person.home_municipality.is_in(list(principal.municipality_ids) or [-1])
                )
                .first()
            )
            if row is None:
                errors["person_code"] = gettext(PERSON_NOT_FOUND)
            else:
                person = {"id": row["id"], "municipality": row["home_municipality"]}
        if (
            person is not None
            and data.notification_id is not None
            and "notification_id" not in errors
            and not await Notification.exists().where(
                (Notification.id == data.notification_id)
                & (Notification.person == person["id"])
                & Notification.municipality.is_in(list(principal.municipality_ids) or [-1])
                & Notification.archived_at.is_null()
            )
        ):
            errors["notification_id"] = gettext("Underrättelsen gäller inte den här personen.")
        if data.provider_id is not None and not await Provider.exists().where(
            (Provider.id == data.provider_id)
            & Provider.archived_at.is_null()
            & (Provider.is_active == True)  # noqa: E712
        ):
            errors["provider_id"] = gettext(NO_SUCH_PROVIDER)
        if not await method_usable(data.method_id):
            errors["method_id"] = gettext(NO_SUCH_METHOD)
        if errors:
            raise FormErrors(errors)
        assert person is not None
        if not data.confirm_duplicate:
            await _refuse_duplicate(principal, person["id"], data.category)
        offer = SupportOffer(
            person=person["id"],
            municipality=person["municipality"],
            category=data.category,
            provider=data.provider_id,
            method=data.method_id,
            context=data.context,
            call_in=data.call_in_id,
            notification=data.notification_id,
            defector_case=data.defector_case_id,
            status=OfferStatus.offered,
            offered_on=offered_on,
            cost=data.cost,
            notes=notes,
            recorded_by=principal.user_id,
        )
        await offer.save()
        await SupportOfferStatusChange(
            offer=offer.id,
            from_status=None,
            to_status=OfferStatus.offered,
            changed_on=offered_on,
            changed_at=clock.now(),
            changed_by=principal.user_id,
        ).save()
        await audit_offer(
            principal,
            offer.id,
            person["id"],
            op="create",
            context=SupportOffer.Context(data.context).value,
            defector_case_id=data.defector_case_id,
        )
    return offer.id


OPEN_STATUSES = (OfferStatus.offered, OfferStatus.accepted, OfferStatus.started)
DUPLICATE_OFFER = N_(
    "Personen har redan ett öppet erbjudande om %(category)s (registrerat %(day)s). "
    "Kontrollera att det inte är samma erbjudande. Kryssa i rutan och spara igen för att "
    "ändå registrera ett till."
)


async def _refuse_duplicate(principal: Principal, person_id: int, category: str) -> None:
    """Workers logged offers twice when an existing one could not be linked; a second
    open offer of the same category for the same person needs a confirmation."""
    from gvi.support.forms import CATEGORY_LABELS

    held = (
        await SupportOffer.select(SupportOffer.offered_on)
        .where(
            offer_scope(principal)
            & (SupportOffer.person == person_id)
            & (SupportOffer.category == category)
            & SupportOffer.status.is_in(list(OPEN_STATUSES))
        )
        .order_by(SupportOffer.offered_on, ascending=False)
        .first()
    )
    if held is not None:
        raise FormErrors(
            {
                "confirm_duplicate": gettext(DUPLICATE_OFFER)
                % {
                    "category": gettext(CATEGORY_LABELS.get(category, category)).lower(),
                    "day": held["offered_on"].isoformat(),
                }
            }
        )


async def _writable_offer(principal: Principal, offer_id: int) -> dict[str, Any]:
    require(principal, Permission.offers_write)
    row: dict[str, Any] | None = (
        await SupportOffer.select(
            SupportOffer.id,
            SupportOffer.person,
            SupportOffer.status,
            SupportOffer.offered_on,
            SupportOffer.method,
        )
        .where(offer_scope(principal) & (SupportOffer.id == offer_id))
        .first()
    )
    if row is None:
        raise NotVisible()
    return row


async def update_offer(principal: Principal, offer_id: int, data: OfferUpdateIn) -> None:
    """Correct an offer's category, provider, method, date, cost or notes (optimistic lock)."""
    errors: dict[str, str] = {}
    values: dict[Any, Any] = {}
    if data.category is not UNSET:
        values[SupportOffer.category] = data.category
    if data.offered_on is not UNSET:
        values[SupportOffer.offered_on] = not_future(data.offered_on, "offered_on", errors)
    if data.cost is not UNSET:
        if data.cost is not None and data.cost < 0:
            errors["cost"] = gettext(NEGATIVE_COST)
        values[SupportOffer.cost] = data.cost
    if data.notes is not UNSET:
        values[SupportOffer.notes] = data.notes.strip()
    async with write_transaction(SupportOffer._meta.db):
        offer = await _writable_offer(principal, offer_id)
        if data.provider_id is not UNSET:
            if data.provider_id is not None and not await Provider.exists().where(
                (Provider.id == data.provider_id) & Provider.archived_at.is_null()
            ):
                errors["provider_id"] = gettext(NO_SUCH_PROVIDER)
            values[SupportOffer.provider] = data.provider_id
        if data.method_id is not UNSET:
            # A method taken out of use stays on the offers that named it.
            if data.method_id != offer["method"] and not await method_usable(data.method_id):
                errors["method_id"] = gettext(NO_SUCH_METHOD)
            values[SupportOffer.method] = data.method_id
        if errors:
            raise FormErrors(errors)
        await versioned(SupportOffer, offer_id, data.version, values, OFFER_CONFLICT)
        await audit_offer(
            principal,
            offer_id,
            offer["person"],
            op="update",
            fields=sorted(c._meta.name for c in values),
        )


async def change_offer_status(principal: Principal, offer_id: int, data: OfferStatusIn) -> None:
    """Move an offer along offered → accepted/declined → started → completed/discontinued,
    with a history row and an audit row in the same transaction."""
    errors: dict[str, str] = {}
    changed_on = not_future(data.changed_on, "changed_on", errors)
    async with write_transaction(SupportOffer._meta.db):
        offer = await _writable_offer(principal, offer_id)
        current = offer["status"]
        if data.from_status is not None and data.from_status != current:
            raise Conflict(gettext(OFFER_STATUS_CONFLICT))
        reason = transitions.refusal(current, data.to_status)
        if reason is not None:
            raise TransitionRefused(reason)
        if "changed_on" not in errors and changed_on < offer["offered_on"]:
            errors["changed_on"] = gettext("Datumet kan inte ligga före erbjudandet.")
        if errors:
            raise FormErrors(errors)
        moved = (
            await SupportOffer.update({SupportOffer.status: data.to_status})
            .where((SupportOffer.id == offer_id) & (SupportOffer.status == current))
            .returning(SupportOffer.id)
        )
        if not moved:
            raise Conflict(gettext(OFFER_STATUS_CONFLICT))
        await SupportOfferStatusChange(
            offer=offer_id,
            from_status=current,
            to_status=data.to_status,
            changed_on=changed_on,
            changed_at=clock.now(),
            changed_by=principal.user_id,
            note=data.note.strip(),
        ).save()
        await audit_offer(
            principal,
            offer_id,
            offer["person"],
            op="status",
            **{"from": current, "to": data.to_status.value},
        )
