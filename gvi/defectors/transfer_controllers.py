"""Transfers of defector cases between units: the JSON API under
/api/v1/cases/{id}/transfers and /api/v1/transfers, and the pages (the offer
form on the case page, the list of incoming and outgoing transfers under
/cases/transfers). README: Transfers between units.

Handlers only translate; the services scope every query (a transfer the user is
no party to answers 404, like a missing one) and write the audit rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core import rest
from gvi.core.failures import Refused
from gvi.core.web import page, redirect_with_flash, refusal_view, submit_form, translated
from gvi.defectors import services
from gvi.defectors.controllers import TRACK_ENDED, TRANSFER_STATE_LABELS, _act
from gvi.defectors.forms import AGENCY_LABELS, form_to
from gvi.defectors.services.transfers import DIRECTIONS, STATES
from gvi.defectors.transfer_schemas import (
    TransferAcceptIn,
    TransferDeclineIn,
    TransferOfferIn,
    TransferOutcome,
    TransferPage,
    TransferView,
)
from gvi.i18n import N_, gettext

CASES_READ = {"permission": Permission.cases_read}
CASES_WRITE = {"permission": Permission.cases_write}

Form = Mapping[str, Any]

MISSING_CONSENTS = N_("Samtycke som saknas: %(agencies)s.")


def _accepted_message(outcome: TransferOutcome) -> tuple[str, str]:
    """The flash after accepting: a warning naming the missing consents when the
    police track ended."""
    message = gettext("Ärendet är mottaget och ligger nu hos er enhet.")
    if not outcome.police_track_ended:
        return message, "success"
    agencies = ", ".join(
        gettext(AGENCY_LABELS[a]).lower() for a in outcome.missing_consents if a in AGENCY_LABELS
    )
    parts = [message, gettext(TRACK_ENDED)]
    if agencies:
        parts.append(gettext(MISSING_CONSENTS) % {"agencies": agencies})
    return " ".join(parts), "warning"


class TransfersApi(Controller):
    path = "/api/v1"
    tags = ["defector cases"]

    @get("/cases/{case_id:int}/transfers", opt=CASES_READ, name="api.cases.transfers")
    async def case_transfers(
        self, principal: NamedDependency[Principal], case_id: FromPath[int]
    ) -> list[TransferView]:
        return await services.case_transfers(principal, case_id)

    @rest.create("/cases/{case_id:int}/transfers", opt=CASES_WRITE, name="api.cases.transfer")
    async def offer_transfer(
        self,
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: JSONBody[TransferOfferIn],
    ) -> Response[TransferView]:
        """Offer the case to another social-services unit (one pending offer per case)."""
        transfer_id = await services.offer_transfer(principal, case_id, data)
        return rest.created(
            "/api/v1/transfers", await services.get_transfer(principal, transfer_id)
        )

    @rest.listing("/transfers", opt=CASES_READ, name="api.transfers.list")
    async def list_transfers(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        direction: FromQuery[str] = "",
        # "state" is a name Litestar keeps for the app state: read ?state= under another.
        state_filter: Annotated[str, QueryParameter(name="state")] = "",
    ) -> Response[TransferPage]:
        """Transfers to your units (incoming) and from them (outgoing), newest first."""
        direction = rest.known_value(direction, DIRECTIONS, "direction")
        state = rest.known_value(state_filter, STATES, "state")
        rows, total = await services.list_transfers(
            principal, direction=direction, state=state, **window.rows
        )
        return window.page_of(TransferPage, rows, total)

    @rest.show("/transfers/{transfer_id:int}", opt=CASES_READ, name="api.transfers.show")
    async def show_transfer(
        self, principal: NamedDependency[Principal], transfer_id: FromPath[int]
    ) -> Response[TransferView]:
        return rest.tagged(await services.get_transfer(principal, transfer_id))

    @post(
        "/transfers/{transfer_id:int}/accept",
        opt=CASES_WRITE,
        name="api.transfers.accept",
        status_code=200,
    )
    async def accept_transfer(
        self,
        principal: NamedDependency[Principal],
        transfer_id: FromPath[int],
        data: JSONBody[TransferAcceptIn],
    ) -> TransferOutcome:
        """The receiving unit takes the case over, for one of its caseworkers."""
        return await services.accept_transfer(principal, transfer_id, data)

    @post(
        "/transfers/{transfer_id:int}/decline",
        opt=CASES_WRITE,
        name="api.transfers.decline",
        status_code=200,
    )
    async def decline_transfer(
        self,
        principal: NamedDependency[Principal],
        transfer_id: FromPath[int],
        data: JSONBody[TransferDeclineIn],
    ) -> TransferView:
        """The receiving unit says no; ``decline_reason`` is required."""
        await services.decline_transfer(principal, transfer_id, data)
        return await services.get_transfer(principal, transfer_id)

    @post(
        "/transfers/{transfer_id:int}/withdraw",
        opt=CASES_WRITE,
        name="api.transfers.withdraw",
        status_code=200,
    )
    async def withdraw_transfer(
        self, principal: NamedDependency[Principal], transfer_id: FromPath[int]
    ) -> TransferView:
        """The sending unit takes back a pending offer."""
        await services.withdraw_transfer(principal, transfer_id)
        return await services.get_transfer(principal, transfer_id)


# --- pages ---------------------------------------------------------------------------------

LIST_SIZE = 100


async def _transfers_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    open_id: int | None = None,
    form: Form | None = None,
    errors: Mapping[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    incoming, incoming_total = await services.list_transfers(
        principal, direction="incoming", limit=LIST_SIZE, offset=0
    )
    outgoing, outgoing_total = await services.list_transfers(
        principal, direction="outgoing", limit=LIST_SIZE, offset=0
    )
    can_write = principal.can(Permission.cases_write)
    caseworkers: dict[int, list[services.Choice]] = {}
    if can_write:
        for t in incoming:
            if t.state == "pending":
                caseworkers[t.id] = await services.receiving_caseworkers(principal, t.id)
    forms: dict[int, dict[str, Any]] = {
        t.id: {"caseworker_id": str(principal.user_id), "decline_reason": ""}
        for t in incoming
        if t.state == "pending"
    }
    if open_id in forms and form is not None:
        # What was typed stays after an error, in the form it was typed into.
        forms[open_id].update({k: v for k, v in form.items() if k in forms[open_id]})
    return page(
        request,
        "cases/transfers.html",
        {
            "incoming": incoming,
            "incoming_total": incoming_total,
            "outgoing": outgoing,
            "outgoing_total": outgoing_total,
            "caseworkers": caseworkers,
            "forms": forms,
            "open_id": open_id if errors else None,
            "can_write": can_write,
            "states": translated(TRANSFER_STATE_LABELS),
            "errors": dict(errors or {}),
            "error": error,
        },
        status_code=status_code,
    )


class TransferPages(Controller):
    path = "/cases"
    include_in_schema = False

    @get("/transfers", opt=CASES_READ, name="transfers.list")
    async def list_transfers(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return await _transfers_page(request, principal)

    @post("/{case_id:int}/transfers", opt=CASES_WRITE, name="cases.transfer")
    async def offer_transfer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        case_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        async def run() -> int:
            return await services.offer_transfer(principal, case_id, form_to(TransferOfferIn, data))

        return await _act(
            request,
            principal,
            case_id,
            "transfer",
            data,
            run,
            gettext(
                "Ärendet är erbjudet den andra enheten. Det ligger kvar hos er tills de svarar."
            ),
        )

    @post("/transfers/{transfer_id:int}/withdraw", opt=CASES_WRITE, name="transfers.withdraw")
    async def withdraw_transfer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        transfer_id: FromPath[int],
    ) -> Template | Redirect:
        try:
            case_id = await services.withdraw_transfer(principal, transfer_id)
        except Refused as exc:
            return await _transfers_page(request, principal, **refusal_view(exc))
        return redirect_with_flash(
            request, f"/cases/{case_id}", gettext("Erbjudandet om överföring är återkallat.")
        )

    @post("/transfers/{transfer_id:int}/decline", opt=CASES_WRITE, name="transfers.decline")
    async def decline_transfer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        transfer_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        return await submit_form(
            request,
            TransferDeclineIn,
            data,
            partial(services.decline_transfer, principal, transfer_id),
            page=partial(_transfers_page, request, principal, open_id=transfer_id),
            form_as="form",
            prefix=f"t{transfer_id}.",
            to="/cases/transfers",
            flash=gettext("Ni har tackat nej till ärendet. Den skickande enheten ser ert skäl."),
        )

    @post("/transfers/{transfer_id:int}/accept", opt=CASES_WRITE, name="transfers.accept")
    async def accept_transfer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        transfer_id: FromPath[int],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        try:
            outcome = await services.accept_transfer(
                principal, transfer_id, form_to(TransferAcceptIn, data)
            )
        except Refused as exc:
            return await _transfers_page(
                request,
                principal,
                open_id=transfer_id,
                form=data,
                **refusal_view(exc, f"t{transfer_id}."),
            )
        message, category = _accepted_message(outcome)
        return redirect_with_flash(request, f"/cases/{outcome.case_id}", message, category)


TRANSFER_ROUTES = [TransfersApi, TransferPages]
