"""Defector cases: the JSON API under /api/v1/cases and the pages under /cases.

Police reach a case only through ``api.cases.show`` and a recorded disclosure
(the service enforces it); every other route needs the cases permissions,
which only social services hold. Handlers only translate: forms and JSON into
the services' structs, refusals into field errors, 400, 404 or 409.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.access.tables import LegalGround
from gvi.core import clock, rest
from gvi.core.failures import FormErrors, Refused, VersionConflict
from gvi.core.forms import CONFIRM_VALUE
from gvi.core.paging import PAGE_SIZE, page_rows, pages_count
from gvi.core.params import PageNumber
from gvi.core.shapes import CreatedOut as Created
from gvi.core.web import page, redirect_with_flash, translated
from gvi.defectors import services, transitions
from gvi.defectors.forms import (
    AGENCY_LABELS,
    DECISION_LABELS,
    ENVIRONMENT_LABELS,
    FOLLOW_UP_AREAS,
    LEVEL_LABELS,
    NEED_LABELS,
    PHASE_LABELS,
    REFERRAL_LABELS,
    THREAT_LABELS,
    TRI_STATE_LABELS,
    form_to,
    money,
    prefixed,
)
from gvi.defectors.schemas import (
    CaseChangesIn,
    CaseIn,
    CasePage,
    CaseStatusIn,
    CaseUpdateIn,
    CaseView,
    ChangeResult,
    ConsentIn,
    ConsentWithdrawIn,
    FollowUpIn,
    GrantDecisionIn,
    GrantIn,
    NeedIn,
    NeedMetIn,
    TimelineEntry,
)
from gvi.defectors.tables import CaseStatus
from gvi.i18n import N_, gettext
from gvi.support.forms import (
    CATEGORY_LABELS,
    CONTEXT_LABELS,
    OFFER_STATUS_LABELS,
    PROVIDER_KIND_LABELS,
)
from gvi.support.services import offers_to_link

CASES_READ = {"permission": Permission.cases_read}
TRANSFER_STATE_LABELS = {
    "pending": N_("Väntar på svar"),
    "accepted": N_("Godtagen"),
    "declined": N_("Avböjd"),
    "withdrawn": N_("Återkallad"),
}
CASES_WRITE = {"permission": Permission.cases_write}

Form = Mapping[str, Any]

TRACK_ENDED = N_(
    "Polisspåret är avslutat: polisens definition är inte längre uppfylld eller en myndighet "
    "är undantagen. Utlämnanden med samtycke som grund har upphört."
)


class DisclosureIn(msgspec.Struct):
    to_user_id: int
    legal_ground: LegalGround
    summary: str
    valid_days: int | None = 30


class DisclosureOut(msgspec.Struct):
    id: int


async def _case_list(
    principal: Principal,
    q: str,
    status: str,
    track: str,
    page: int,
    sort: str = "",
    size: int = PAGE_SIZE,
) -> CasePage:
    """One page of the user's cases: the API's answer, and the list page's rows."""
    page = max(page, 1)
    rows, total = await services.list_cases(
        principal,
        search=q,
        status=status,
        track=track,
        sort=sort,
        **page_rows(page, size),
    )
    return CasePage(items=rows, total=total, page=page, page_size=size)


CASE_STATUSES = frozenset({*(str(s) for s in transitions.FLOW), "open"})
TRACKS = frozenset({"police", "social"})


