"""The case plan: /cases/{id}/plan (the page and its forms) and
/api/v1/cases/{id}/plan (README: Case plan and SIP). Handlers only translate;
the edit pattern is :func:`gvi.core.web.submit_form`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core import clock, rest
from gvi.core.failures import FormErrors, Refused
from gvi.core.shapes import CreatedOut as Created
from gvi.core.web import page, refusal_view, submit, submit_form, translated
from gvi.defectors.forms import PHASE_LABELS
from gvi.i18n import N_, gettext
from gvi.plans import services
from gvi.plans.labels import ITEM_STATUS_LABELS, PARTY_LABELS, RATING_LABELS
from gvi.plans.schemas import (
    ApproveIn,
    GoalRatingIn,
    GoalRatingsIn,
    PlanItemIn,
    PlanItemStatusIn,
    PlanOut,
    PlanOwnerIn,
    SipIn,
)
from gvi.plans.tables import Rating
from gvi.support.forms import EVIDENCE_LABELS
from gvi.support.services.methods import method_choices

READ = {"permission": Permission.cases_read}
WRITE = {"permission": Permission.cases_write}
APPROVE = {"permission": Permission.cases_approve}

Form = Mapping[str, Any]

LABELS = {
    "parties": PARTY_LABELS,
    "item_statuses": ITEM_STATUS_LABELS,
    "ratings": RATING_LABELS,
    "phases": PHASE_LABELS,
    "evidence": EVIDENCE_LABELS,
}


async def _plan_after(
    principal: Principal, case_id: int, change: Awaitable[object]
) -> Response[PlanOut]:
    """Make *change*, then answer with the plan as it now is (its ETag the new version)."""
    await change
    return rest.tagged(await services.get_plan(principal, case_id))


class PlanApi(Controller):
    path = "/api/v1/cases/{case_id:int}/plan"
    tags = ["cases"]

    @rest.show("/", opt=READ, name="api.cases.plan")
    async def show_plan(
        self, principal: NamedDependency[Principal], case_id: FromPath[int]
    ) -> Response[PlanOut]:
        """The plan: items with their ratings, overall owner, SIP and approval. Its
        ETag is the plan's version (0 before the first change)."""
        return rest.tagged(await services.get_plan(principal, case_id))

    @rest.create("/items", opt=WRITE, name="api.cases.plan.items.create")
    async def add_item(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[PlanItemIn],
    ) -> Response[Created]:
        created = Created(id=await services.add_item(principal, case_id, data))
        return rest.created(f"/api/v1/cases/{case_id}/plan/items", created)

    @post(
        "/items/{item_id:int}/status",
        opt=WRITE,
        name="api.cases.plan.items.status",
        status_code=200,
    )
    async def item_status(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        item_id: FromPath[int],
        data: JSONBody[PlanItemStatusIn],
    ) -> Response[PlanOut]:
        return await _plan_after(
            principal, case_id, services.set_item_status(principal, case_id, item_id, data)
        )

    @post("/owner", opt=WRITE, name="api.cases.plan.owner", status_code=200)
    async def set_owner(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[PlanOwnerIn],
    ) -> Response[PlanOut]:
        return await _plan_after(principal, case_id, services.set_owner(principal, case_id, data))

    @post("/sip", opt=WRITE, name="api.cases.plan.sip", status_code=200)
    async def sip(
        self, principal: NamedDependency[Principal], case_id: FromPath[int], data: JSONBody[SipIn]
    ) -> Response[PlanOut]:
        """Start the SIP (the healthcare consent must be in force) or end it."""
        return await _plan_after(principal, case_id, services.set_sip(principal, case_id, data))

    @post("/approve", opt=APPROVE, name="api.cases.plan.approve", status_code=200)
    async def approve(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[ApproveIn],
    ) -> Response[PlanOut]:
        """A unit lead of the case's unit approves the plan at this version."""
        return await _plan_after(principal, case_id, services.approve(principal, case_id, data))

    @post("/ratings", opt=WRITE, name="api.cases.plan.ratings", status_code=200)
    async def ratings(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[GoalRatingsIn],
    ) -> Response[PlanOut]:
        """The goals as judged at one of the case's follow-ups."""
        return await _plan_after(principal, case_id, services.rate_goals(principal, case_id, data))


# --- the page ------------------------------------------------------------------------


def _defaults(plan: PlanOut) -> dict[str, dict[str, Any]]:
    return {
        "item": {
            "goal": "",
            "measure": "",
            "party": "",
            "method_id": "",
            "starts_on": clock.today().isoformat(),
            "due_on": "",
        },
        "owner": {"owner": plan.owner},
        "sip": {"on": clock.today().isoformat()},
        "rating": {"follow_up_id": str(plan.follow_ups[-1].id) if plan.follow_ups else ""},
    }


