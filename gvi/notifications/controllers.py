"""Custom notifications: the JSON API under /api/v1/notifications and the pages
under /notifications. :mod:`gvi.notifications.services` owns scoping and audit; a
refusal the API does not catch is answered by :mod:`gvi.core.errors`."""

from __future__ import annotations

import dataclasses
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
from gvi.core.failures import FormErrors, Refused
from gvi.core.forms import read_date, read_int, read_line, read_text, read_version
from gvi.core.paging import PAGE_SIZE, page_offset
from gvi.core.params import PageNumber
from gvi.core.shapes import CreatedOut
from gvi.core.web import ops_list, ops_page, redirect_with_flash, refusal_view
from gvi.i18n import gettext
from gvi.notifications import services
from gvi.notifications.forms import NotificationForm, OutcomeForm
from gvi.notifications.labels import OUTCOME_LABELS
from gvi.notifications.schemas import (
    NotificationDetailOut,
    NotificationIn,
    NotificationOut,
    NotificationPage,
    OutcomeIn,
)

N_READ = {"permission": Permission.notifications_read}
N_WRITE = {"permission": Permission.notifications_write}

AnyRequest = Request[Any, Any, Any]


def _notification_out(r: services.NotificationRow) -> NotificationOut:
    return msgspec.convert(r, NotificationOut, from_attributes=True)


def _notification_detail_out(d: services.NotificationDetail) -> NotificationDetailOut:
    return NotificationDetailOut(
        id=d.id,
        version=d.version,
        person_id=d.person_id,
        person_code=d.person_code,
        municipality=d.municipality,
        delivered_on=d.delivered_on,
        delivered_by=d.delivered_by,
        outcome=d.outcome,
        offer_made=d.offer_made,
        follow_up_due=d.follow_up_due,
        task_ids=[t[0] for t in d.tasks],
    )


def _notification_draft(
    form: NotificationForm | OutcomeForm, code: str = ""
) -> tuple[services.NotificationDraft, dict[str, str]]:
    errors: dict[str, str] = {}
    draft = services.NotificationDraft(
        code=code,
        delivered_on=read_date(form.delivered_on, "delivered_on", errors),
        delivered_by=read_line(form.delivered_by, "delivered_by", errors),
        outcome=form.outcome,
        offer_made=read_text(form.offer_made, "offer_made", errors),
        follow_up_days=read_int(
            form.follow_up_days,
            "follow_up_days",
            errors,
            low=0,
            high=services.MAX_FOLLOW_UP_DAYS,
            message=gettext("Ange antal dagar till uppföljning, 0–%(max_follow_up_days)s.")
            % {"max_follow_up_days": services.MAX_FOLLOW_UP_DAYS},
            default=services.NOTIFICATION_FOLLOW_UP_DAYS,
        ),
    )
    return draft, errors


class NotificationsApi(Controller):
    path = "/api/v1/notifications"
    tags = ["custom notifications"]

    @rest.listing("/", opt=N_READ, name="api.notifications.list")
    async def list_notifications(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        code: FromQuery[str] = "",
        outcome: FromQuery[str] = "",
    ) -> Response[NotificationPage]:
        rows, total = await services.list_notifications(
            principal,
            code_prefix=code,
            outcome=rest.known_value(outcome, OUTCOME_LABELS, "outcome"),
            **window.rows,
        )
        return window.page_of(NotificationPage, [_notification_out(r) for r in rows], total)

    @rest.show("/{notification_id:int}", opt=N_READ, name="api.notifications.show")
    async def show_notification(
        self, principal: NamedDependency[Principal], notification_id: FromPath[int]
    ) -> Response[NotificationDetailOut]:
        return rest.tagged(await _notification(principal, notification_id))

    @rest.create("/", opt=N_WRITE, name="api.notifications.create")
    async def create_notification(
        self, principal: NamedDependency[Principal], data: JSONBody[NotificationIn]
    ) -> Response[CreatedOut]:
        draft = services.NotificationDraft(
            code=data.person_code,
            delivered_on=data.delivered_on,
            delivered_by=" ".join(data.delivered_by.split()),
            outcome=data.outcome,
            offer_made=data.offer_made.strip(),
            follow_up_days=data.follow_up_days,
            call_in_id=data.call_in_id,
        )
        created = CreatedOut(id=await services.create_notification(principal, draft))
        return rest.created(self.path, created)

    @post(
        "/{notification_id:int}/outcome",
        opt=N_WRITE,
        name="api.notifications.outcome",
        status_code=200,
    )
    async def record_outcome(
        self,
        principal: NamedDependency[Principal],
        notification_id: FromPath[int],
        data: JSONBody[OutcomeIn],
    ) -> NotificationDetailOut:
        draft = services.NotificationDraft(
            code="",
            delivered_on=data.delivered_on,
            delivered_by=" ".join(data.delivered_by.split()),
            outcome=data.outcome,
            offer_made=data.offer_made.strip(),
            follow_up_days=data.follow_up_days,
        )
        await services.record_outcome(principal, notification_id, data.version, draft)
        return await _notification(principal, notification_id)


