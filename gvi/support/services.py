"""Support offers and providers: the access scope, the queries, the status
history and the audit row of every action.

Offers are social services' records. An outreach worker sees the offers of the
municipalities they work for; an offer that is an intervention in a defector
case follows the case instead (whoever sees the case sees its offers, and
nobody else learns from an offer that the person has a defector case). Every
read and write of an offer writes its audit row in the same transaction.

Providers are a register without person data: every outreach worker reads all
of it; a municipal provider is changed only by those who work for its
municipality. A private provider without an approved requirement check in the
last twelve months is flagged wherever it can be chosen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar.exceptions import NotFoundException
from msgspec import UNSET

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.callins.tables import CallIn, Invitation, Notification
from gvi.core import clock
from gvi.core.versioning import bump_version
from gvi.db import write_transaction
from gvi.defectors.forms import PERSON_CODE, FormErrors, normalise_code
from gvi.defectors.services import case_scope, today, visible_case_ids
from gvi.defectors.tables import CaseStatus, DefectorCase
from gvi.i18n import N_, gettext
from gvi.municipalities.tables import Municipality
from gvi.people.tables import Person
from gvi.support import transitions
from gvi.support.forms import link_value
from gvi.support.schemas import (
    OfferIn,
    OfferLinkIn,
    OfferStatusChangeView,
    OfferStatusIn,
    OfferSummary,
    OfferToLink,
    OfferUpdateIn,
    OfferView,
    ProviderCheckIn,
    ProviderCheckView,
    ProviderIn,
    ProviderUpdateIn,
    ProviderView,
)
from gvi.support.tables import (
    OfferStatus,
    Provider,
    ProviderCheck,
    SupportOffer,
    SupportOfferStatusChange,
)

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
# How far back the phone form offers call-ins and notifications to link to.
LINK_WINDOW = timedelta(days=365)


class SupportError(Exception):
    """A refusal a person can act on; the message is safe to show."""


class Conflict(SupportError):
    """The record changed since the page was shown (HTTP 409)."""


class TransitionRefused(SupportError):
    """A status change the rules do not allow; the message says why."""


def _engine() -> Any:
    return SupportOffer._meta.db


def _require(principal: Principal, permission: Permission) -> None:
    # The guard checked already; this keeps a service safe when called from elsewhere.
    if not principal.can(permission) or principal.role is not Role.outreach:
        raise NotFoundException()


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


# --- providers -------------------------------------------------------------------------


def _contains(column: Any, term: str) -> Any:
    """Case-insensitive substring match (SQLite's LIKE already ignores ASCII case)."""
    escaped = term.replace("%", "").replace("_", "")
    if _engine().engine_type == "postgres":
        return column.ilike(f"%{escaped}%")
    return column.like(f"%{escaped}%")


def needs_check(kind: str, last_approved_on: date | None, today: date) -> bool:
    """A private provider needs an approved requirement check within the last 12 months."""
    if kind != Provider.Kind.private:
        return False
    return last_approved_on is None or last_approved_on < _year_before(today)


async def _last_approved(provider_ids: Iterable[int]) -> dict[int, date]:
    ids = list(provider_ids)
    if not ids:
        return {}
    rows = await ProviderCheck.select(ProviderCheck.provider, ProviderCheck.checked_on).where(
        ProviderCheck.provider.is_in(ids)
        & (ProviderCheck.result == ProviderCheck.Result.approved)
        & ProviderCheck.archived_at.is_null()
    )
    out: dict[int, date] = {}
    for r in rows:
        if r["provider"] not in out or r["checked_on"] > out[r["provider"]]:
            out[r["provider"]] = r["checked_on"]
    return out


_PROVIDER_COLUMNS = (
    Provider.id,
    Provider.name,
    Provider.kind,
    Provider.services,
    Provider.contract_reference,
    Provider.municipality,
    Provider.municipality.name.as_alias("municipality_name"),
    Provider.is_active,
    Provider.version,
)


def _provider_view(
    row: dict[str, Any], approved: dict[int, date], checks: list[ProviderCheckView] | None = None
) -> ProviderView:
    last = approved.get(row["id"])
    return ProviderView(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        services=row["services"],
        contract_reference=row["contract_reference"],
        municipality_id=row["municipality"],
        municipality=row["municipality_name"],
        is_active=row["is_active"],
        last_approved_on=last,
        needs_check=needs_check(row["kind"], last, today()),
        version=row["version"],
        checks=checks,
    )


async def list_providers(
    principal: Principal,
    *,
    search: str = "",
    kind: str = "",
    flagged: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ProviderView], int]:
    _require(principal, Permission.providers_read)
    where: Any = Provider.archived_at.is_null()
    if search.strip():
        term = search.strip()
        where = where & (_contains(Provider.name, term) | _contains(Provider.services, term))
    if kind in Provider.Kind.__members__:
        where = where & (Provider.kind == kind)
    if flagged:
        # Flagging needs the checks; the register is small, so filter after reading it.
        rows = await Provider.select(*_PROVIDER_COLUMNS).where(where).order_by(Provider.name)
        approved = await _last_approved(r["id"] for r in rows)
        views = [_provider_view(r, approved) for r in rows]
        views = [v for v in views if v.needs_check]
        return views[offset : offset + limit], len(views)
    rows = (
        await Provider.select(*_PROVIDER_COLUMNS)
        .where(where)
        .order_by(Provider.name)
        .limit(limit)
        .offset(offset)
    )
    total = await Provider.count().where(where)
    approved = await _last_approved(r["id"] for r in rows)
    return [_provider_view(r, approved) for r in rows], total


