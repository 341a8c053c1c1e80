"""Call-ins: the JSON API under /api/v1/callins. :mod:`gvi.callins.services` owns
scoping and audit; a refusal the API does not catch is answered by
:mod:`gvi.core.errors` (400 naming the fields, 409 for a conflict)."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.callins import services
from gvi.callins.forms import group_ids
from gvi.callins.labels import CALLIN_STATUS_LABELS
from gvi.callins.schemas import (
    CallInDetailOut,
    CallInIn,
    CallInOut,
    CallInPage,
    InvitationStatusIn,
    InviteIn,
    InviteOut,
    PlannerOut,
    ReachOut,
    SpeakerIn,
    StatusIn,
    StatusOut,
    WarningOut,
)
from gvi.core import rest
from gvi.core.operations import aware
from gvi.core.params import Signed
from gvi.core.shapes import CreatedOut
from gvi.i18n import gettext

READ = {"permission": Permission.callins_read}
WRITE = {"permission": Permission.callins_write}


def _row_out(r: services.CallInRow) -> CallInOut:
    return msgspec.convert(r, CallInOut, from_attributes=True)


def _warning_out(w: services.WarningView) -> WarningOut:
    return msgspec.convert(w, WarningOut, from_attributes=True)


def _reach_out(r: services.ReachRow) -> ReachOut:
    return msgspec.convert(r, ReachOut, from_attributes=True)


def _detail_out(d: services.CallInDetail) -> CallInDetailOut:
    return msgspec.convert(d, CallInDetailOut, from_attributes=True)


def _api_draft(data: CallInIn) -> services.CallInDraft:
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


async def _callin(principal: Principal, call_in_id: int) -> CallInDetailOut:
    return _detail_out(await services.get_callin(principal, call_in_id))


class CallInsApi(Controller):
    path = "/api/v1/callins"
    tags = ["call-ins"]

    @rest.listing("/", opt=READ, name="api.callins.list")
    async def list_callins(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
    ) -> Response[CallInPage]:
        rows, total = await services.list_callins(
            principal,
            search=q,
            status=rest.known_value(status, CALLIN_STATUS_LABELS, "status"),
            **window.rows,
        )
        return window.page_of(CallInPage, [_row_out(r) for r in rows], total)

    @get("/upcoming", opt=READ, name="api.callins.upcoming")
    async def upcoming(self, principal: NamedDependency[Principal]) -> list[CallInOut]:
        return [_row_out(r) for r in await services.upcoming_callins(principal)]

    @rest.show("/{call_in_id:int}", opt=READ, name="api.callins.show")
    async def show_callin(
        self, principal: NamedDependency[Principal], call_in_id: FromPath[int]
    ) -> Response[CallInDetailOut]:
        return rest.tagged(await _callin(principal, call_in_id))

    @rest.create("/", opt=WRITE, name="api.callins.create")
    async def create_callin(
        self, principal: NamedDependency[Principal], data: JSONBody[CallInIn]
    ) -> Response[CreatedOut]:
        created = CreatedOut(id=await services.create_callin(principal, _api_draft(data)))
        return rest.created(self.path, created)

    @rest.update("/{call_in_id:int}", opt=WRITE, name="api.callins.update")
    async def update_callin(
        self,
        principal: Signed,
        call_in_id: FromPath[int],
        data: JSONBody[CallInIn],
        expected: rest.Expected,
    ) -> Response[CallInDetailOut]:
        """The whole call-in, as on create (fields left out take their defaults)."""
        draft = _api_draft(data)
        return await rest.patched(
            services.update_callin, _callin, principal, call_in_id, expected, draft
        )

    @post("/{call_in_id:int}/status", opt=WRITE, name="api.callins.status", status_code=200)
    async def set_status(
        self,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: JSONBody[StatusIn],
    ) -> StatusOut:
        created = await services.set_status(principal, call_in_id, data.version, data.status)
        return StatusOut(status=data.status, tasks_created=created)

    @post("/{call_in_id:int}/speakers", opt=WRITE, name="api.callins.add_speaker")
    async def add_speaker(
        self,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        data: JSONBody[SpeakerIn],
    ) -> CreatedOut:
        speaker_id = await services.add_speaker(
            principal, call_in_id, data.role, data.name, data.organisation
        )
        return CreatedOut(id=speaker_id)

    @get("/{call_in_id:int}/plan", opt=WRITE, name="api.callins.plan")
    async def plan(
        self,
        principal: NamedDependency[Principal],
        call_in_id: FromPath[int],
        group: FromQuery[list[str] | None] = None,
    ) -> PlannerOut:
        view = await services.planner(principal, call_in_id, group_ids(group))
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
        await services.set_invitation_status(principal, call_in_id, invitation_id, data.status)
        return data
