"""Enforcement actions (police partition) and the promise ledger: the JSON API under
/api/v1/enforcement and /api/v1/callins/{id}/ledger, the pages under /enforcement
and /callins/{id}/ledger."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core.paging import PageNumber
from gvi.core.web import redirect_with_flash
from gvi.enforcement import services
from gvi.enforcement.forms import ActionForm
from gvi.enforcement.schemas import (
    ActionDetailOut,
    ActionIn,
    ActionOut,
    ActionPage,
    ActionUpdateIn,
    CreatedOut,
    LedgerActionOut,
    LedgerIncidentOut,
    LedgerOut,
    LedgerPromiseOut,
    LedgerTriggerOut,
    UnansweredOut,
)
from gvi.i18n import gettext
from gvi.incidents.controllers import PAGE_SIZE, api_error, ops_page, pages_count
from gvi.incidents.forms import (
    FormErrors,
    VersionConflict,
    page_number,
    read_date,
    read_id,
    read_text,
    read_version,
    today,
)

READ = {"permission": Permission.enforcement_read}
WRITE = {"permission": Permission.enforcement_write}
LEDGER = {"permission": Permission.promise_ledger_read}

AnyRequest = Request[Any, Any, Any]


def _row_out(r: services.ActionRow) -> ActionOut:
    return ActionOut(
        id=r.id,
        group=r.group,
        municipality=r.municipality,
        agency=r.agency,
        kind=r.kind,
        action_date=r.action_date,
        status=r.status,
        incident_id=r.incident_id,
        call_in_id=r.call_in_id,
        promise_position=r.promise_position,
    )


def _detail_out(d: services.ActionDetail) -> ActionDetailOut:
    return ActionDetailOut(
        id=d.id,
        version=d.version,
        group_id=d.group_id,
        group=d.group,
        municipality_id=d.municipality_id,
        municipality=d.municipality,
        triggering_incident_id=d.triggering_incident_id,
        promise_id=d.promise_id,
        call_in_id=d.call_in_id,
        agency=d.agency,
        kind=d.kind,
        action_date=d.action_date,
        status=d.status,
        notes=d.notes,
    )


def _ledger_action_out(a: services.LedgerAction) -> LedgerActionOut:
    return LedgerActionOut(
        day=a.day,
        kind=a.kind,
        status=a.status,
        group=a.group,
        id=a.id,
        agency=a.agency,
        notes=a.notes,
    )


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


def _api_draft(data: ActionIn | ActionUpdateIn) -> services.ActionDraft:
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

    @get("/", opt=READ, name="api.enforcement.list")
    async def list_actions(
        self,
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        status: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> ActionPage:
        page = page_number(page)
        rows, total = await services.list_actions(
            principal,
            search=q,
            kind=kind,
            status=status,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        return ActionPage(
            items=[_row_out(r) for r in rows], total=total, page=page, page_size=PAGE_SIZE
        )

    @get("/{action_id:int}", opt=READ, name="api.enforcement.show")
    async def show_action(
        self, principal: NamedDependency[Principal], action_id: FromPath[int]
    ) -> ActionDetailOut:
        return _detail_out(await services.get_action(principal, action_id))

    @post("/", opt=WRITE, name="api.enforcement.create")
    async def create_action(
        self, principal: NamedDependency[Principal], data: JSONBody[ActionIn]
    ) -> CreatedOut:
        try:
            return CreatedOut(id=await services.create_action(principal, _api_draft(data)))
        except FormErrors as exc:
            raise api_error(exc) from exc

    @post("/{action_id:int}", opt=WRITE, name="api.enforcement.update", status_code=200)
    async def update_action(
        self,
        principal: NamedDependency[Principal],
        action_id: FromPath[int],
        data: JSONBody[ActionUpdateIn],
    ) -> ActionDetailOut:
        try:
            await services.update_action(principal, action_id, data.version, _api_draft(data))
        except (FormErrors, VersionConflict) as exc:
            raise api_error(exc) from exc
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
        page: PageNumber = 1,
    ) -> Template:
        page_no = page_number(page)
        rows, total = await services.list_actions(
            principal,
            search=q,
            kind=kind,
            status=status,
            limit=PAGE_SIZE,
            offset=(page_no - 1) * PAGE_SIZE,
        )
        return ops_page(
            request,
            "enforcement/list.html",
            {
                "actions": rows,
                "total": total,
                "q": q,
                "kind": kind,
                "status": status,
                "page": page_no,
                "pages": pages_count(total),
                "can_write": principal.can(Permission.enforcement_write),
            },
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
        except FormErrors as exc:
            return await _form_page(
                request, principal, data, action_id=None, errors=exc.errors, status_code=400
            )
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
        except VersionConflict as exc:
            return await _form_page(
                request, principal, data, action_id=action_id, error=str(exc), status_code=409
            )
        except FormErrors as exc:
            return await _form_page(
                request, principal, data, action_id=action_id, errors=exc.errors, status_code=400
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