async def get_provider(principal: Principal, provider_id: int) -> ProviderView:
    _require(principal, Permission.providers_read)
    row = (
        await Provider.select(*_PROVIDER_COLUMNS)
        .where((Provider.id == provider_id) & Provider.archived_at.is_null())
        .first()
    )
    if row is None:
        raise NotFoundException()
    checks = (
        await ProviderCheck.select(
            ProviderCheck.id,
            ProviderCheck.checked_on,
            ProviderCheck.what,
            ProviderCheck.result,
            ProviderCheck.checked_by.display_name.as_alias("by_name"),
        )
        .where((ProviderCheck.provider == provider_id) & ProviderCheck.archived_at.is_null())
        .order_by(ProviderCheck.checked_on, ascending=False)
        .order_by(ProviderCheck.id, ascending=False)
    )
    return _provider_view(
        row,
        await _last_approved([provider_id]),
        [
            ProviderCheckView(
                id=c["id"],
                checked_on=c["checked_on"],
                what=c["what"],
                result=c["result"],
                checked_by=c["by_name"],
            )
            for c in checks
        ],
    )


@dataclass(frozen=True)
class ProviderChoice:
    id: int
    label: str
    needs_check: bool


async def provider_choices() -> list[ProviderChoice]:
    """Active providers for the offer form, private ones flagged when unchecked."""
    rows = (
        await Provider.select(Provider.id, Provider.name, Provider.kind)
        .where(Provider.archived_at.is_null() & (Provider.is_active == True))  # noqa: E712
        .order_by(Provider.name)
    )
    approved = await _last_approved(r["id"] for r in rows)
    now = today()
    return [
        ProviderChoice(r["id"], r["name"], needs_check(r["kind"], approved.get(r["id"]), now))
        for r in rows
    ]


@dataclass(frozen=True)
class MunicipalityChoice:
    id: int
    label: str


async def municipality_choices(principal: Principal) -> list[MunicipalityChoice]:
    rows = (
        await Municipality.select(Municipality.id, Municipality.name)
        .where(Municipality.id.is_in(list(principal.municipality_ids) or [-1]))
        .order_by(Municipality.name)
    )
    return [MunicipalityChoice(r["id"], r["name"]) for r in rows]