class CasesApi(Controller):
    path = "/api/v1/cases"
    tags = ["defector cases"]

    @rest.listing("/", opt=CASES_READ, name="api.cases.list")
    async def list_cases(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        track: FromQuery[str] = "",
    ) -> Response[CasePage]:
        status = rest.known_value(status, CASE_STATUSES, "status")
        track = rest.known_value(track, TRACKS, "track")
        return window.answer(
            await _case_list(principal, q, status, track, window.page, size=window.size)
        )

    @rest.create("/", opt=CASES_WRITE, name="api.cases.create")
    async def create_case(
        self, principal: NamedDependency[Principal], data: JSONBody[CaseIn]
    ) -> Response[CaseView]:
        case_id = await services.create_case(principal, data)
        return rest.created(self.path, await services.get_case(principal, case_id))

    # Police reach a case only through a disclosure; the service enforces it.
    @rest.show("/{case_id:int}", opt={"permission": Permission.people_read}, name="api.cases.show")
    async def show_case(
        self, principal: NamedDependency[Principal], case_id: FromPath[int]
    ) -> Response[CaseView]:
        return rest.tagged(await services.get_case(principal, case_id))

    @get("/{case_id:int}/timeline", opt=CASES_READ, name="api.cases.timeline")
    async def timeline(
        self, principal: NamedDependency[Principal], case_id: FromPath[int]
    ) -> list[TimelineEntry]:
        return await services.get_timeline(principal, case_id)

    @rest.update("/{case_id:int}", opt=CASES_WRITE, name="api.cases.update")
    async def update_case(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[CaseChangesIn],
        expected: rest.Expected,
    ) -> Response[CaseView]:
        """Fields left out keep their value."""
        update = rest.body_versioned(services.update_case, CaseUpdateIn)
        return await rest.patched(update, services.get_case, principal, case_id, expected, data)

    @post("/{case_id:int}/status", opt=CASES_WRITE, name="api.cases.status", status_code=200)
    async def change_status(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[CaseStatusIn],
    ) -> CaseView:
        await services.change_status(principal, case_id, data)
        return await services.get_case(principal, case_id)

    @post("/{case_id:int}/consents", opt=CASES_WRITE, name="api.cases.consent")
    async def give_consent(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[ConsentIn],
    ) -> ChangeResult:
        return await services.give_consent(principal, case_id, data)

    @post(
        "/{case_id:int}/consents/{consent_id:int}/withdraw",
        opt=CASES_WRITE,
        name="api.cases.consent_withdraw",
        status_code=200,
    )
    async def withdraw_consent(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        consent_id: FromPath[int],
        data: JSONBody[ConsentWithdrawIn],
    ) -> ChangeResult:
        return await services.withdraw_consent(principal, case_id, consent_id, data.withdrawn_on)

    @post("/{case_id:int}/needs", opt=CASES_WRITE, name="api.cases.need")
    async def add_need(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[NeedIn],
    ) -> Created:
        return Created(id=await services.add_need(principal, case_id, data))

    @post(
        "/{case_id:int}/needs/{need_id:int}/met",
        opt=CASES_WRITE,
        name="api.cases.need_met",
        status_code=200,
    )
    async def mark_need_met(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        need_id: FromPath[int],
        data: JSONBody[NeedMetIn],
    ) -> CaseView:
        await services.mark_need_met(principal, case_id, need_id, data.met_on)
        return await services.get_case(principal, case_id)

    @post("/{case_id:int}/grants", opt=CASES_WRITE, name="api.cases.grant")
    async def apply_for_grant(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[GrantIn],
    ) -> Created:
        return Created(id=await services.apply_for_grant(principal, case_id, data))

    @post(
        "/{case_id:int}/grants/{grant_id:int}/decision",
        opt=CASES_WRITE,
        name="api.cases.grant_decision",
        status_code=200,
    )
    async def decide_grant(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        grant_id: FromPath[int],
        data: JSONBody[GrantDecisionIn],
    ) -> CaseView:
        await services.decide_grant(principal, case_id, grant_id, data)
        return await services.get_case(principal, case_id)

    @post("/{case_id:int}/follow-ups", opt=CASES_WRITE, name="api.cases.follow_up")
    async def add_follow_up(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[FollowUpIn],
    ) -> Created:
        return Created(id=await services.add_follow_up(principal, case_id, data))

    @post(
        "/{case_id:int}/disclosures",
        opt={"permission": Permission.disclosures_write},
        name="api.cases.disclose",
    )
    async def disclose(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[DisclosureIn],
    ) -> DisclosureOut:
        disclosure_id = await services.record_disclosure(
            principal,
            case_id,
            to_user_id=data.to_user_id,
            legal_ground=data.legal_ground,
            summary=data.summary,
            valid_days=data.valid_days,
        )
        return DisclosureOut(id=disclosure_id)