async def _notification(principal: Principal, notification_id: int) -> NotificationDetailOut:
    return _notification_detail_out(await services.get_notification(principal, notification_id))


async def _notification_page(
    request: AnyRequest,
    principal: Principal,
    notification_id: int,
    *,
    form: OutcomeForm | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    detail = await services.get_notification(principal, notification_id)
    return ops_page(
        request,
        "notifications/show.html",
        {
            "notification": detail,
            "form": form
            or OutcomeForm(
                version=str(detail.version),
                outcome="delivered",
                delivered_on=detail.delivered_on.isoformat(),
                delivered_by=detail.delivered_by,
                offer_made=detail.offer_made,
                follow_up_days=str(services.NOTIFICATION_FOLLOW_UP_DAYS),
            ),
            "errors": errors or {},
            "error": error,
            "can_write": principal.can(Permission.notifications_write),
            "today": today(),
        },
        status_code=status_code,
    )


class NotificationPages(Controller):
    path = "/notifications"
    include_in_schema = False

    @get("/", opt=N_READ, name="notifications.list")
    async def list_notifications(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        code: FromQuery[str] = "",
        outcome: FromQuery[str] = "",
        sort: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        page_no = max(page, 1)
        rows, total = await services.list_notifications(
            principal,
            code_prefix=code,
            outcome=outcome,
            sort=sort,
            limit=PAGE_SIZE,
            offset=page_offset(page_no),
        )
        shown_code = code if services.CODE_PREFIX.fullmatch(code.strip().upper()) else ""
        return ops_list(
            request,
            "notifications/list.html",
            "notifications",
            rows,
            total,
            page_no,
            {"can_write": principal.can(Permission.notifications_write)},
            filters={"code": shown_code, "outcome": outcome},
            sort=services.NOTIFICATION_SORTS.parse(sort).param,
        )

    @get("/new", opt=N_WRITE, name="notifications.new")
    async def new_notification(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Template:
        form = NotificationForm(
            delivered_on=today().isoformat(),
            outcome="delivered",
            follow_up_days=str(services.NOTIFICATION_FOLLOW_UP_DAYS),
        )
        return ops_page(
            request,
            "notifications/new.html",
            {"form": form, "errors": {}, "call_ins": await services.held_callin_choices(principal)},
        )

    @post("/new", opt=N_WRITE, name="notifications.create")
    async def create_notification(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        data: URLEncodedBody[NotificationForm],
    ) -> Template | Redirect:
        draft, errors = _notification_draft(data, data.code)
        if data.call_in:
            if data.call_in.isascii() and data.call_in.isdigit() and len(data.call_in) < 12:
                draft = dataclasses.replace(draft, call_in_id=int(data.call_in))
            else:
                errors["call_in"] = gettext("Välj ett genomfört möte i dina kommuner, eller inget.")
        try:
            notification_id = await services.create_notification(
                principal, draft, known_errors=errors
            )
        except FormErrors as exc:
            # A rejected code is not echoed: it may be a name typed in the wrong box.
            shown = (
                data
                if "code" not in exc.errors
                else NotificationForm(
                    delivered_on=data.delivered_on,
                    delivered_by=data.delivered_by,
                    outcome=data.outcome,
                    offer_made=data.offer_made,
                    follow_up_days=data.follow_up_days,
                    call_in=data.call_in,
                )
            )
            return ops_page(
                request,
                "notifications/new.html",
                {
                    "form": shown,
                    "errors": exc.errors,
                    "call_ins": await services.held_callin_choices(principal),
                },
                status_code=400,
            )
        return redirect_with_flash(
            request,
            f"/notifications/{notification_id}",
            gettext("Underrättelsen är registrerad. Uppföljningen ligger som uppgift."),
        )

    @get("/{notification_id:int}", opt=N_READ, name="notifications.show")
    async def show_notification(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        notification_id: FromPath[int],
    ) -> Template:
        return await _notification_page(request, principal, notification_id)

    @post("/{notification_id:int}/outcome", opt=N_WRITE, name="notifications.outcome")
    async def record_outcome(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        notification_id: FromPath[int],
        data: URLEncodedBody[OutcomeForm],
    ) -> Template | Redirect:
        draft, errors = _notification_draft(data)
        try:
            await services.record_outcome(
                principal, notification_id, read_version(data.version), draft, known_errors=errors
            )
        except Refused as exc:
            return await _notification_page(
                request, principal, notification_id, form=data, **refusal_view(exc)
            )
        return redirect_with_flash(
            request, f"/notifications/{notification_id}", gettext("Utfallet är registrerat.")
        )


NOTIFICATION_ROUTES = [NotificationsApi, NotificationPages]