def _check_provider_fields(
    principal: Principal,
    *,
    name: str,
    kind: str,
    municipality_id: int | None,
    errors: dict[str, str],
) -> None:
    if not name:
        errors["name"] = gettext("Skriv utförarens namn.")
    elif len(name) > 160:
        errors["name"] = gettext("Namnet får vara högst 160 tecken.")
    if municipality_id is not None and municipality_id not in principal.municipality_ids:
        errors["municipality_id"] = gettext("Välj en av dina kommuner.")
    if kind == Provider.Kind.municipal and municipality_id is None:
        errors["municipality_id"] = gettext("En kommunal utförare hör till en kommun: välj vilken.")


async def _audit_provider(principal: Principal, provider_id: int, op: str, **details: Any) -> None:
    await record(
        AuditAction.provider_write,
        actor=principal,
        target_type="provider",
        target_id=provider_id,
        details={"op": op, **details},
    )


async def create_provider(principal: Principal, data: ProviderIn) -> int:
    _require(principal, Permission.providers_write)
    errors: dict[str, str] = {}
    name = " ".join(data.name.split())
    _check_provider_fields(
        principal, name=name, kind=data.kind, municipality_id=data.municipality_id, errors=errors
    )
    if len(data.contract_reference.strip()) > 80:
        errors["contract_reference"] = gettext("Referensen får vara högst 80 tecken.")
    async with write_transaction(_engine()):
        if "name" not in errors and await Provider.exists().where(Provider.name == name):
            errors["name"] = gettext("Det finns redan en utförare med det namnet.")
        if errors:
            raise FormErrors(errors)
        provider = Provider(
            name=name,
            kind=data.kind,
            services=data.services.strip(),
            contract_reference=data.contract_reference.strip(),
            municipality=data.municipality_id,
        )
        await provider.save()
        await _audit_provider(principal, provider.id, "create", kind=data.kind.value)
    return provider.id


async def _writable_provider(principal: Principal, provider_id: int) -> dict[str, Any]:
    _require(principal, Permission.providers_write)
    row: dict[str, Any] | None = (
        await Provider.select(Provider.id, Provider.kind, Provider.municipality, Provider.name)
        .where(
            (Provider.id == provider_id)
            & Provider.archived_at.is_null()
            & (
                Provider.municipality.is_null()
                | Provider.municipality.is_in(list(principal.municipality_ids) or [-1])
            )
        )
        .first()
    )
    if row is None:
        raise NotFoundException()
    return row


async def update_provider(principal: Principal, provider_id: int, data: ProviderUpdateIn) -> None:
    """Change a provider (optimistic lock on ``version``)."""
    errors: dict[str, str] = {}
    async with write_transaction(_engine()):
        current = await _writable_provider(principal, provider_id)
        name = " ".join(data.name.split()) if data.name is not UNSET else current["name"]
        kind = data.kind if data.kind is not UNSET else current["kind"]
        municipality_id = (
            data.municipality_id if data.municipality_id is not UNSET else current["municipality"]
        )
        _check_provider_fields(
            principal, name=name, kind=kind, municipality_id=municipality_id, errors=errors
        )
        if data.contract_reference is not UNSET and len(data.contract_reference.strip()) > 80:
            errors["contract_reference"] = gettext("Referensen får vara högst 80 tecken.")
        if (
            "name" not in errors
            and name != current["name"]
            and await Provider.exists().where(Provider.name == name)
        ):
            errors["name"] = gettext("Det finns redan en utförare med det namnet.")
        if errors:
            raise FormErrors(errors)
        values: dict[Any, Any] = {
            Provider.name: name,
            Provider.kind: kind,
            Provider.municipality: municipality_id,
        }
        if data.services is not UNSET:
            values[Provider.services] = data.services.strip()
        if data.contract_reference is not UNSET:
            values[Provider.contract_reference] = data.contract_reference.strip()
        if data.is_active is not UNSET:
            values[Provider.is_active] = data.is_active
        if not await bump_version(Provider, provider_id, data.version, values):
            raise Conflict(gettext(PROVIDER_CONFLICT))
        await _audit_provider(principal, provider_id, "update")


