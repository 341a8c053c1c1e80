"""Support offers and providers: the JSON API under /api/v1/offers and
/api/v1/providers, and the pages under /offers and /providers.

Handlers only translate: forms and JSON into the services' structs, the
services' refusals into field errors, 400, 404 or 409. POST → redirect → GET
with a flash message after every change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core import rest
from gvi.core.clock import today
from gvi.core.failures import FormErrors, VersionConflict
from gvi.core.paging import PAGE_SIZE, page_rows, pages_count
from gvi.core.params import PageNumber
from gvi.core.shapes import CreatedOut as Created
from gvi.core.web import page, redirect_with_flash, translated
from gvi.defectors.forms import form_to, money, prefixed
from gvi.i18n import gettext
from gvi.support import services
from gvi.support.forms import (
    CATEGORY_LABELS,
    CHECK_KIND_LABELS,
    CHECK_RESULT_LABELS,
    CONTEXT_LABELS,
    EVIDENCE_LABELS,
    OFFER_STATUS_LABELS,
    PROVIDER_KIND_LABELS,
    SEVERITY_LABELS,
    offer_from_form,
)
from gvi.support.schemas import (
    OfferChangesIn,
    OfferIn,
    OfferLinkIn,
    OfferPage,
    OfferStatusIn,
    OfferUpdateIn,
    OfferView,
    ProviderChangesIn,
    ProviderCheckIn,
    ProviderIn,
    ProviderPage,
    ProviderUpdateIn,
    ProviderView,
)
from gvi.support.tables import OfferStatus, Provider, SupportOffer
from gvi.support.transitions import neuter_label

OFFERS_READ = {"permission": Permission.offers_read}
OFFERS_WRITE = {"permission": Permission.offers_write}
PROVIDERS_READ = {"permission": Permission.providers_read}
PROVIDERS_WRITE = {"permission": Permission.providers_write}

Form = Mapping[str, Any]


def _link_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """The service names the link fields; the phone form has one "link" select."""
    links = {"call_in_id", "notification_id", "defector_case_id"}
    return {("link" if k in links else k): v for k, v in errors.items()}


def _render(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Template:
    ctx: dict[str, Any] = {
        "categories": translated(CATEGORY_LABELS),
        "contexts": translated(CONTEXT_LABELS),
        "offer_statuses": translated(OFFER_STATUS_LABELS),
        "provider_kinds": translated(PROVIDER_KIND_LABELS),
        "check_results": translated(CHECK_RESULT_LABELS),
        "check_kinds": translated(CHECK_KIND_LABELS),
        "severities": translated(SEVERITY_LABELS),
        "evidence_levels": translated(EVIDENCE_LABELS),
        "money": money,
        "errors": {},
    }
    ctx.update(context)
    return page(request, template, ctx, status_code=status_code)


async def _saved(
    request: Request[Any, Any, Any],
    action: Callable[[], Awaitable[object]],
    again: Callable[..., Awaitable[Template]],
    *,
    form: tuple[str, Form],
    to: str,
    flash: str,
) -> Template | Redirect:
    """One form of an offer or provider page: ``again`` shows the page once more with
    what was typed (``form`` names the page's form) and the field errors (400), or
    the conflict (409); success redirects with a flash message."""
    name, typed = form
    try:
        await action()
    except FormErrors as exc:
        return await again(
            **{name: typed}, errors=prefixed(exc.errors, f"{name}."), status_code=400
        )
    except VersionConflict as exc:
        return await again(error=str(exc), status_code=409)
    return redirect_with_flash(request, to, flash)


async def _offer_list(
    principal: Principal,
    page: int,
    q: str,
    status: str,
    category: str,
    context: str,
    case: int | None = None,
    sort: str = "",
    size: int = PAGE_SIZE,
) -> OfferPage:
    """One page of offers: the API's answer, and the list page's rows."""
    page = max(page, 1)
    rows, total = await services.list_offers(
        principal,
        search=q,
        status=status,
        category=category,
        context=context,
        case_id=case,
        sort=sort,
        **page_rows(page, size),
    )
    return OfferPage(items=rows, total=total, page=page, page_size=size)


async def _provider_list(
    principal: Principal, page: int, q: str, kind: str, flagged: bool, size: int = PAGE_SIZE
) -> ProviderPage:
    """One page of the provider register: the API's answer, and the list page's rows."""
    page = max(page, 1)
    rows, total = await services.list_providers(
        principal,
        search=q,
        kind=kind,
        flagged=flagged,
        **page_rows(page, size),
    )
    return ProviderPage(items=rows, total=total, page=page, page_size=size)


# --- JSON API ----------------------------------------------------------------------


class OffersApi(Controller):
    path = "/api/v1/offers"
    tags = ["support offers"]

    @rest.listing("/", opt=OFFERS_READ, name="api.offers.list")
    async def list_offers(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        category: FromQuery[str] = "",
        context: FromQuery[str] = "",
        case: FromQuery[int | None] = None,
    ) -> Response[OfferPage]:
        status = rest.known_value(status, OfferStatus.__members__, "status")
        category = rest.known_value(category, SupportOffer.Category.__members__, "category")
        context = rest.known_value(context, SupportOffer.Context.__members__, "context")
        found = await _offer_list(
            principal, window.page, q, status, category, context, case, size=window.size
        )
        return window.answer(found)

    @rest.create("/", opt=OFFERS_WRITE, name="api.offers.create")
    async def create_offer(
        self, principal: NamedDependency[Principal], data: JSONBody[OfferIn]
    ) -> Response[OfferView]:
        offer_id = await services.create_offer(principal, data)
        return rest.created(self.path, await services.get_offer(principal, offer_id))

    @rest.show("/{offer_id:int}", opt=OFFERS_READ, name="api.offers.show")
    async def show_offer(
        self, principal: NamedDependency[Principal], offer_id: FromPath[int]
    ) -> Response[OfferView]:
        return rest.tagged(await services.get_offer(principal, offer_id))

    @rest.update("/{offer_id:int}", opt=OFFERS_WRITE, name="api.offers.update")
    async def update_offer(
        self,
        principal: NamedDependency[Principal],
        offer_id: FromPath[int],
        data: JSONBody[OfferChangesIn],
        expected: rest.Expected,
    ) -> Response[OfferView]:
        """Fields left out keep their value."""
        update = rest.body_versioned(services.update_offer, OfferUpdateIn)
        return await rest.patched(update, services.get_offer, principal, offer_id, expected, data)

    @post("/{offer_id:int}/status", opt=OFFERS_WRITE, name="api.offers.status", status_code=200)
    async def change_status(
        self,
        principal: NamedDependency[Principal],
        offer_id: FromPath[int],
        data: JSONBody[OfferStatusIn],
    ) -> OfferView:
        await services.change_offer_status(principal, offer_id, data)
        return await services.get_offer(principal, offer_id)

    @post("/{offer_id:int}/link", opt=OFFERS_WRITE, name="api.offers.link", status_code=200)
    async def link_offer(
        self,
        principal: NamedDependency[Principal],
        offer_id: FromPath[int],
        data: JSONBody[OfferLinkIn],
    ) -> OfferView:
        await services.link_offer(principal, offer_id, data)
        return await services.get_offer(principal, offer_id)


class ProvidersApi(Controller):
    path = "/api/v1/providers"
    tags = ["providers"]

    @rest.listing("/", opt=PROVIDERS_READ, name="api.providers.list")
    async def list_providers(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        q: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        flagged: FromQuery[bool] = False,
    ) -> Response[ProviderPage]:
        kind = rest.known_value(kind, Provider.Kind.__members__, "kind")
        return window.answer(
            await _provider_list(principal, window.page, q, kind, flagged, window.size)
        )

    @rest.create("/", opt=PROVIDERS_WRITE, name="api.providers.create")
    async def create_provider(
        self, principal: NamedDependency[Principal], data: JSONBody[ProviderIn]
    ) -> Response[Created]:
        created = Created(id=await services.create_provider(principal, data))
        return rest.created(self.path, created)

    @rest.show("/{provider_id:int}", opt=PROVIDERS_READ, name="api.providers.show")
    async def show_provider(
        self, principal: NamedDependency[Principal], provider_id: FromPath[int]
    ) -> Response[ProviderView]:
        return rest.tagged(await services.get_provider(principal, provider_id))

    @rest.update("/{provider_id:int}", opt=PROVIDERS_WRITE, name="api.providers.update")
    async def update_provider(
        self,
        principal: NamedDependency[Principal],
        provider_id: FromPath[int],
        data: JSONBody[ProviderChangesIn],
        expected: rest.Expected,
    ) -> Response[ProviderView]:
        """Fields left out keep their value."""
        update = rest.body_versioned(services.update_provider, ProviderUpdateIn)
        read = services.get_provider
        return await rest.patched(update, read, principal, provider_id, expected, data)

    @post("/{provider_id:int}/checks", opt=PROVIDERS_WRITE, name="api.providers.check")
    async def add_check(
        self,
        principal: NamedDependency[Principal],
        provider_id: FromPath[int],
        data: JSONBody[ProviderCheckIn],
    ) -> Created:
        return Created(id=await services.add_provider_check(principal, provider_id, data))


# --- offer pages -----------------------------------------------------------------------


async def _new_offer_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    form: Form | None = None,
    errors: Mapping[str, str] | None = None,
    case_id: int | None = None,
    status_code: int = 200,
) -> Template:
    choices = await services.offer_form_choices(principal, case_id=case_id)
    values: dict[str, Any] = {
        "person_code": choices.person_code,
        "category": "",
        "provider_id": "",
        "method_id": "",
        "link": choices.link or SupportOffer.Context.street_outreach.value,
        "offered_on": today().isoformat(),
        "cost": "",
        "notes": "",
    }
    if form is not None:
        values.update({k: v for k, v in form.items() if k in values})
    return _render(
        request,
        "offers/new.html",
        {"form": values, "choices": choices, "errors": dict(errors or {}), "case_id": case_id},
        status_code=status_code,
    )


async def _offer_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    offer_id: int,
    *,
    edit: Form | None = None,
    status_form: Form | None = None,
    errors: Mapping[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    offer = await services.get_offer(principal, offer_id)
    values: dict[str, Any] = {
        "category": offer.category,
        "provider_id": str(offer.provider_id or ""),
        "method_id": str(offer.method_id or ""),
        "offered_on": offer.offered_on.isoformat(),
        "cost": "" if offer.cost is None else str(offer.cost),
        "notes": offer.notes,
    }
    if edit is not None:
        values.update({k: v for k, v in edit.items() if k in values})
    can_write = principal.can(Permission.offers_write)
    return _render(
        request,
        "offers/show.html",
        {
            "offer": offer,
            "edit": values,
            "status_form": {
                "changed_on": today().isoformat(),
                "note": "",
                **{k: v for k, v in (status_form or {}).items() if k in ("changed_on", "note")},
            },
            "providers": await services.provider_choices() if can_write else [],
            "methods": await services.method_choices() if can_write else [],
            "link_choices": (await services.offer_form_choices(principal)).links
            if can_write
            else [],
            "can_write": can_write,
            "errors": dict(errors or {}),
            "error": error,
        },
        status_code=status_code,
    )


class OfferPages(Controller):
    path = "/offers"
    include_in_schema = False

    @get("/", opt=OFFERS_READ, name="offers.list")
    async def list_offers(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        category: FromQuery[str] = "",
        context: FromQuery[str] = "",
        sort: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        listing = await _offer_list(principal, page, q, status, category, context, sort=sort)
        filters = {"q": q, "status": status, "category": category, "context": context}
        return _render(
            request,
            "offers/list.html",
            {
                "offers": listing.items,
                "total": listing.total,
                "filters": filters,
                "params": {**filters, "sort": services.OFFER_SORTS.parse(sort).param},
                "page": listing.page,
                "pages": pages_count(listing.total),
            },
        )

    @get("/new", opt=OFFERS_WRITE, name="offers.new")
    async def new_offer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case: FromQuery[int | None] = None,
    ) -> Template:
        return await _new_offer_page(request, principal, case_id=case)

    @post("/new", opt=OFFERS_WRITE, name="offers.create")
    async def create_offer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        try:
            offer_id = await services.create_offer(principal, offer_from_form(data))
        except FormErrors as exc:
            return await _new_offer_page(
                request, principal, form=data, errors=_link_errors(exc.errors), status_code=400
            )
        return redirect_with_flash(
            request,
            f"/offers/{offer_id}",
            gettext("Erbjudandet är registrerat. Ändra status här när personen svarar."),
        )

    @get("/{offer_id:int}", opt=OFFERS_READ, name="offers.show")
    async def show_offer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        offer_id: FromPath[int],
    ) -> Template:
        return await _offer_page(request, principal, offer_id)

    @post("/{offer_id:int}/edit", opt=OFFERS_WRITE, name="offers.update")
    async def update_offer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        offer_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        return await _saved(
            request,
            lambda: services.update_offer(principal, offer_id, form_to(OfferUpdateIn, data)),
            partial(_offer_page, request, principal, offer_id),
            form=("edit", data),
            to=f"/offers/{offer_id}",
            flash=gettext("Ändringarna är sparade."),
        )

    @post("/{offer_id:int}/status", opt=OFFERS_WRITE, name="offers.status")
    async def change_status(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        offer_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        try:
            form = form_to(OfferStatusIn, data)
            await services.change_offer_status(principal, offer_id, form)
        except FormErrors as exc:
            return await _offer_page(
                request,
                principal,
                offer_id,
                status_form=data,
                errors=prefixed(exc.errors, "status."),
                status_code=400,
            )
        except services.TransitionRefused as exc:
            return await _offer_page(
                request,
                principal,
                offer_id,
                status_form=data,
                errors={"status.to_status": str(exc)},
                status_code=400,
            )
        except VersionConflict as exc:
            return await _offer_page(request, principal, offer_id, error=str(exc), status_code=409)
        label = neuter_label(form.to_status)
        return redirect_with_flash(
            request,
            f"/offers/{offer_id}",
            gettext("Erbjudandet är nu %(label)s. Historiken är uppdaterad.") % {"label": label},
        )

    @post("/{offer_id:int}/link", opt=OFFERS_WRITE, name="offers.link")
    async def link_offer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        offer_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        """One step from the case page (or the offer page): ``link`` is
        ``defector_case:3``, ``call_in:12`` or ``notification:7``."""
        kind, _, raw_id = str(data.get("link") or "").partition(":")
        back = str(data.get("back") or "")
        try:
            # "kind:" with no id unlinks the offer from that kind of record.
            if kind not in ("defector_case", "call_in", "notification") or not (
                raw_id == "" or (raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 12)
            ):
                raise FormErrors({"link.link": gettext("Välj vad erbjudandet ska kopplas till.")})
            form = form_to(OfferLinkIn, {"version": data.get("version"), "target": kind})
            form.target_id = int(raw_id) if raw_id else None
            await services.link_offer(principal, offer_id, form)
        except FormErrors as exc:
            errors = {
                ("link.link" if k in ("target_id", "target") else k): v
                for k, v in exc.errors.items()
            }
            return await _offer_page(request, principal, offer_id, errors=errors, status_code=400)
        except VersionConflict as exc:
            return await _offer_page(request, principal, offer_id, error=str(exc), status_code=409)
        to_case = back == "case" and kind == "defector_case" and raw_id != ""
        where = f"/cases/{raw_id}#interventions" if to_case else f"/offers/{offer_id}"
        return redirect_with_flash(
            request, where, gettext("Erbjudandet är kopplat. Ändringen är loggad.")
        )


# --- provider pages --------------------------------------------------------------------


async def _new_provider_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    form: Form | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    values: dict[str, Any] = {
        "name": "",
        "kind": "",
        "services": "",
        "contract_reference": "",
        "municipality_id": "",
    }
    if form is not None:
        values.update({k: v for k, v in form.items() if k in values})
    return _render(
        request,
        "providers/new.html",
        {
            "form": values,
            "municipalities": await services.municipality_choices(principal),
            "errors": dict(errors or {}),
        },
        status_code=status_code,
    )


async def _provider_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    provider_id: int,
    *,
    edit: Form | None = None,
    check: Form | None = None,
    requirement: Form | None = None,
    deviation: Form | None = None,
    close: Form | None = None,
    errors: Mapping[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    """The provider page; the keyword forms are what was typed into each of its
    forms when one is shown again (``close`` names its ``deviation_id``)."""
    provider = await services.get_provider(principal, provider_id)
    values: dict[str, Any] = {
        "name": provider.name,
        "kind": provider.kind,
        "services": provider.services,
        "contract_reference": provider.contract_reference,
        "municipality_id": str(provider.municipality_id or ""),
        "is_active": "true" if provider.is_active else "false",
    }
    if edit is not None:
        values.update({k: v for k, v in edit.items() if k in values})
    check_values = {
        "what": "",
        "result": "",
        "kind": "document_check",
        "checked_on": today().isoformat(),
    }
    if check is not None:
        check_values.update({k: v for k, v in check.items() if k in check_values})
    typed = {
        "requirement": {"agreement": "", "requirement": "", "valid_from": "", "valid_to": ""},
        "deviation": {
            "severity": "",
            "description": "",
            "measures": "",
            "reported_on": today().isoformat(),
        },
        "close": {"deviation_id": "", "measures": "", "closed_on": today().isoformat()},
    }
    for name, form in (("requirement", requirement), ("deviation", deviation), ("close", close)):
        if form is not None:
            typed[name].update({k: v for k, v in form.items() if k in typed[name]})
    may_edit = principal.can(Permission.providers_write) and (
        provider.municipality_id is None or provider.municipality_id in principal.municipality_ids
    )
    return _render(
        request,
        "providers/show.html",
        {
            "provider": provider,
            "edit": values,
            "check": check_values,
            **typed,
            "may_edit": may_edit,
            "municipalities": await services.municipality_choices(principal),
            "errors": dict(errors or {}),
            "error": error,
        },
        status_code=status_code,
    )


class ProviderPages(Controller):
    path = "/providers"
    include_in_schema = False

    @get("/", opt=PROVIDERS_READ, name="providers.list")
    async def list_providers(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        flagged: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        listing = await _provider_list(principal, page, q, kind, flagged == "1")
        return _render(
            request,
            "providers/list.html",
            {
                "providers": listing.items,
                "total": listing.total,
                "filters": {"q": q, "kind": kind, "flagged": flagged},
                "page": listing.page,
                "pages": pages_count(listing.total),
                "kinds": Provider.Kind,
            },
        )

    @get("/new", opt=PROVIDERS_WRITE, name="providers.new")
    async def new_provider(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return await _new_provider_page(request, principal)

    @post("/new", opt=PROVIDERS_WRITE, name="providers.create")
    async def create_provider(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        try:
            provider_id = await services.create_provider(principal, form_to(ProviderIn, data))
        except FormErrors as exc:
            return await _new_provider_page(
                request, principal, form=data, errors=exc.errors, status_code=400
            )
        return redirect_with_flash(
            request,
            f"/providers/{provider_id}",
            gettext("Utföraren är registrerad. Lägg till en kravkontroll nedan."),
        )

    @get("/{provider_id:int}", opt=PROVIDERS_READ, name="providers.show")
    async def show_provider(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        provider_id: FromPath[int],
    ) -> Template:
        return await _provider_page(request, principal, provider_id)

    @post("/{provider_id:int}/edit", opt=PROVIDERS_WRITE, name="providers.update")
    async def update_provider(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        provider_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        return await _saved(
            request,
            lambda: services.update_provider(
                principal, provider_id, form_to(ProviderUpdateIn, data)
            ),
            partial(_provider_page, request, principal, provider_id),
            form=("edit", data),
            to=f"/providers/{provider_id}",
            flash=gettext("Ändringarna är sparade."),
        )

    @post("/{provider_id:int}/checks", opt=PROVIDERS_WRITE, name="providers.check")
    async def add_check(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        provider_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        return await _saved(
            request,
            lambda: services.add_provider_check(
                principal, provider_id, form_to(ProviderCheckIn, data)
            ),
            partial(_provider_page, request, principal, provider_id),
            form=("check", data),
            to=f"/providers/{provider_id}",
            flash=gettext("Kravkontrollen är sparad i historiken."),
        )


provider_page = _provider_page  # the provider-control forms show it again too

SUPPORT_ROUTES = [OffersApi, ProvidersApi, OfferPages, ProviderPages]