async def _plan_page(
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
    plan = await services.get_plan(principal, case_id)
    forms = _defaults(plan)
    if section in forms and form is not None:
        forms[section].update({k: v for k, v in form.items() if k in forms[section]})
    can_write = principal.can(Permission.cases_write) and not plan.closed
    return page(
        request,
        "cases/plan.html",
        {
            **translated(LABELS),
            "plan": plan,
            "forms": forms,
            "typed": dict(form or {}) if section == "rating" else {},
            "methods": await method_choices() if can_write else [],
            "can_write": can_write,
            "can_approve": principal.can(Permission.cases_approve) and not plan.closed,
            "errors": dict(errors or {}),
            "error": error,
            "open_section": section if errors else "",
        },
        status_code=status_code,
    )


async def _submit(
    request: Request[Any, Any, Any],
    principal: Principal,
    case_id: int,
    section: str,
    target: type[msgspec.Struct],
    data: Form,
    action: Callable[[Any], Awaitable[object]],
    flash: str,
) -> Template | Redirect:
    """One of the plan page's forms: :func:`submit_form`, the page shown again with
    what was typed in *section*'s form and its errors."""

    async def again(**kwargs: Any) -> Template:
        return await _plan_page(
            request, principal, case_id, section=section, form=kwargs.pop(section), **kwargs
        )

    return await submit_form(
        request,
        target,
        data,
        action,
        page=again,
        form_as=section,
        prefix=f"{section}.",
        to=f"/cases/{case_id}/plan",
        flash=flash,
    )


def _ratings_of(data: Form) -> GoalRatingsIn:
    """The rating form: the follow-up, and ``rating_<item id>`` per rated item."""
    raw_follow_up = str(data.get("follow_up_id", "")).strip()
    if not raw_follow_up.isdigit():
        raise FormErrors({"follow_up_id": gettext("Välj en av ärendets uppföljningar.")})
    ratings = []
    for key, value in data.items():
        if not key.startswith("rating_") or not str(value).strip():
            continue
        item = key.removeprefix("rating_")
        if not item.isdigit() or str(value) not in Rating.__members__:
            raise FormErrors({"ratings": gettext("Välj en bedömning i listan.")})
        ratings.append(GoalRatingIn(item_id=int(item), rating=Rating(str(value))))
    return GoalRatingsIn(follow_up_id=int(raw_follow_up), ratings=ratings)


class PlanPages(Controller):
    path = "/cases/{case_id:int}/plan"
    include_in_schema = False

    @get("/", opt=READ, name="cases.plan")
    async def show_plan(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
    ) -> Template:
        return await _plan_page(request, principal, case_id)

    @post("/items", opt=WRITE, name="cases.plan.item")
    async def add_item(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        async def run(item: PlanItemIn) -> int:
            return await services.add_item(principal, case_id, item)

        return await _submit(
            request,
            principal,
            case_id,
            "item",
            PlanItemIn,
            data,
            run,
            gettext("Planpunkten är tillagd. Planen behöver godkännas av enhetschefen."),
        )

    @post("/items/{item_id:int}/status", opt=WRITE, name="cases.plan.item_status")
    async def item_status(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        item_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        async def run(change: PlanItemStatusIn) -> None:
            await services.set_item_status(principal, case_id, item_id, change)

        return await _submit(
            request,
            principal,
            case_id,
            "status",
            PlanItemStatusIn,
            data,
            run,
            gettext("Planpunktens status är ändrad."),
        )

    @post("/owner", opt=WRITE, name="cases.plan.owner")
    async def set_owner(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        async def run(change: PlanOwnerIn) -> None:
            await services.set_owner(principal, case_id, change)

        return await _submit(
            request,
            principal,
            case_id,
            "owner",
            PlanOwnerIn,
            data,
            run,
            gettext("Huvudansvaret för planen är ändrat."),
        )

    @post("/sip", opt=WRITE, name="cases.plan.sip")
    async def sip(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        starting = str(data.get("sip", "")) == "true"

        async def run(change: SipIn) -> None:
            await services.set_sip(principal, case_id, change)

        return await _submit(
            request,
            principal,
            case_id,
            "sip",
            SipIn,
            data,
            run,
            gettext(SIP_STARTED if starting else SIP_ENDED),
        )

    @post("/approve", opt=APPROVE, name="cases.plan.approve")
    async def approve(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        async def run(change: ApproveIn) -> None:
            await services.approve(principal, case_id, change)

        return await _submit(
            request,
            principal,
            case_id,
            "approve",
            ApproveIn,
            data,
            run,
            gettext("Planen är godkänd."),
        )

    @post("/ratings", opt=WRITE, name="cases.plan.ratings")
    async def ratings(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        async def run() -> int:
            return await services.rate_goals(principal, case_id, _ratings_of(data))

        async def again(exc: Refused, _status: int) -> Template:
            return await _plan_page(
                request, principal, case_id, section="rating", form=data,
                **refusal_view(exc, "rating."),
            )  # fmt: skip

        return await submit(
            request,
            run(),
            rerender=again,
            to=f"/cases/{case_id}/plan",
            flash=lambda count: gettext("Måluppfyllelsen är sparad för %(n)s mål.") % {"n": count},
        )


SIP_STARTED = N_("SIP:en är påbörjad.")
SIP_ENDED = N_("SIP:en är avslutad.")

PLAN_ROUTES = [PlanApi, PlanPages]