async def add_provider_check(principal: Principal, provider_id: int, data: ProviderCheckIn) -> int:
    """Record a requirement check (what was checked, when, with what result)."""
    errors: dict[str, str] = {}
    what = data.what.strip()
    if len(what) < 3:
        errors["what"] = gettext("Beskriv vad som kontrollerades, till exempel registerutdrag.")
    checked_on = data.checked_on or today()
    if checked_on > today():
        errors["checked_on"] = gettext(FUTURE_DATE)
    async with write_transaction(_engine()):
        await _writable_provider(principal, provider_id)
        if errors:
            raise FormErrors(errors)
        check = ProviderCheck(
            provider=provider_id,
            checked_on=checked_on,
            what=what,
            result=data.result,
            checked_by=principal.user_id,
        )
        await check.save()
        await _audit_provider(
            principal, provider_id, "check", check_id=check.id, result=data.result.value
        )
    return check.id


# --- offers: scope and reading ---------------------------------------------------------


def offer_scope(principal: Principal) -> Any:
    """The WHERE clause of every offer query for this principal."""
    if principal.role is not Role.outreach:
        return SupportOffer.id == -1
    municipalities = list(principal.municipality_ids) or [-1]
    return SupportOffer.archived_at.is_null() & (
        (SupportOffer.defector_case.is_null() & SupportOffer.municipality.is_in(municipalities))
        | SupportOffer.defector_case.is_in(visible_case_ids(principal))
    )


async def list_offers(
    principal: Principal,
    *,
    search: str = "",
    status: str = "",
    category: str = "",
    context: str = "",
    case_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[OfferSummary], int]:
    """Offers newest first; search by person code, filter by status, category, context."""
    _require(principal, Permission.offers_read)
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
    async with write_transaction(_engine()):
        rows = (
            await SupportOffer.select(
                SupportOffer.id,
                SupportOffer.category,
                SupportOffer.context,
                SupportOffer.status,
                SupportOffer.offered_on,
                SupportOffer.defector_case,
                SupportOffer.person.code.as_alias("person_code"),
                SupportOffer.municipality.name.as_alias("municipality_name"),
                SupportOffer.provider.name.as_alias("provider_name"),
                SupportOffer.defector_case.reference.as_alias("case_reference"),
            )
            .where(where)
            .order_by(SupportOffer.offered_on, ascending=False)
            .order_by(SupportOffer.id, ascending=False)
            .limit(limit)
            .offset(offset)
        )
        total = await SupportOffer.count().where(where)
        await record(
            AuditAction.offer_list,
            actor=principal,
            target_type="support_offer",
            details={"count": len(rows), "offset": offset},
        )
    return [
        OfferSummary(
            id=r["id"],
            person_code=r["person_code"],
            municipality=r["municipality_name"],
            category=r["category"],
            provider=r["provider_name"],
            context=r["context"],
            status=r["status"],
            offered_on=r["offered_on"],
            defector_case_id=r["defector_case"],
            case_reference=r["case_reference"],
        )
        for r in rows
    ], total


async def get_offer(principal: Principal, offer_id: int) -> OfferView:
    """One offer with its status history (and its case, which its scope lets the user see)."""
    _require(principal, Permission.offers_read)
    async with write_transaction(_engine()):
        row = (
            await SupportOffer.select(
                *SupportOffer.all_columns(),
                SupportOffer.person.code.as_alias("person_code"),
                SupportOffer.municipality.name.as_alias("municipality_name"),
                SupportOffer.provider.name.as_alias("provider_name"),
                SupportOffer.provider.kind.as_alias("provider_kind"),
                SupportOffer.call_in.title.as_alias("call_in_title"),
                SupportOffer.defector_case.reference.as_alias("case_reference"),
            )
            .where(offer_scope(principal) & (SupportOffer.id == offer_id))
            .first()
        )
        if row is None:
            raise NotFoundException()
        history = (
            await SupportOfferStatusChange.select(
                *SupportOfferStatusChange.all_columns(),
                SupportOfferStatusChange.changed_by.display_name.as_alias("by_name"),
            )
            .where(SupportOfferStatusChange.offer == offer_id)
            .order_by(SupportOfferStatusChange.changed_at)
            .order_by(SupportOfferStatusChange.id)
        )
        approved = await _last_approved([row["provider"]] if row["provider"] else [])
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


