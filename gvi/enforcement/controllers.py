"""Enforcement actions (police partition) and the promise ledger: the JSON API under
/api/v1/enforcement and /api/v1/callins/{id}/ledger, the pages under /enforcement
and /callins/{id}/ledger."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core import rest
from gvi.core.clock import today
from gvi.core.failures import Refused
from gvi.core.forms import read_date, read_id, read_text, read_version
from gvi.core.paging import PAGE_SIZE, page_offset
from gvi.core.params import PageNumber, Signed
from gvi.core.shapes import CreatedOut
from gvi.core.web import ops_list, ops_page, redirect_with_flash, refusal_view
from gvi.enforcement import services
from gvi.enforcement.forms import ActionForm
from gvi.enforcement.labels import ACTION_KIND_LABELS, ACTION_STATUS_LABELS
from gvi.enforcement.schemas import (
    ActionDetailOut,
    ActionIn,
    ActionOut,
    ActionPage,
    LedgerActionOut,
    LedgerIncidentOut,
    LedgerOut,
    LedgerPromiseOut,
    LedgerTriggerOut,
    UnansweredOut,
)
from gvi.i18n import gettext

READ = {"permission": Permission.enforcement_read}
WRITE = {"permission": Permission.enforcement_write}
LEDGER = {"permission": Permission.promise_ledger_read}

AnyRequest = Request[Any, Any, Any]


def _row_out(r: services.ActionRow) -> ActionOut:
    return msgspec.convert(r, ActionOut, from_attributes=True)


def _detail_out(d: services.ActionDetail) -> ActionDetailOut:
    return msgspec.convert(d, ActionDetailOut, from_attributes=True)


def _ledger_action_out(a: services.LedgerAction) -> LedgerActionOut:
    return msgspec.convert(a, LedgerActionOut, from_attributes=True)


def _ledger_out(ledger: services.Ledger) -> LedgerOut:
    return LedgerOut(
        call_in_id=ledger.call_in_id,
        title=ledger.title,
        day=ledger.day,
        municipality=ledger.municipality,
        detail=ledger.detail,
        promises_kept=ledger.kept,
        promises_triggered=ledger.triggered,
        promises=[
            LedgerPromiseOut(
                id=p.id,
                position=p.position,
                text=p.text,
                kept=p.kept,
                incidents=p.incidents,
                actions_taken=p.actions_taken,
                actions_planned=p.actions_planned,
                first_trigger=p.first_trigger,
                first_action=p.first_action,
                days_to_first_action=p.days_to_first_action,
                triggers=[
                    LedgerTriggerOut(
                        incident_day=t.incident_day,
                        incident_kind=t.incident_kind,
                        groups=t.groups,
                        actions=[_ledger_action_out(a) for a in t.actions],
                        days_to_first_action=t.days_to_first_action,
                        incident_id=t.incident_id,
                    )
                    for t in p.triggers
                ],
                untriggered=[_ledger_action_out(a) for a in p.untriggered],
            )
            for p in ledger.promises
        ],
        unanswered=[
            UnansweredOut(
                incident_day=u.incident_day,
                incident_kind=u.incident_kind,
                groups=u.groups,
                incident_id=u.incident_id,
            )
            for u in ledger.unanswered
        ],
        held=ledger.held,
        considered=[
            LedgerIncidentOut(
                incident_day=c.incident_day,
                incident_kind=c.incident_kind,
                groups=c.groups,
                triggered=c.triggered,
                reason=c.reason,
                incident_id=c.incident_id,
            )
            for c in ledger.considered
        ],
    )


def _api_draft(data: ActionIn) -> services.ActionDraft:
    return services.ActionDraft(
        group_id=data.group_id,
        municipality_id=data.municipality_id,
        triggering_incident_id=data.triggering_incident_id,
        promise_id=data.promise_id,
        agency=data.agency,
        kind=data.kind,
        action_date=data.action_date,
        status=data.status,
        notes=data.notes.strip(),
    )


def _form_draft(form: ActionForm) -> tuple[services.ActionDraft, dict[str, str]]:
    errors: dict[str, str] = {}
    draft = services.ActionDraft(
        group_id=read_id(form.group, "group", errors, gettext("Välj gruppen åtgärden riktas mot.")),
        municipality_id=read_id(
            form.municipality, "municipality", errors, gettext("Välj en av dina kommuner.")
        ),
        triggering_incident_id=read_id(
            form.triggering_incident,
            "triggering_incident",
            errors,
            gettext("Välj en händelse i listan."),
        ),
        promise_id=read_id(form.promise, "promise", errors, gettext("Välj ett löfte i listan.")),
        agency=form.agency,
        kind=form.kind,
        action_date=read_date(form.action_date, "action_date", errors),
        status=form.status,
        notes=read_text(form.notes, "notes", errors),
    )
    return draft, errors


def _form_of(d: services.ActionDetail) -> ActionForm:
    return ActionForm(
        version=str(d.version),
        group=str(d.group_id),
        municipality=str(d.municipality_id),
        triggering_incident=str(d.triggering_incident_id or ""),
        promise=str(d.promise_id or ""),
        agency=d.agency,
        kind=d.kind,
        action_date=d.action_date.isoformat(),
        status=d.status,
        notes=d.notes,
    )


class EnforcementApi(Controller):
    path = "/api/v1/enforcement"
    tags = ["enforcement"]

    @rest.listing("/", opt=READ, name="api.enforcement.list")
    async def list_actions(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        q: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        status: FromQuery[str] = "",
    ) -> Response[ActionPage]:
        rows, total = await services.list_actions(
            principal,
            search=q,
            kind=rest.known_value(kind, ACTION_KIND_LABELS, "kind"),
            status=rest.known_value(status, ACTION_STATUS_LABELS, "status"),
            **window.rows,
        )
        return window.page_of(ActionPage, [_row_out(r) for r in rows], total)

    @rest.show("/{action_id:int}", opt=READ, name="api.enforcement.show")
    async def show_action(
        self, principal: NamedDependency[Principal], action_id: FromPath[int]
    ) -> Response[ActionDetailOut]:
        return rest.tagged(await _action(principal, action_id))

    @rest.create("/", opt=WRITE, name="api.enforcement.create")
    async def create_action(
        self, principal: NamedDependency[Principal], data: JSONBody[ActionIn]
    ) -> Response[CreatedOut]:
        created = CreatedOut(id=await services.create_action(principal, _api_draft(data)))
        return rest.created(self.path, created)

    @rest.update("/{action_id:int}", opt=WRITE, name="api.enforcement.update")
    async def update_action(
        self,
        principal: Signed,
        action_id: FromPath[int],
        data: JSONBody[ActionIn],
        expected: rest.Expected,
    ) -> Response[ActionDetailOut]:
        """The whole action, as on create (fields left out take their defaults)."""
        draft = _api_draft(data)
        return await rest.patched(
            services.update_action, _action, principal, action_id, expected, draft
        )


async def _action(principal: Principal, action_id: int) -> ActionDetailOut:
    return _detail_out(await services.get_action(principal, action_id))


class LedgerApi(Controller):
    path = "/api/v1/callins"
    tags = ["call-ins"]

    @get("/{call_in_id:int}/ledger", opt=LEDGER, name="api.callins.ledger")
    async def show_ledger(
        self, principal: NamedDependency[Principal], call_in_id: FromPath[int]
    ) -> LedgerOut:
        return _ledger_out(await services.promise_ledger(principal, call_in_id))


def _incident_id(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


async def _form_page(
    request: AnyRequest,
    principal: Principal,
    form: ActionForm,
    *,
    action_id: int | None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    return ops_page(
        request,
        "enforcement/form.html",
        {
            "form": form,
            "action_id": action_id,
            "errors": errors or {},
            "error": error,
            **await services.choices(principal, _incident_id(form.triggering_incident)),
        },
        status_code=status_code,
    )


class EnforcementPages(Controller):
    path = "/enforcement"
    include_in_schema = False

    @get("/", opt=READ, name="enforcement.list")
    async def list_actions(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        status: FromQuery[str] = "",
        sort: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        page_no = max(page, 1)
        rows, total = await services.list_actions(
            principal,
            search=q,
            kind=kind,
            status=status,
            sort=sort,
            limit=PAGE_SIZE,
            offset=page_offset(page_no),
        )
        return ops_list(
            request,
            "enforcement/list.html",
            "actions",
            rows,
            total,
            page_no,
            {"can_write": principal.can(Permission.enforcement_write)},
            filters={"q": q, "kind": kind, "status": status},
            sort=services.ACTION_SORTS.parse(sort).param,
        )

    @get("/new", opt=WRITE, name="enforcement.new")
    async def new_action(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        incident: FromQuery[str] = "",
    ) -> Template:
        form = ActionForm(action_date=today().isoformat(), triggering_incident=incident)
        if len(principal.municipality_ids) == 1:
            form.municipality = str(next(iter(principal.municipality_ids)))
        return await _form_page(request, principal, form, action_id=None)

    @post("/new", opt=WRITE, name="enforcement.create")
    async def create_action(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        data: URLEncodedBody[ActionForm],
    ) -> Template | Redirect:
        draft, errors = _form_draft(data)
        try:
            action_id = await services.create_action(principal, draft, known_errors=errors)
        except Refused as exc:
            return await _form_page(request, principal, data, action_id=None, **refusal_view(exc))
        return redirect_with_flash(
            request, f"/enforcement/{action_id}", gettext("Åtgärden är registrerad.")
        )

    @get("/{action_id:int}", opt=READ, name="enforcement.show")
    async def show_action(
        self, request: AnyRequest, principal: NamedDependency[Principal], action_id: FromPath[int]
    ) -> Template:
        action = await services.get_action(principal, action_id)
        return ops_page(
            request,
            "enforcement/show.html",
            {"action": action, "can_write": principal.can(Permission.enforcement_write)},
        )

    @get("/{action_id:int}/edit", opt=WRITE, name="enforcement.edit")
    async def edit_action(
        self, request: AnyRequest, principal: NamedDependency[Principal], action_id: FromPath[int]
    ) -> Template:
        action = await services.get_action(principal, action_id)
        return await _form_page(request, principal, _form_of(action), action_id=action_id)

    @post("/{action_id:int}/edit", opt=WRITE, name="enforcement.update")
    async def update_action(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        action_id: FromPath[int],
        data: URLEncodedBody[ActionForm],
    ) -> Template | Redirect:
        draft, errors = _form_draft(data)
        try:
            await services.update_action(
                principal, action_id, read_version(data.version), draft, known_errors=errors
            )
        except Refused as exc:
            return await _form_page(
                request, principal, data, action_id=action_id, **refusal_view(exc)
            )
        return redirect_with_flash(
            request, f"/enforcement/{action_id}", gettext("Ändringarna är sparade.")
        )


class LedgerPages(Controller):
    path = "/callins"
    include_in_schema = False

    @get("/{call_in_id:int}/ledger", opt=LEDGER, name="callins.ledger")
    async def show_ledger(
        self, request: AnyRequest, principal: NamedDependency[Principal], call_in_id: FromPath[int]
    ) -> Template:
        ledger = await services.promise_ledger(principal, call_in_id)
        return ops_page(request, "enforcement/ledger.html", {"ledger": ledger})


ENFORCEMENT_ROUTES = [EnforcementApi, LedgerApi, EnforcementPages, LedgerPages]
