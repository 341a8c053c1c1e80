"""Call-ins: the pages under /callins and the .ics export of a call-in (the JSON
API is :mod:`gvi.callins.api`; custom notifications are
:mod:`gvi.notifications.controllers`). Services own scoping and audit."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.callins import services
from gvi.callins.api import CallInsApi
from gvi.callins.forms import (
    AttendanceBulkForm,
    CallInForm,
    InvitationStatusForm,
    InviteForm,
    RemoveSelectedForm,
    SpeakerForm,
    StatusForm,
    as_list,
    group_ids,
    invite_picks,
    promise_lines,
)
from gvi.callins.ics import CallInEvent, callin_calendar
from gvi.core.batch import read_selection, ticked
from gvi.core.clock import local_moment, today
from gvi.core.failures import FormErrors, Refused
from gvi.core.forms import (
    confirmed,
    read_date,
    read_id,
    read_int,
    read_line,
    read_text,
    read_time,
    read_version,
)
from gvi.core.operations import local
from gvi.core.paging import PAGE_SIZE, page_offset
from gvi.core.params import PageNumber
from gvi.core.web import (
    app_settings,
    ops_list,
    ops_page,
    redirect_with_flash,
    refusal_view,
    unconfirmed,
)
from gvi.i18n import gettext, ngettext

READ = {"permission": Permission.callins_read}
WRITE = {"permission": Permission.callins_write}

AnyRequest = Request[Any, Any, Any]


# --- conversions -------------------------------------------------------------------------


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


def _ics(event: services.CallInDetail, uid_domain: str) -> Response[bytes]:
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
        ),
        uid_domain=uid_domain,
    )
    return Response(
        content=body,
        media_type="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="call-in-{event.id}.ics"'},
    )


# --- call-ins: API -----------------------------------------------------------------------


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
    return await _callin_page(
        request,
        principal,
        call_in_id,
        "callins/show.html",
        {
            "errors": errors or {},
            "error": error,
            "speaker": speaker or SpeakerForm(),
            "can_write": principal.can(Permission.callins_write),
            "can_ledger": principal.can(Permission.promise_ledger_read),
        },
        status_code,
    )


async def _callin_page(
    request: AnyRequest,
    principal: Principal,
    call_in_id: int,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Template:
    """A page about one call-in (its detail, the attendance list)."""
    detail = await services.get_callin(principal, call_in_id)
    return ops_page(request, template, {"call_in": detail, **context}, status_code=status_code)


def _attendance(errors: dict[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    return "callins/attendance.html", {"errors": errors or {}}


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
        sort: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        page_no = max(page, 1)
        rows, total = await services.list_callins(
            principal,
            search=q,
            status=status,
            sort=sort,
            limit=PAGE_SIZE,
            offset=page_offset(page_no),
        )
        return ops_list(
            request,
            "callins/list.html",
            "call_ins",
            rows,
            total,
            page_no,
            {"can_write": principal.can(Permission.callins_write)},
            filters={"q": q, "status": status},
            sort=services.CALLIN_SORTS.parse(sort).param,
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
        except Refused as exc:
            return await _form_page(request, principal, data, call_in_id=None, **refusal_view(exc))
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
        self, request: AnyRequest, principal: NamedDependency[Principal], call_in_id: FromPath[int]
    ) -> Response[bytes]:
        host = app_settings(request).host_name
        return _ics(await services.callin_basics(principal, call_in_id), host)

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
        except Refused as exc:
            return await _form_page(
                request, principal, data, call_in_id=call_in_id, **refusal_view(exc)
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
            return await _show(request, principal, call_in_id, **unconfirmed("cancel"))
        try:
            created = await services.set_status(
                principal, call_in_id, read_version(data.version), data.status
            )
        except Refused as exc:
            return await _show(request, principal, call_in_id, **refusal_view(exc, "status."))
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
        except Refused as exc:
            return await _show(
                request, principal, call_in_id, speaker=data, **refusal_view(exc, "speaker.")
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
                request, principal, call_in_id, **unconfirmed(f"speaker-{speaker_id}")
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
        return await _planner_page(request, principal, call_in_id, group_ids(group))

    @post("/{call_in_id:int}/invite", opt=WRITE, name="callins.invite")
    async def invite(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: URLEncodedBody[InviteForm],
    ) -> Template | Redirect:
        picks, errors = invite_picks(data.person)
        groups = group_ids(data.group) or sorted({g for g, _ in picks})
        kept = set(as_list(data.person))
        try:
            if errors:
                raise FormErrors(errors)
            result = await services.invite(principal, call_in_id, picks, data.override_reason)
        except (services.InviteNeedsOverride, FormErrors) as exc:
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
        message = ngettext("%(num)s inbjuden.", "%(num)s inbjudna.", result.created) % {
            "num": result.created
        }
        if result.skipped:
            message += " " + ngettext(
                "%(num)s var redan inbjuden.", "%(num)s var redan inbjudna.", result.skipped
            ) % {"num": result.skipped}
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
        return await _callin_page(request, principal, call_in_id, *_attendance())

    @post("/{call_in_id:int}/attendance", opt=WRITE, name="callins.attendance_bulk")
    async def attendance_bulk(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: URLEncodedBody[AttendanceBulkForm],
    ) -> Template | Redirect:
        """ "Alla närvarande", or the ticked people marked as attended, in one go."""
        try:
            if data.scope == "all":
                done = await services.mark_all_attended(principal, call_in_id)
            else:
                done = await services.set_invitation_statuses(
                    principal, call_in_id, read_selection(ticked(data)), "attended"
                )
        except FormErrors as exc:
            message = " ".join(exc.errors.values())
            return await _callin_page(
                request, principal, call_in_id, *_attendance({"bulk": message}), 400
            )
        message = ngettext(
            "%(num)s person är markerad som deltagare.",
            "%(num)s personer är markerade som deltagare.",
            done,
        ) % {"num": done}
        return redirect_with_flash(request, f"/callins/{call_in_id}/attendance", message)

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
            message = exc.errors.get("status", gettext("Välj en av statusarna."))
            errors = {f"inv-{invitation_id}": message}
            return await _callin_page(request, principal, call_in_id, *_attendance(errors), 400)
        return redirect_with_flash(
            request,
            f"/callins/{call_in_id}/attendance#inv-{invitation_id}",
            gettext("Närvaron är sparad."),
        )

    @post("/{call_in_id:int}/invitations/remove", opt=WRITE, name="callins.remove_invitations")
    async def remove_invitations(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: URLEncodedBody[RemoveSelectedForm],
    ) -> Template | Redirect:
        """ "Ta bort valda": the ticked invitations, once the box is ticked."""
        try:
            ids = read_selection(ticked(data))
        except FormErrors as exc:
            return await _show(
                request, principal, call_in_id, errors={"inv-bulk": str(exc)}, status_code=400
            )
        if not confirmed(data.confirm):
            return await _show(request, principal, call_in_id, **unconfirmed("inv-bulk"))
        done = await services.remove_invitations(principal, call_in_id, ids)
        message = ngettext(
            "%(num)s inbjudan är borttagen.", "%(num)s inbjudningar är borttagna.", done
        ) % {"num": done}
        return redirect_with_flash(request, f"/callins/{call_in_id}#invitations", message)

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
                request, principal, call_in_id, **unconfirmed(f"inv-{invitation_id}")
            )
        await services.remove_invitation(principal, call_in_id, invitation_id)
        return redirect_with_flash(
            request, f"/callins/{call_in_id}#invitations", gettext("Inbjudan är borttagen.")
        )


CALLIN_ROUTES = [CallInsApi, CallInPages]