@dataclass(frozen=True)
class OfferFormChoices:
    providers: list[ProviderChoice]
    links: list[LinkGroup]
    # Prefilled from a case page's "new offer" link.
    person_code: str = ""
    link: str = ""


async def offer_form_choices(
    principal: Principal, *, case_id: int | None = None
) -> OfferFormChoices:
    """What the phone form offers: providers, and the recent call-ins, custom
    notifications and open defector cases the new offer can belong to."""
    _require(principal, Permission.offers_write)
    municipalities = list(principal.municipality_ids) or [-1]
    since = today() - LINK_WINDOW
    async with write_transaction(_engine()):
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
        links=[
            LinkGroup(
                gettext("Avhopparärenden"),
                [
                    LinkChoice(
                        link_value(SupportOffer.Context.defector_case, c["id"]),
                        f"{c['reference']} ({c['person_code']})",
                    )
                    for c in cases
                ],
            ),
            LinkGroup(
                "Call-ins",
                [
                    LinkChoice(
                        link_value(SupportOffer.Context.call_in, c["id"]),
                        f"{c['title']} ({c['starts_at'].date().isoformat()})",
                    )
                    for c in call_ins
                ],
            ),
            LinkGroup(
                gettext("Individuella underrättelser"),
                [
                    LinkChoice(
                        link_value(SupportOffer.Context.notification, n["id"]),
                        f"{n['delivered_on'].isoformat()} – {n['person_code']}",
                    )
                    for n in notifications
                ],
            ),
        ],
        person_code=prefill_code,
        link=prefill_link,
    )


