"""Reading offers: the list, one offer with its status history, and the phone
form's choices (providers, and the call-ins, notifications and open cases a new
offer can belong to). Every read writes its audit row in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.callins.tables import CallIn, Notification
from gvi.core.clock import today
from gvi.core.failures import NotVisible
from gvi.core.listing import audited_page
from gvi.core.sorting import Sorts
from gvi.db import write_transaction
from gvi.defectors.forms import normalise_code
from gvi.defectors.services import case_scope
from gvi.defectors.tables import CaseStatus, DefectorCase
from gvi.i18n import gettext
from gvi.support import transitions
from gvi.support.forms import link_value
from gvi.support.schemas import OfferStatusChangeView, OfferSummary, OfferView
from gvi.support.services.common import offer_scope
from gvi.support.services.methods import MethodChoice, method_choices
from gvi.support.services.providers import (
    ProviderChoice,
    last_approved,
    needs_check,
    provider_choices,
)
from gvi.support.tables import OfferStatus, SupportOffer, SupportOfferStatusChange

# How far back the phone form offers call-ins and notifications to link to.
LINK_WINDOW = timedelta(days=365)


OFFER_SORTS = Sorts(
    "-offered",
    offered=SupportOffer.offered_on,
    code=SupportOffer.person.code,
    category=SupportOffer.category,
    provider=SupportOffer.provider.name,
    context=SupportOffer.context,
    status=SupportOffer.status,
)
"""The orders of the offer list (``?sort=``); newest first by default."""


async def list_offers(
    principal: Principal,
    *,
    search: str = "",
    status: str = "",
    category: str = "",
    context: str = "",
    case_id: int | None = None,
    sort: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[OfferSummary], int]:
    """Offers newest first; search by person code, filter by status, category, context."""
    require(principal, Permission.offers_read)
    where = offer_scope(principal)
    term = normalise_code(search).replace("%", "").replace("_", "") if search.strip() else ""
    if term:
        # Codes are stored upper-case, and the search term is normalised the same way.
        where = where & SupportOffer.person.code.like(term + "%")
    if status in OfferStatus.__members__:
        where = where & (SupportOffer.status == status)
    if category in SupportOffer.Category.__members__:
        where = where & (SupportOffer.category == category)
    if context in SupportOffer.Context.__members__:
        where = where & (SupportOffer.context == context)
    if case_id is not None:
        where = where & (SupportOffer.defector_case == case_id)
    async with write_transaction(SupportOffer._meta.db):
        rows, total = await audited_page(
            OFFER_SORTS.apply(
                SupportOffer.select(
                    SupportOffer.id,
                    SupportOffer.category,
                    SupportOffer.context,
                    SupportOffer.status,
                    SupportOffer.offered_on,
                    # Named as OfferSummary names them.
                    SupportOffer.defector_case.as_alias("defector_case_id"),
                    SupportOffer.person.code.as_alias("person_code"),
                    SupportOffer.municipality.name.as_alias("municipality"),
                    SupportOffer.provider.name.as_alias("provider"),
                    SupportOffer.defector_case.reference.as_alias("case_reference"),
                ).where(where),
                sort,
                tiebreak=SupportOffer.id,
            )
            .limit(limit)
            .offset(offset),
            SupportOffer.count().where(where),
            action=AuditAction.offer_list,
            actor=principal,
            target_type="support_offer",
            offset=offset,
        )
    return msgspec.convert(rows, list[OfferSummary]), total


async def get_offer(principal: Principal, offer_id: int) -> OfferView:
    """One offer with its status history (and its case, which its scope lets the user see)."""
    require(principal, Permission.offers_read)
    async with write_transaction(SupportOffer._meta.db):
        row = (
            await SupportOffer.select(
                *SupportOffer.all_columns(),
                SupportOffer.person.code.as_alias("person_code"),
                SupportOffer.municipality.name.as_alias("municipality_name"),
                SupportOffer.provider.name.as_alias("provider_name"),
                SupportOffer.provider.kind.as_alias("provider_kind"),
                SupportOffer.method.name.as_alias("method_name"),
                SupportOffer.method.evidence.as_alias("method_evidence"),
                SupportOffer.call_in.title.as_alias("call_in_title"),
                SupportOffer.defector_case.reference.as_alias("case_reference"),
            )
            .where(offer_scope(principal) & (SupportOffer.id == offer_id))
            .first()
        )
        if row is None:
            raise NotVisible()
        history = (
            await SupportOfferStatusChange.select(
                *SupportOfferStatusChange.all_columns(),
                SupportOfferStatusChange.changed_by.display_name.as_alias("by_name"),
            )
            .where(SupportOfferStatusChange.offer == offer_id)
            .order_by(SupportOfferStatusChange.changed_at)
            .order_by(SupportOfferStatusChange.id)
        )
        approved = await last_approved([row["provider"]] if row["provider"] else [])
        await record(
            AuditAction.offer_read,
            actor=principal,
            target_type="support_offer",
            target_id=offer_id,
            person_id=row["person"],
        )
    last = approved.get(row["provider"]) if row["provider"] else None
    return OfferView(
        id=row["id"],
        person_id=row["person"],
        person_code=row["person_code"],
        municipality=row["municipality_name"],
        category=row["category"],
        provider_id=row["provider"],
        provider=row["provider_name"],
        provider_needs_check=bool(row["provider"])
        and needs_check(row["provider_kind"], last, today()),
        method_id=row["method"],
        method=row["method_name"],
        method_evidence=row["method_evidence"],
        context=row["context"],
        call_in_id=row["call_in"],
        call_in=row["call_in_title"],
        notification_id=row["notification"],
        defector_case_id=row["defector_case"],
        case_reference=row["case_reference"],
        status=row["status"],
        offered_on=row["offered_on"],
        cost=row["cost"],
        notes=row["notes"],
        version=row["version"],
        reached_start=transitions.reached_start(row["status"], (h["to_status"] for h in history)),
        allowed_statuses=[
            s for s in transitions.STATUSES if s in transitions.ALLOWED[row["status"]]
        ],
        history=[
            OfferStatusChangeView(
                from_status=h["from_status"],
                to_status=h["to_status"],
                changed_on=h["changed_on"],
                changed_by=h["by_name"],
                note=h["note"],
            )
            for h in history
        ],
    )


# --- offers: the form's choices ----------------------------------------------------------


@dataclass(frozen=True)
class LinkChoice:
    value: str
    label: str


@dataclass(frozen=True)
class LinkGroup:
    label: str
    choices: list[LinkChoice]


def _group(label: str, context: SupportOffer.Context, rows: Iterable[tuple[int, str]]) -> LinkGroup:
    return LinkGroup(
        label, [LinkChoice(link_value(context, row_id), text) for row_id, text in rows]
    )


@dataclass(frozen=True)
class OfferFormChoices:
    providers: list[ProviderChoice]
    methods: list[MethodChoice]
    links: list[LinkGroup]
    # Prefilled from a case page's "new offer" link.
    person_code: str = ""
    link: str = ""


async def offer_form_choices(
    principal: Principal, *, case_id: int | None = None
) -> OfferFormChoices:
    """What the phone form offers: providers, and the recent call-ins, custom
    notifications and open defector cases the new offer can belong to."""
    require(principal, Permission.offers_write)
    municipalities = list(principal.municipality_ids) or [-1]
    since = today() - LINK_WINDOW
    async with write_transaction(SupportOffer._meta.db):
        call_ins = (
            await CallIn.select(CallIn.id, CallIn.title, CallIn.starts_at)
            .where(
                CallIn.municipality.is_in(municipalities)
                & CallIn.archived_at.is_null()
                & (CallIn.status != CallIn.Status.cancelled)
                & (CallIn.starts_at >= datetime.combine(since, datetime.min.time(), tzinfo=UTC))
            )
            .order_by(CallIn.starts_at, ascending=False)
        )
        notifications = (
            await Notification.select(
                Notification.id,
                Notification.delivered_on,
                Notification.person.code.as_alias("person_code"),
            )
            .where(
                Notification.municipality.is_in(municipalities)
                & Notification.archived_at.is_null()
                & (Notification.outcome == Notification.Outcome.delivered)
                & (Notification.delivered_on >= since)
            )
            .order_by(Notification.delivered_on, ascending=False)
        )
        cases = (
            await DefectorCase.select(
                DefectorCase.id,
                DefectorCase.reference,
                DefectorCase.person.code.as_alias("person_code"),
            )
            .where(case_scope(principal) & (DefectorCase.status != CaseStatus.closed))
            .order_by(DefectorCase.reference)
        )
        if notifications:
            await record(
                AuditAction.notification_read,
                actor=principal,
                target_type="notification",
                details={"count": len(notifications), "offer_form": True},
            )
        if cases:
            await record(
                AuditAction.case_list,
                actor=principal,
                target_type="defector_case",
                details={"count": len(cases), "offer_form": True},
            )
    prefill_code, prefill_link = "", ""
    for c in cases:
        if c["id"] == case_id:
            prefill_code = c["person_code"]
            prefill_link = link_value(SupportOffer.Context.defector_case, c["id"])
    return OfferFormChoices(
        providers=await provider_choices(),
        methods=await method_choices(),
        links=[
            _group(
                gettext("Avhopparärenden"),
                SupportOffer.Context.defector_case,
                ((c["id"], f"{c['reference']} ({c['person_code']})") for c in cases),
            ),
            _group(
                "Call-ins",
                SupportOffer.Context.call_in,
                (
                    (c["id"], f"{c['title']} ({c['starts_at'].date().isoformat()})")
                    for c in call_ins
                ),
            ),
            _group(
                gettext("Individuella underrättelser"),
                SupportOffer.Context.notification,
                (
                    (n["id"], f"{n['delivered_on'].isoformat()} – {n['person_code']}")
                    for n in notifications
                ),
            ),
        ],
        person_code=prefill_code,
        link=prefill_link,
    )