# --- pages ---------------------------------------------------------------------------------

LABELS: dict[str, Any] = {
    "statuses": transitions.STATUS_LABELS,
    "outcomes": transitions.OUTCOME_LABELS,
    "back_steps": transitions.BACK_STEPS,
    "referrals": REFERRAL_LABELS,
    "environments": ENVIRONMENT_LABELS,
    "threats": THREAT_LABELS,
    "agencies": AGENCY_LABELS,
    "needs": NEED_LABELS,
    "decisions": DECISION_LABELS,
    "phases": PHASE_LABELS,
    "levels": LEVEL_LABELS,
    "areas": FOLLOW_UP_AREAS,
    "tri_state": TRI_STATE_LABELS,
    "categories": CATEGORY_LABELS,
    "offer_statuses": OFFER_STATUS_LABELS,
    "contexts": CONTEXT_LABELS,
    "provider_kinds": PROVIDER_KIND_LABELS,
    "money": money,
}


def _render(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Template:
    return page(
        request,
        template,
        {**translated(LABELS), "errors": {}, "confirm_value": CONFIRM_VALUE, **context},
        status_code=status_code,
    )


def _tri(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


async def _new_case_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    form: Form | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    choices = await services.case_choices(principal)
    values: dict[str, Any] = {
        "person_code": "",
        "municipality_id": "",
        "unit_id": str(principal.unit_id or ""),
        "caseworker_id": str(principal.user_id),
        "referral_source": "",
        "environment": "criminal_network",
        "is_child": "false",
        "opened_on": clock.today().isoformat(),
        "notes": "",
    }
    if form is not None:
        values.update({k: v for k, v in form.items() if k in values})
    return _render(
        request,
        "cases/new.html",
        {"form": values, "choices": choices, "errors": dict(errors or {})},
        status_code=status_code,
    )


def _case_defaults(case: CaseView) -> dict[str, dict[str, Any]]:
    today = clock.today().isoformat()
    return {
        "edit": {
            "caseworker_id": str(case.caseworker_id or ""),
            "referral_source": case.referral_source or "",
            "environment": case.environment or "",
            "is_child": _tri(case.is_child),
            "notes": case.notes or "",
            "motivated": _tri(case.motivated),
            "is_witness": _tri(case.is_witness),
            "threat_level": case.threat_level,
            "threat_assessed_on": case.threat_assessed_on.isoformat()
            if case.threat_assessed_on
            else "",
            "social_services_eligible": _tri(case.social_services_eligible),
            "psychiatric_collaboration": _tri(case.psychiatric_collaboration),
        },
        "status": {"reason": "", "outcome": "", "confirm": ""},
        "transfer": {"to_unit_id": "", "reason": ""},
        "consent": {"agency": "", "given_on": today},
        "withdraw": {"withdrawn_on": today},
        "need": {"need": "", "assessed_on": today},
        "grant": {"applied_on": today, "amount_applied": ""},
        "decision": {"decision": "", "decided_on": today, "amount_granted": ""},
        "followup": {
            "phase": "",
            "follow_up_on": today,
            "months_since_start": "",
            **dict.fromkeys(FOLLOW_UP_AREAS, "unknown"),
            "notes": "",
        },
    }


async def _case_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    case_id: int,
    *,
    section: str = "",
    form: Form | None = None,
    errors: Mapping[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    case, timeline = await services.get_case_page(principal, case_id)
    forms = _case_defaults(case)
    if section and form is not None:
        # What was typed stays after an error, in the form it was typed into.
        forms[section].update({k: v for k, v in form.items() if k in forms[section]})
    can_write = principal.can(Permission.cases_write)
    return _render(
        request,
        "cases/show.html",
        {
            "case": case,
            "timeline": timeline,
            "offers_to_link": await offers_to_link(principal, case_id),
            "forms": forms,
            "choices": await services.case_choices(principal) if can_write else None,
            "can_write": can_write,
            "errors": dict(errors or {}),
            "error": error,
            "closed": case.status == CaseStatus.closed,
            "open_section": section if errors else "",
            # Transfers between units (gvi/defectors/transfer_controllers.py).
            "transfers": await services.case_transfers(principal, case_id, audited=False),
            "transfer_states": translated(TRANSFER_STATE_LABELS),
            "transfer_units": await services.receiving_units(principal, case_id)
            if can_write
            else [],
        },
        status_code=status_code,
    )


async def _act(
    request: Request[Any, Any, Any],
    principal: Principal,
    case_id: int,
    section: str,
    form: Form,
    run: Callable[[], Awaitable[ChangeResult | int | None]],
    message: str,
) -> Template | Redirect:
    """Run one change from the case page: field errors and refusals come back on
    the page (what was typed kept), a conflict is a 409, success a flash."""
    try:
        result = await run()
    except FormErrors as exc:
        return await _case_page(
            request,
            principal,
            case_id,
            section=section,
            form=form,
            errors=prefixed(exc.errors, f"{section}."),
            status_code=400,
        )
    except VersionConflict as exc:
        return await _case_page(request, principal, case_id, error=str(exc), status_code=409)
    except Refused as exc:
        return await _case_page(
            request,
            principal,
            case_id,
            section=section,
            form=form,
            errors={f"{section}.form": str(exc)},
            status_code=400,
        )
    if isinstance(result, ChangeResult) and result.police_track_ended:
        return redirect_with_flash(
            request, f"/cases/{case_id}", f"{message} {gettext(TRACK_ENDED)}", "warning"
        )
    return redirect_with_flash(request, f"/cases/{case_id}", message)


async def _change(
    request: Request[Any, Any, Any],
    principal: Principal,
    case_id: int,
    section: str,
    form: Form,
    action: Callable[[Principal, int, Any], Awaitable[ChangeResult | int | None]],
    schema: type[msgspec.Struct],
    message: str,
) -> Template | Redirect:
    """One form of the case page read into ``schema`` and handed to ``action``."""

    async def run() -> ChangeResult | int | None:
        return await action(principal, case_id, form_to(schema, form))

    return await _act(request, principal, case_id, section, form, run, message)


class CasePages(Controller):
    path = "/cases"
    include_in_schema = False

    @get("/", opt=CASES_READ, name="cases.list")
    async def list_cases(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        track: FromQuery[str] = "",
        sort: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        listing = await _case_list(principal, q, status, track, page, sort)
        filters = {"q": q, "status": status, "track": track}
        return _render(
            request,
            "cases/list.html",
            {
                "cases": listing.items,
                "total": listing.total,
                "filters": filters,
                "params": {**filters, "sort": services.CASE_SORTS.parse(sort).param},
                "page": listing.page,
                "pages": pages_count(listing.total),
                "can_write": principal.can(Permission.cases_write),
            },
        )

    @get("/new", opt=CASES_WRITE, name="cases.new")
    async def new_case(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return await _new_case_page(request, principal)

    @post("/new", opt=CASES_WRITE, name="cases.create")
    async def create_case(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        try:
            case_id = await services.create_case(principal, form_to(CaseIn, data))
        except FormErrors as exc:
            return await _new_case_page(
                request, principal, form=data, errors=exc.errors, status_code=400
            )
        return redirect_with_flash(
            request,
            f"/cases/{case_id}",
            gettext(
                "Ärendet är öppnat med status Kontakt. Registrera samtycken och bedömningar nedan."
            ),
        )

    @get("/{case_id:int}", opt=CASES_READ, name="cases.show")
    async def show_case(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
    ) -> Template:
        return await _case_page(request, principal, case_id)

    @post("/{case_id:int}/status", opt=CASES_WRITE, name="cases.status")
    async def change_status(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        form = {k: v for k, v in data.items() if k != "confirm"}
        target = str(data.get("to_status", ""))

        async def run() -> ChangeResult:
            if target == CaseStatus.closed and data.get("confirm") != CONFIRM_VALUE:
                raise FormErrors(
                    {
                        "confirm": gettext(
                            "Kryssa i rutan för att bekräfta att ärendet ska avslutas."
                        )
                    }
                )
            try:
                return await services.change_status(principal, case_id, form_to(CaseStatusIn, form))
            except services.TransitionRefused as exc:
                raise FormErrors({"to_status": str(exc)}) from exc

        label = gettext(transitions.STATUS_LABELS.get(target, ""))
        return await _act(
            request,
            principal,
            case_id,
            "status",
            data,
            run,
            gettext("Ärendet har nu status %(label)s.") % {"label": label}
            if label
            else gettext("Statusen är ändrad."),
        )

    @post(
        "/{case_id:int}/consents/{consent_id:int}/withdraw",
        opt=CASES_WRITE,
        name="cases.consent_withdraw",
    )
    async def withdraw_consent(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        consent_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        async def run() -> ChangeResult:
            form = form_to(ConsentWithdrawIn, data)
            return await services.withdraw_consent(
                principal, case_id, consent_id, form.withdrawn_on
            )

        return await _act(
            request, principal, case_id, "withdraw", data, run, gettext("Samtycket är återkallat.")
        )

    @post("/{case_id:int}/needs/{need_id:int}/met", opt=CASES_WRITE, name="cases.need_met")
    async def mark_need_met(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        need_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        async def run() -> None:
            form = form_to(NeedMetIn, data)
            await services.mark_need_met(principal, case_id, need_id, form.met_on)

        return await _act(
            request,
            principal,
            case_id,
            "met",
            data,
            run,
            gettext("Behovet är markerat som tillgodosett."),
        )

    @post(
        "/{case_id:int}/grants/{grant_id:int}/decision",
        opt=CASES_WRITE,
        name="cases.grant_decision",
    )
    async def decide_grant(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        grant_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        async def run() -> None:
            await services.decide_grant(
                principal, case_id, grant_id, form_to(GrantDecisionIn, data)
            )

        return await _act(
            request, principal, case_id, "decision", data, run, gettext("Beslutet är registrerat.")
        )


def _section_route(
    path: str,
    name: str,
    section: str,
    action: Callable[[Principal, int, Any], Awaitable[ChangeResult | int | None]],
    schema: type[msgspec.Struct],
    message: str,
) -> HTTPRouteHandler:
    """The case page's plain forms (one struct in, one service call): the same
    handler for each, from the table below."""

    async def handler(
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        return await _change(
            request, principal, case_id, section, data, action, schema, gettext(message)
        )

    handler.__name__ = name.replace(".", "_")
    return post(
        f"/cases/{{case_id:int}}/{path}", opt=CASES_WRITE, name=name, include_in_schema=False
    )(handler)


# path, route name, the page's form, service, struct, flash message
SECTION_FORMS = (
    (
        "edit",
        "cases.update",
        "edit",
        services.update_case,
        CaseUpdateIn,
        N_("Ändringarna är sparade."),
    ),
    (
        "consents",
        "cases.consent",
        "consent",
        services.give_consent,
        ConsentIn,
        N_("Samtycket är registrerat."),
    ),
    ("needs", "cases.need", "need", services.add_need, NeedIn, N_("Behovet är registrerat.")),
    (
        "grants",
        "cases.grant",
        "grant",
        services.apply_for_grant,
        GrantIn,
        N_("Ansökan om statsbidrag är registrerad."),
    ),
    (
        "follow-ups",
        "cases.follow_up",
        "followup",
        services.add_follow_up,
        FollowUpIn,
        N_("Uppföljningen är sparad."),
    ),
)

CASE_ROUTES = [CasesApi, CasePages, *(_section_route(*form) for form in SECTION_FORMS)]