# --- offers: writing -------------------------------------------------------------------


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
    _require(principal, Permission.offers_write)
    errors: dict[str, str] = {}
    code = normalise_code(data.person_code)
    offered_on = data.offered_on or today()
    if offered_on > today():
        errors["offered_on"] = gettext(FUTURE_DATE)
    if data.cost is not None and data.cost < 0:
        errors["cost"] = gettext("Kostnaden kan inte vara negativ.")
    notes = data.notes.strip()
    async with write_transaction(_engine()):
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
            errors["provider_id"] = gettext("Välj en utförare i listan.")
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
        await record(
            AuditAction.offer_write,
            actor=principal,
            target_type="support_offer",
            target_id=offer.id,
            person_id=person["id"],
            details={
                "op": "create",
                "context": SupportOffer.Context(data.context).value,
                "defector_case_id": data.defector_case_id,
            },
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
    _require(principal, Permission.offers_write)
    row: dict[str, Any] | None = (
        await SupportOffer.select(
            SupportOffer.id, SupportOffer.person, SupportOffer.status, SupportOffer.offered_on
        )
        .where(offer_scope(principal) & (SupportOffer.id == offer_id))
        .first()
    )
    if row is None:
        raise NotFoundException()
    return row


async def update_offer(principal: Principal, offer_id: int, data: OfferUpdateIn) -> None:
    """Correct an offer's category, provider, date, cost or notes (optimistic lock)."""
    errors: dict[str, str] = {}
    values: dict[Any, Any] = {}
    if data.category is not UNSET:
        values[SupportOffer.category] = data.category
    if data.offered_on is not UNSET:
        if data.offered_on > today():
            errors["offered_on"] = gettext(FUTURE_DATE)
        values[SupportOffer.offered_on] = data.offered_on
    if data.cost is not UNSET:
        if data.cost is not None and data.cost < 0:
            errors["cost"] = gettext("Kostnaden kan inte vara negativ.")
        values[SupportOffer.cost] = data.cost
    if data.notes is not UNSET:
        values[SupportOffer.notes] = data.notes.strip()
    async with write_transaction(_engine()):
        offer = await _writable_offer(principal, offer_id)
        if data.provider_id is not UNSET:
            if data.provider_id is not None and not await Provider.exists().where(
                (Provider.id == data.provider_id) & Provider.archived_at.is_null()
            ):
                errors["provider_id"] = gettext("Välj en utförare i listan.")
            values[SupportOffer.provider] = data.provider_id
        if errors:
            raise FormErrors(errors)
        if not await bump_version(SupportOffer, offer_id, data.version, values):
            raise Conflict(gettext(OFFER_CONFLICT))
        await record(
            AuditAction.offer_write,
            actor=principal,
            target_type="support_offer",
            target_id=offer_id,
            person_id=offer["person"],
            details={"op": "update", "fields": sorted(c._meta.name for c in values)},
        )


async def change_offer_status(principal: Principal, offer_id: int, data: OfferStatusIn) -> None:
    """Move an offer along offered → accepted/declined → started → completed/discontinued,
    with a history row and an audit row in the same transaction."""
    errors: dict[str, str] = {}
    changed_on = data.changed_on or today()
    if changed_on > today():
        errors["changed_on"] = gettext(FUTURE_DATE)
    async with write_transaction(_engine()):
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
        await record(
            AuditAction.offer_write,
            actor=principal,
            target_type="support_offer",
            target_id=offer_id,
            person_id=offer["person"],
            details={"op": "status", "from": current, "to": data.to_status.value},
        )


# --- offers: linking after they are logged ---------------------------------------------------

LINK_NOT_THIS_PERSON = N_("Ärendet gäller en annan person, eller finns inte bland dina ärenden.")
LINK_NOT_INVITED = N_("Personen var inte inbjuden till det mötet, eller mötet finns inte.")
LINK_NOT_NOTIFIED = N_("Underrättelsen gäller inte den här personen.")


async def link_offer(principal: Principal, offer_id: int, data: OfferLinkIn) -> None:
    """Link an offer to a defector case, a call-in or a notification (or move or unlink
    it), audited. A case link sits beside the offer's origin (the call-in or notification
    it came from); a call-in and a notification are alternative origins."""
    _require(principal, Permission.offers_write)
    scope = list(principal.municipality_ids) or [-1]
    async with write_transaction(_engine()):
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
            raise NotFoundException()
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
        elif data.target == "call_in":
            if target_id is not None and not await Invitation.exists().where(
                (Invitation.call_in == target_id)
                & (Invitation.person == offer["person"])
                & Invitation.archived_at.is_null()
                & Invitation.call_in.municipality.is_in(scope)
                & Invitation.call_in.archived_at.is_null()
            ):
                raise FormErrors({"target_id": gettext(LINK_NOT_INVITED)})
            values[SupportOffer.call_in] = target_id
            if target_id is not None:
                values[SupportOffer.notification] = None
                values[SupportOffer.context] = SupportOffer.Context.call_in
            elif offer["context"] == SupportOffer.Context.call_in:
                values[SupportOffer.context] = origin
            before = offer["call_in"]
        else:
            if target_id is not None and not await Notification.exists().where(
                (Notification.id == target_id)
                & (Notification.person == offer["person"])
                & Notification.municipality.is_in(scope)
                & Notification.archived_at.is_null()
            ):
                raise FormErrors({"target_id": gettext(LINK_NOT_NOTIFIED)})
            values[SupportOffer.notification] = target_id
            if target_id is not None:
                values[SupportOffer.call_in] = None
                values[SupportOffer.context] = SupportOffer.Context.notification
            elif offer["context"] == SupportOffer.Context.notification:
                values[SupportOffer.context] = origin
            before = offer["notification"]
        if not await bump_version(SupportOffer, offer_id, data.version, values):
            raise Conflict(gettext(OFFER_CONFLICT))
        await record(
            AuditAction.offer_write,
            actor=principal,
            target_type="support_offer",
            target_id=offer_id,
            person_id=offer["person"],
            details={"op": "link", "target": data.target, "from": before, "to": target_id},
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
    async with write_transaction(_engine()):
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
