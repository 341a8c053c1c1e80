"""Call-ins and custom notifications: the JSON API under /api/v1/callins and
/api/v1/notifications, the pages under /callins and /notifications, and the .ics
export of a call-in. Services own scoping and audit."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.callins import services
from gvi.callins.forms import (
    CallInForm,
    InvitationStatusForm,
    InviteForm,
    NotificationForm,
    OutcomeForm,
    SpeakerForm,
    StatusForm,
    as_list,
    promise_lines,
)
from gvi.callins.ics import CallInEvent, callin_calendar
from gvi.callins.schemas import (
    CallInDetailOut,
    CallInIn,
    CallInOut,
    CallInPage,
    CallInUpdateIn,
    CreatedOut,
    InvitationOut,
    InvitationStatusIn,
    InviteIn,
    InviteOut,
    NotificationDetailOut,
    NotificationIn,
    NotificationOut,
    NotificationPage,
    OutcomeIn,
    PlannerOut,
    PromiseOut,
    ReachOut,
    SpeakerIn,
    SpeakerOut,
    StatusIn,
    StatusOut,
    WarningOut,
)
from gvi.core.paging import PageNumber
from gvi.core.web import redirect_with_flash
from gvi.i18n import gettext
from gvi.incidents.controllers import PAGE_SIZE, api_error, aware, ops_page, pages_count
from gvi.incidents.forms import (
    CONFIRM_MESSAGE,
    FormErrors,
    VersionConflict,
    confirmed,
    local,
    local_moment,
    page_number,
    read_date,
    read_id,
    read_int,
    read_line,
    read_text,
    read_time,
    read_version,
    today,
)

READ = {"permission": Permission.callins_read}
WRITE = {"permission": Permission.callins_write}
N_READ = {"permission": Permission.notifications_read}
N_WRITE = {"permission": Permission.notifications_write}

AnyRequest = Request[Any, Any, Any]


# --- conversions -------------------------------------------------------------------------


def _row_out(r: services.CallInRow) -> CallInOut:
    return CallInOut(
        id=r.id,
        title=r.title,
        starts_at=r.starts_at,
        ends_at=r.ends_at,
        venue=r.venue,
        municipality=r.municipality,
        status=r.status,
        capacity=r.capacity,
        invited=r.invited,
        attended=r.attended,
    )


def _warning_out(w: services.WarningView) -> WarningOut:
    return WarningOut(
        kind=w.kind,
        invited_group_id=w.invited_group_id,
        invited_group=w.invited_group,
        other_group_id=w.other_group_id,
        other_group=w.other_group,
        other_municipality=w.other_municipality,
        intensity=w.intensity,
    )


def _reach_out(r: services.ReachRow) -> ReachOut:
    return ReachOut(
        group_id=r.group_id,
        name=r.name,
        municipality=r.municipality,
        level=r.level,
        invited=r.invited,
        members=r.members,
        needed=r.needed,
        via=r.via,
    )


def _detail_out(d: services.CallInDetail) -> CallInDetailOut:
    return CallInDetailOut(
        id=d.id,
        version=d.version,
        title=d.title,
        starts_at=d.starts_at,
        ends_at=d.ends_at,
        venue=d.venue,
        municipality_id=d.municipality_id,
        municipality=d.municipality,
        capacity=d.capacity,
        status=d.status,
        message=d.message,
        promises=[PromiseOut(p.id, p.position, p.text) for p in d.promises],
        speakers=[SpeakerOut(s.id, s.role, s.name, s.organisation) for s in d.speakers],
        invitations=[
            InvitationOut(
                id=i.id,
                person_id=i.person_id,
                code=i.code,
                group_id=i.group_id,
                group=i.group,
                status=i.status,
                override_reason=i.override_reason,
            )
            for i in d.invitations
        ],
        counts=d.counts,
        reach=[_reach_out(r) for r in d.reach],
        warnings=[_warning_out(w) for w in d.warnings],
    )


def _api_draft(data: CallInIn | CallInUpdateIn) -> services.CallInDraft:
    return services.CallInDraft(
        title=" ".join(data.title.split()),
        starts_at=aware(data.starts_at),
        ends_at=aware(data.ends_at),
        venue=" ".join(data.venue.split()),
        municipality_id=data.municipality_id,
        capacity=data.capacity,
        message=data.message.strip(),
        promises=[" ".join(p.split()) for p in data.promises if p.strip()],
    )


def _form_draft(form: CallInForm) -> tuple[services.CallInDraft, dict[str, str]]:
    errors: dict[str, str] = {}
    day = read_date(form.day, "day", errors)
    start = read_time(form.start, "start", errors)
    end = read_time(form.end, "end", errors)
    draft = services.CallInDraft(
        title=read_line(form.title, "title", errors),
        starts_at=local_moment(day, start) if day and start else None,
        ends_at=local_moment(day, end) if day and end else None,
        venue=read_line(form.venue, "venue", errors),
        municipality_id=read_id(
            form.municipality, "municipality", errors, gettext("Välj en av dina kommuner.")
        ),
        capacity=read_int(
            form.capacity,
            "capacity",
            errors,
            low=1,
            high=services.MAX_CAPACITY,
            message=gettext("Ange hur många lokalen rymmer, 1–%(max_capacity)s.")
            % {"max_capacity": services.MAX_CAPACITY},
        ),
        message=read_text(form.message, "message", errors),
        promises=promise_lines(form.promises),
    )
    return draft, errors


def _form_of(d: services.CallInDetail) -> CallInForm:
    starts, ends = local(d.starts_at), local(d.ends_at)
    return CallInForm(
        version=str(d.version),
        title=d.title,
        day=starts.date().isoformat(),
        start=starts.strftime("%H:%M"),
        end=ends.strftime("%H:%M"),
        venue=d.venue,
        municipality=str(d.municipality_id),
        capacity=str(d.capacity),
        message=d.message,
        promises="\n".join(p.text for p in d.promises),
    )


def _picks(values: list[str] | str) -> tuple[list[tuple[int, int]], dict[str, str]]:
    picks: list[tuple[int, int]] = []
    for value in as_list(values):
        group, _, person = value.partition(":")
        if not (group.isascii() and group.isdigit() and person.isascii() and person.isdigit()):
            return [], {"person": gettext("Välj personer i listan.")}
        picks.append((int(group), int(person)))
    return picks, {}


def _group_ids(values: list[str] | str | None) -> list[int]:
    return [int(v) for v in as_list(values or []) if v.strip().isascii() and v.strip().isdigit()]


def _ics(event: services.CallInDetail) -> Response[bytes]:
    body = callin_calendar(
        CallInEvent(
            id=event.id,
            version=event.version,
            title=event.title,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            venue=event.venue,
            municipality=event.municipality,
            cancelled=event.status == "cancelled",
        )
    )
    return Response(
        content=body,
        media_type="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="call-in-{event.id}.ics"'},
    )


# --- call-ins: API -----------------------------------------------------------------------


class CallInsApi(Controller):
    path = "/api/v1/callins"
    tags = ["call-ins"]

    @get("/", opt=READ, name="api.callins.list")
    async def list_callins(
        self,
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> CallInPage:
        page = page_number(page)
        rows, total = await services.list_callins(
            principal, search=q, status=status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        return CallInPage(
            items=[_row_out(r) for r in rows], total=total, page=page, page_size=PAGE_SIZE
        )

    @get("/upcoming", opt=READ, name="api.callins.upcoming")
    async def upcoming(self, principal: NamedDependency[Principal]) -> list[CallInOut]:
        return [_row_out(r) for r in await services.upcoming_callins(principal)]

    @get("/{call_in_id:int}", opt=READ, name="api.callins.show")
    async def show_callin(
        self, principal: NamedDependency[Principal], call_in_id: FromPath[int]
    ) -> CallInDetailOut:
        return _detail_out(await services.get_callin(principal, call_in_id))

    @post("/", opt=WRITE, name="api.callins.create")
    async def create_callin(
        self, principal: NamedDependency[Principal], data: JSONBody[CallInIn]
    ) -> CreatedOut:
        try:
            return CreatedOut(id=await services.create_callin(principal, _api_draft(data)))
        except FormErrors as exc:
            raise api_error(exc) from exc

    @post("/{call_in_id:int}", opt=WRITE, name="api.callins.update", status_code=200)
    async def update_callin(
        self,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: JSONBody[CallInUpdateIn],
    ) -> CallInDetailOut:
        try:
            await services.update_callin(principal, call_in_id, data.version, _api_draft(data))
        except (FormErrors, VersionConflict) as exc:
            raise api_error(exc) from exc
        return _detail_out(await services.get_callin(principal, call_in_id))

    @post("/{call_in_id:int}/status", opt=WRITE, name="api.callins.status", status_code=200)
    async def set_status(
        self,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: JSONBody[StatusIn],
    ) -> StatusOut:
        try:
            created = await services.set_status(principal, call_in_id, data.version, data.status)
        except (FormErrors, VersionConflict) as exc:
            raise api_error(exc) from exc
        return StatusOut(status=data.status, tasks_created=created)

    @post("/{call_in_id:int}/speakers", opt=WRITE, name="api.callins.add_speaker")
    async def add_speaker(
        self,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: JSONBody[SpeakerIn],
    ) -> CreatedOut:
        try:
            speaker_id = await services.add_speaker(
                principal, call_in_id, data.role, data.name, data.organisation
            )
        except FormErrors as exc:
            raise api_error(exc) from exc
        return CreatedOut(id=speaker_id)

    @get("/{call_in_id:int}/plan", opt=WRITE, name="api.callins.plan")
    async def plan(
        self,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        group: FromQuery[list[str] | None] = None,
    ) -> PlannerOut:
        view = await services.planner(principal, call_in_id, _group_ids(group))
        return PlannerOut(
            reach=[_reach_out(r) for r in view.call_in.reach],
            warnings=[_warning_out(w) for w in view.warnings],
        )

    @post("/{call_in_id:int}/invitations", opt=WRITE, name="api.callins.invite")
    async def invite(
        self,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: JSONBody[InviteIn],
    ) -> InviteOut:
        """409 with the warnings when the list walks into a rivalry and no
        ``override_reason`` (at least ten characters) was given."""
        try:
            result = await services.invite(
                principal,
                call_in_id,
                [(p.group_id, p.person_id) for p in data.picks],
                data.override_reason,
            )
        except services.InviteNeedsOverride as exc:
            warnings = "; ".join(
                f"{w.kind}: {w.invited_group} / {w.other_group}" for w in exc.warnings
            )
            raise HTTPException(
                status_code=409, detail=f"{exc} " + gettext("Varningar:") + f" {warnings}"
            ) from exc
        except FormErrors as exc:
            raise api_error(exc) from exc
        return InviteOut(
            created=result.created,
            skipped=result.skipped,
            overridden=result.overridden,
            warnings=[_warning_out(w) for w in result.warnings],
        )

    @post(
        "/{call_in_id:int}/invitations/{invitation_id:int}/status",
        opt=WRITE,
        name="api.callins.invitation_status",
        status_code=200,
    )
    async def invitation_status(
        self,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        invitation_id: FromPath[int],
        data: JSONBody[InvitationStatusIn],
    ) -> InvitationStatusIn:
        try:
            await services.set_invitation_status(principal, call_in_id, invitation_id, data.status)
        except FormErrors as exc:
            raise api_error(exc) from exc
        return data


# --- call-ins: pages -----------------------------------------------------------------------


async def _show(
    request: AnyRequest,
    principal: Principal,
    call_in_id: int,
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    speaker: SpeakerForm | None = None,
    status_code: int = 200,
) -> Template:
    detail = await services.get_callin(principal, call_in_id)
    return ops_page(
        request,
        "callins/show.html",
        {
            "call_in": detail,
            "errors": errors or {},
            "error": error,
            "speaker": speaker or SpeakerForm(),
            "can_write": principal.can(Permission.callins_write),
            "can_ledger": principal.can(Permission.promise_ledger_read),
        },
        status_code=status_code,
    )


async def _planner_page(
    request: AnyRequest,
    principal: Principal,
    call_in_id: int,
    group_ids: list[int],
    *,
    picked: set[str] | None = None,
    override_reason: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    view = await services.planner(principal, call_in_id, group_ids)
    return ops_page(
        request,
        "callins/invite.html",
        {
            "view": view,
            "call_in": view.call_in,
            "picked": picked or set(),
            "override_reason": override_reason,
            "errors": errors or {},
        },
        status_code=status_code,
    )


async def _form_page(
    request: AnyRequest,
    principal: Principal,
    form: CallInForm,
    *,
    call_in_id: int | None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    return ops_page(
        request,
        "callins/form.html",
        {
            "form": form,
            "call_in_id": call_in_id,
            "errors": errors or {},
            "error": error,
            "municipalities": await services.municipality_choices(principal),
        },
        status_code=status_code,
    )


class CallInPages(Controller):
    path = "/callins"
    include_in_schema = False

    @get("/", opt=READ, name="callins.list")
    async def list_callins(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        page_no = page_number(page)
        rows, total = await services.list_callins(
            principal, search=q, status=status, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
        return ops_page(
            request,
            "callins/list.html",
            {
                "call_ins": rows,
                "total": total,
                "q": q,
                "status": status,
                "page": page_no,
                "pages": pages_count(total),
                "can_write": principal.can(Permission.callins_write),
            },
        )

    @get("/calendar", opt=READ, name="callins.calendar")
    async def calendar(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Template:
        rows = await services.upcoming_callins(principal)
        months: dict[str, list[services.CallInRow]] = {}
        for r in rows:
            months.setdefault(local(r.starts_at).strftime("%Y-%m"), []).append(r)
        return ops_page(
            request,
            "callins/calendar.html",
            {
                "months": months,
                "today": today(),
                "can_write": principal.can(Permission.callins_write),
            },
        )

    @get("/new", opt=WRITE, name="callins.new")
    async def new_callin(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Template:
        form = CallInForm(start="17:00", end="19:00")
        if len(principal.municipality_ids) == 1:
            form.municipality = str(next(iter(principal.municipality_ids)))
        return await _form_page(request, principal, form, call_in_id=None)

    @post("/new", opt=WRITE, name="callins.create")
    async def create_callin(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        data: URLEncodedBody[CallInForm],
    ) -> Template | Redirect:
        draft, errors = _form_draft(data)
        try:
            call_in_id = await services.create_callin(principal, draft, known_errors=errors)
        except FormErrors as exc:
            return await _form_page(
                request, principal, data, call_in_id=None, errors=exc.errors, status_code=400
            )
        return redirect_with_flash(
            request,
            f"/callins/{call_in_id}",
            gettext(
                "Mötet är inplanerat. Lägg till talare och välj sedan vilka grupper "
                "som ska bjudas in."
            ),
        )

    @get("/{call_in_id:int}", opt=READ, name="callins.show")
    async def show_callin(
        self, request: AnyRequest, principal: NamedDependency[Principal], call_in_id: FromPath[int]
    ) -> Template:
        return await _show(request, principal, call_in_id)

    @get("/{call_in_id:int}/event.ics", opt=READ, name="callins.ics")
    async def export_ics(
        self, principal: NamedDependency[Principal], call_in_id: FromPath[int]
    ) -> Response[bytes]:
        return _ics(await services.callin_basics(principal, call_in_id))

    @get("/{call_in_id:int}/edit", opt=WRITE, name="callins.edit")
    async def edit_callin(
        self, request: AnyRequest, principal: NamedDependency[Principal], call_in_id: FromPath[int]
    ) -> Template:
        detail = await services.callin_basics(principal, call_in_id)
        return await _form_page(request, principal, _form_of(detail), call_in_id=call_in_id)

    @post("/{call_in_id:int}/edit", opt=WRITE, name="callins.update")
    async def update_callin(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: URLEncodedBody[CallInForm],
    ) -> Template | Redirect:
        draft, errors = _form_draft(data)
        try:
            await services.update_callin(
                principal, call_in_id, read_version(data.version), draft, known_errors=errors
            )
        except VersionConflict as exc:
            return await _form_page(
                request, principal, data, call_in_id=call_in_id, error=str(exc), status_code=409
            )
        except FormErrors as exc:
            return await _form_page(
                request, principal, data, call_in_id=call_in_id, errors=exc.errors, status_code=400
            )
        return redirect_with_flash(
            request, f"/callins/{call_in_id}", gettext("Ändringarna är sparade.")
        )

    @post("/{call_in_id:int}/status", opt=WRITE, name="callins.status")
    async def set_status(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: URLEncodedBody[StatusForm],
    ) -> Template | Redirect:
        if data.status == "cancelled" and not confirmed(data.confirm):
            return await _show(
                request,
                principal,
                call_in_id,
                errors={"cancel.confirm": gettext(CONFIRM_MESSAGE)},
                status_code=400,
            )
        try:
            created = await services.set_status(
                principal, call_in_id, read_version(data.version), data.status
            )
        except VersionConflict as exc:
            return await _show(request, principal, call_in_id, error=str(exc), status_code=409)
        except FormErrors as exc:
            return await _show(
                request,
                principal,
                call_in_id,
                errors={f"status.{k}": v for k, v in exc.errors.items()},
                status_code=400,
            )
        messages = {
            "held": gettext(
                "Mötet är markerat som genomfört. %(created)s uppgifter skapades: uppsökande "
                "kontakt för dem som kom, individuell underrättelse för dem som inte kom."
            )
            % {"created": created},
            "cancelled": gettext("Mötet är inställt."),
            "planned": gettext("Mötet är planerat igen."),
        }
        return redirect_with_flash(request, f"/callins/{call_in_id}", messages[data.status])

    @post("/{call_in_id:int}/speakers", opt=WRITE, name="callins.add_speaker")
    async def add_speaker(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: URLEncodedBody[SpeakerForm],
    ) -> Template | Redirect:
        try:
            await services.add_speaker(
                principal, call_in_id, data.role, data.name, data.organisation
            )
        except FormErrors as exc:
            return await _show(
                request,
                principal,
                call_in_id,
                errors={f"speaker.{k}": v for k, v in exc.errors.items()},
                speaker=data,
                status_code=400,
            )
        return redirect_with_flash(
            request, f"/callins/{call_in_id}#speakers", gettext("Talaren är tillagd.")
        )

    @post(
        "/{call_in_id:int}/speakers/{speaker_id:int}/remove",
        opt=WRITE,
        name="callins.remove_speaker",
    )
    async def remove_speaker(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        speaker_id: FromPath[int],
        data: URLEncodedBody[StatusForm],
    ) -> Template | Redirect:
        if not confirmed(data.confirm):
            return await _show(
                request,
                principal,
                call_in_id,
                errors={f"speaker-{speaker_id}.confirm": gettext(CONFIRM_MESSAGE)},
                status_code=400,
            )
        await services.remove_speaker(principal, call_in_id, speaker_id)
        return redirect_with_flash(
            request, f"/callins/{call_in_id}#speakers", gettext("Talaren är borttagen.")
        )

    @get("/{call_in_id:int}/invite", opt=WRITE, name="callins.plan")
    async def plan(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        group: FromQuery[list[str] | None] = None,
    ) -> Template:
        return await _planner_page(request, principal, call_in_id, _group_ids(group))

    @post("/{call_in_id:int}/invite", opt=WRITE, name="callins.invite")
    async def invite(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: URLEncodedBody[InviteForm],
    ) -> Template | Redirect:
        picks, errors = _picks(data.person)
        groups = _group_ids(data.group) or sorted({g for g, _ in picks})
        kept = set(as_list(data.person))
        try:
            if errors:
                raise FormErrors(errors)
            result = await services.invite(principal, call_in_id, picks, data.override_reason)
        except services.InviteNeedsOverride as exc:
            return await _planner_page(
                request,
                principal,
                call_in_id,
                groups,
                picked=kept,
                override_reason=data.override_reason,
                errors=exc.errors,
                status_code=400,
            )
        except FormErrors as exc:
            return await _planner_page(
                request,
                principal,
                call_in_id,
                groups,
                picked=kept,
                override_reason=data.override_reason,
                errors=exc.errors,
                status_code=400,
            )
        message = f"{result.created} inbjudna."
        if result.skipped:
            message += gettext(" %(skipped)s var redan inbjudna.") % {"skipped": result.skipped}
        if result.overridden:
            message += gettext(" Varningen om rivalitet är åsidosatt; skälet är sparat.")
        return redirect_with_flash(
            request,
            f"/callins/{call_in_id}#invitations",
            message,
            "warning" if result.overridden else "success",
        )

    @get("/{call_in_id:int}/attendance", opt=WRITE, name="callins.attendance")
    async def attendance(
        self, request: AnyRequest, principal: NamedDependency[Principal], call_in_id: FromPath[int]
    ) -> Template:
        detail = await services.get_callin(principal, call_in_id)
        return ops_page(request, "callins/attendance.html", {"call_in": detail, "errors": {}})

    @post(
        "/{call_in_id:int}/invitations/{invitation_id:int}/status",
        opt=WRITE,
        name="callins.invitation_status",
    )
    async def invitation_status(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        invitation_id: FromPath[int],
        data: URLEncodedBody[InvitationStatusForm],
    ) -> Template | Redirect:
        try:
            await services.set_invitation_status(principal, call_in_id, invitation_id, data.status)
        except FormErrors as exc:
            detail = await services.get_callin(principal, call_in_id)
            return ops_page(
                request,
                "callins/attendance.html",
                {
                    "call_in": detail,
                    "errors": {
                        f"inv-{invitation_id}": exc.errors.get(
                            "status", gettext("Välj en av statusarna.")
                        )
                    },
                },
                status_code=400,
            )
        return redirect_with_flash(
            request,
            f"/callins/{call_in_id}/attendance#inv-{invitation_id}",
            gettext("Närvaron är sparad."),
        )

    @post(
        "/{call_in_id:int}/invitations/{invitation_id:int}/remove",
        opt=WRITE,
        name="callins.remove_invitation",
    )
    async def remove_invitation(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        invitation_id: FromPath[int],
        data: URLEncodedBody[StatusForm],
    ) -> Template | Redirect:
        if not confirmed(data.confirm):
            return await _show(
                request,
                principal,
                call_in_id,
                errors={f"inv-{invitation_id}.confirm": gettext(CONFIRM_MESSAGE)},
                status_code=400,
            )
        await services.remove_invitation(principal, call_in_id, invitation_id)
        return redirect_with_flash(
            request, f"/callins/{call_in_id}#invitations", gettext("Inbjudan är borttagen.")
        )


# --- notifications ---------------------------------------------------------------------------


def _notification_out(r: services.NotificationRow) -> NotificationOut:
    return NotificationOut(
        id=r.id,
        person_id=r.person_id,
        person_code=r.person_code,
        municipality=r.municipality,
        delivered_on=r.delivered_on,
        delivered_by=r.delivered_by,
        outcome=r.outcome,
        follow_up_due=r.follow_up_due,
    )


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

    @get("/", opt=N_READ, name="api.notifications.list")
    async def list_notifications(
        self,
        principal: NamedDependency[Principal],
        code: FromQuery[str] = "",
        outcome: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> NotificationPage:
        page = page_number(page)
        rows, total = await services.list_notifications(
            principal,
            code_prefix=code,
            outcome=outcome,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        return NotificationPage(
            items=[_notification_out(r) for r in rows],
            total=total,
            page=page,
            page_size=PAGE_SIZE,
        )

    @get("/{notification_id:int}", opt=N_READ, name="api.notifications.show")
    async def show_notification(
        self, principal: NamedDependency[Principal], notification_id: FromPath[int]
    ) -> NotificationDetailOut:
        return _notification_detail_out(await services.get_notification(principal, notification_id))

    @post("/", opt=N_WRITE, name="api.notifications.create")
    async def create_notification(
        self, principal: NamedDependency[Principal], data: JSONBody[NotificationIn]
    ) -> CreatedOut:
        draft = services.NotificationDraft(
            code=data.person_code,
            delivered_on=data.delivered_on,
            delivered_by=" ".join(data.delivered_by.split()),
            outcome=data.outcome,
            offer_made=data.offer_made.strip(),
            follow_up_days=data.follow_up_days,
            call_in_id=data.call_in_id,
        )
        try:
            return CreatedOut(id=await services.create_notification(principal, draft))
        except FormErrors as exc:
            raise api_error(exc) from exc

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
        try:
            await services.record_outcome(principal, notification_id, data.version, draft)
        except (FormErrors, VersionConflict) as exc:
            raise api_error(exc) from exc
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
        page: PageNumber = 1,
    ) -> Template:
        page_no = page_number(page)
        rows, total = await services.list_notifications(
            principal,
            code_prefix=code,
            outcome=outcome,
            limit=PAGE_SIZE,
            offset=(page_no - 1) * PAGE_SIZE,
        )
        shown_code = code if services.CODE_PREFIX.fullmatch(code.strip().upper()) else ""
        return ops_page(
            request,
            "notifications/list.html",
            {
                "notifications": rows,
                "total": total,
                "code": shown_code,
                "outcome": outcome,
                "page": page_no,
                "pages": pages_count(total),
                "can_write": principal.can(Permission.notifications_write),
            },
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
        except VersionConflict as exc:
            return await _notification_page(
                request, principal, notification_id, form=data, error=str(exc), status_code=409
            )
        except FormErrors as exc:
            return await _notification_page(
                request,
                principal,
                notification_id,
                form=data,
                errors=exc.errors,
                status_code=400,
            )
        return redirect_with_flash(
            request, f"/notifications/{notification_id}", gettext("Utfallet är registrerat.")
        )


CALLIN_ROUTES = [CallInsApi, CallInPages, NotificationsApi, NotificationPages]
