"""Invitations to a call-in: the planner (reach so far, the chosen groups'
members, the warnings adding them would raise), inviting people as members of a
group, and attendance.

Audit, in the same transaction as the work: showing a group's members in the
planner writes one ``person:list`` row; every invitation change an
``invitation:write`` row for its person (an overridden rivalry warning says so in
the row's details, the reason itself is in ``Invitation.override_reason``).
Saving over a warning needs a written reason (at least ten characters).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.callins.forms import OVERRIDE_MESSAGE, OVERRIDE_MIN
from gvi.callins.labels import INVITATION_STATUS_LABELS
from gvi.callins.services.reach import turf_groups, warning_views
from gvi.callins.services.schedule import (
    ATTENDANCE_AFTER_START,
    callin_row,
    detail_with_graph,
    require_started,
    scope_ids,
)
from gvi.callins.services.views import (
    InviteNeedsOverride,
    InviteResult,
    MemberView,
    PlannerGroup,
    PlannerView,
)
from gvi.callins.tables import CallIn, Invitation
from gvi.core import clock
from gvi.core.batch import each_in_one_transaction
from gvi.core.clock import local_day
from gvi.core.failures import FormErrors, NotVisible
from gvi.db import write_transaction
from gvi.groups.tables import Group, Membership
from gvi.i18n import gettext
from gvi.incidents import graphdata
from gvi.networks.risk import invite_warnings, third_of
from gvi.people.tables import Protection


async def _members(
    principal: Principal, group_ids: Sequence[int], day: date
) -> dict[int, list[MemberView]]:
    """Members on ``day`` of each group, people of the user's municipalities only."""
    if not group_ids:
        return {}
    rows = (
        await Membership.select(
            Membership.group,
            Membership.person,
            Membership.person.code.as_alias("code"),
            Membership.person.protection.as_alias("protection"),
            Membership.role,
        )
        .where(
            Membership.group.is_in(list(group_ids))
            & Membership.archived_at.is_null()
            & (Membership.valid_from.is_null() | (Membership.valid_from <= day))
            & (Membership.valid_to.is_null() | (Membership.valid_to > day))
            & Membership.person.archived_at.is_null()
            & Membership.person.home_municipality.is_in(scope_ids(principal))
        )
        .order_by(Membership.person.code)
    )
    found: dict[int, list[MemberView]] = {}
    seen: set[tuple[int, int]] = set()
    for r in rows:
        key = (r["group"], r["person"])
        if key in seen:
            continue
        seen.add(key)
        found.setdefault(r["group"], []).append(
            MemberView(
                person_id=r["person"],
                code=r["code"],
                protected=r["protection"] != Protection.none,
                role=r["role"],
                invited=False,
            )
        )
    return found


async def _scoped_groups(principal: Principal) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await Group.select(Group.id, Group.name, Group.municipality.name.as_alias("m"))
        .where(Group.municipality.is_in(scope_ids(principal)) & Group.archived_at.is_null())
        .order_by(Group.name)
    )
    return rows


async def planner(principal: Principal, callin_id: int, group_ids: Sequence[int]) -> PlannerView:
    """The invite planner: the call-in's reach so far, the chosen groups' members and
    the rivalry warnings adding them would raise."""
    require(principal, Permission.callins_write)
    async with write_transaction(Invitation._meta.db):
        detail, g, infos = await detail_with_graph(principal, callin_id)
        groups = await _scoped_groups(principal)
        known = {r["id"] for r in groups}
        selected = [gid for gid in dict.fromkeys(group_ids) if gid in known]
        members = await _members(principal, selected, detail.day)
        invited_people = {i.person_ref for i in detail.invitations}
        shown = sum(len(v) for v in members.values())
        if shown:
            await record(
                AuditAction.person_list,
                actor=principal,
                target_type="call_in",
                target_id=callin_id,
                details={"count": shown, "group_ids": selected, "purpose": "invite"},
            )
    existing = Counter(i.group_id for i in detail.invitations if i.group_id is not None)
    turf = turf_groups(infos, detail.municipality_id, detail.venue)
    new_groups = [gid for gid in selected if gid not in existing]
    warnings = invite_warnings(g, sorted(existing), new_groups, turf)
    planner_groups = []
    for r in groups:
        size = int(g.nodes[r["id"]].get("members", 0)) if r["id"] in g else 0
        people = [
            MemberView(m.person_id, m.code, m.protected, m.role, m.person_id in invited_people)
            for m in members.get(r["id"], [])
        ]
        planner_groups.append(
            PlannerGroup(
                id=r["id"],
                name=r["name"],
                municipality=r["m"],
                members=size,
                needed=third_of(size),
                invited=existing.get(r["id"], 0),
                selected=r["id"] in selected,
                people=people,
            )
        )
    return PlannerView(
        call_in=detail,
        groups=planner_groups,
        selected=selected,
        warnings=warning_views(warnings, infos),
        existing_warnings=detail.warnings,
    )


async def invite(
    principal: Principal,
    callin_id: int,
    picks: Sequence[tuple[int, int]],
    override_reason: str = "",
) -> InviteResult:
    """Invite people as members of a group: ``picks`` are (group id, person id).

    Raises :class:`InviteNeedsOverride` when the new groups walk into a rivalry and
    no reason (at least ten characters) was given; nothing is saved then.
    """
    require(principal, Permission.callins_write)
    reason = override_reason.strip()
    if len(reason) > 2000:
        raise FormErrors({"override_reason": gettext("Högst 2000 tecken.")})
    if not picks:
        raise FormErrors({"person": gettext("Kryssa i minst en person att bjuda in.")})
    async with write_transaction(Invitation._meta.db):
        row = await callin_row(principal, callin_id)
        if row["status"] == CallIn.Status.cancelled:
            raise FormErrors(
                {"person": gettext("Mötet är inställt. Ändra status innan du bjuder in.")}
            )
        day = local_day(row["starts_at"])
        group_ids = sorted({gid for gid, _ in picks})
        members = await _members(principal, group_ids, day)
        valid = {(gid, m.person_id) for gid, ms in members.items() for m in ms}
        if any(pick not in valid for pick in picks):
            raise FormErrors({"person": gettext("Välj personer bland gruppernas medlemmar.")})
        current = await Invitation.select(Invitation.person, Invitation.group).where(
            (Invitation.call_in == callin_id) & Invitation.archived_at.is_null()
        )
        already = {r["person"] for r in current}
        existing_groups = sorted({r["group"] for r in current if r["group"] is not None})
        fresh: dict[int, int] = {}
        for gid, pid in picks:
            if pid not in already and pid not in fresh:
                fresh[pid] = gid
        if len(current) + len(fresh) > row["capacity"]:
            raise FormErrors(
                {
                    "person": gettext(
                        "Lokalen rymmer %(n)s personer; listan skulle bli %(n2)s. Välj färre "
                        "eller ändra kapaciteten."
                    )
                    % {"n": row["capacity"], "n2": len(current) + len(fresh)}
                }
            )
        g, infos = await graphdata.signed_graph(day)
        new_groups = sorted(set(fresh.values()) - set(existing_groups))
        found = invite_warnings(
            g,
            existing_groups,
            new_groups,
            turf_groups(infos, row["municipality"], row["venue"]),
        )
        warnings = warning_views(found, infos)
        if warnings and len(reason) < OVERRIDE_MIN:
            raise InviteNeedsOverride(warnings, {"override_reason": gettext(OVERRIDE_MESSAGE)})
        warned_groups = {w.invited_group for w in found} | {w.other_group for w in found}
        for pid, gid in fresh.items():
            overridden = bool(warnings) and gid in warned_groups
            invitation = Invitation(
                call_in=callin_id,
                person=pid,
                group=gid,
                override_reason=reason if overridden else "",
            )
            await invitation.save()
            await record(
                AuditAction.invitation_write,
                actor=principal,
                target_type="call_in",
                target_id=callin_id,
                person_id=pid,
                details={
                    "op": "invite",
                    "invitation_id": invitation.id,
                    "group_id": gid,
                    "override": overridden,
                },
            )
        await record(
            AuditAction.callin_write,
            actor=principal,
            target_type="call_in",
            target_id=callin_id,
            details={
                "op": "invite",
                "count": len(fresh),
                "override": bool(warnings),
                "warnings": [w.token() for w in warnings],
            },
        )
    return InviteResult(
        created=len(fresh),
        skipped=len(picks) - len(fresh),
        overridden=bool(warnings),
        warnings=warnings,
    )


def _visible(principal: Principal, callin_id: int) -> Any:
    """The call-in's current invitations of people in the user's municipalities."""
    return (
        (Invitation.call_in == callin_id)
        & Invitation.archived_at.is_null()
        & Invitation.person.home_municipality.is_in(scope_ids(principal))
    )


async def _invitation_for_write(
    principal: Principal, callin_id: int, invitation_id: int
) -> dict[str, Any]:
    await callin_row(principal, callin_id)
    row: dict[str, Any] | None = (
        await Invitation.select(Invitation.id, Invitation.person, Invitation.status)
        .where((Invitation.id == invitation_id) & _visible(principal, callin_id))
        .first()
    )
    if row is None:
        raise NotVisible()
    return row


async def set_invitation_status(
    principal: Principal, callin_id: int, invitation_id: int, status: str
) -> None:
    """Attendance: invited, confirmed, attended, no-show or excused."""
    require(principal, Permission.callins_write)
    async with write_transaction(Invitation._meta.db):
        row = await _invitation_for_write(principal, callin_id, invitation_id)
        if status not in INVITATION_STATUS_LABELS:
            raise FormErrors({"status": gettext("Välj en av statusarna.")})
        if status in ATTENDANCE_AFTER_START:
            require_started(await callin_row(principal, callin_id), "status")
        await Invitation.update(
            {Invitation.status: status, Invitation.version: Invitation.version + 1}
        ).where(Invitation.id == invitation_id)
        await record(
            AuditAction.invitation_write,
            actor=principal,
            target_type="call_in",
            target_id=callin_id,
            person_id=row["person"],
            details={"op": "status", "invitation_id": invitation_id, "status": status},
        )


async def remove_invitation(principal: Principal, callin_id: int, invitation_id: int) -> None:
    require(principal, Permission.callins_write)
    async with write_transaction(Invitation._meta.db):
        row = await _invitation_for_write(principal, callin_id, invitation_id)
        await Invitation.update({Invitation.archived_at: clock.now()}).where(
            Invitation.id == invitation_id
        )
        await record(
            AuditAction.invitation_write,
            actor=principal,
            target_type="call_in",
            target_id=callin_id,
            person_id=row["person"],
            details={"op": "remove", "invitation_id": invitation_id},
        )


# --- Bulk (issue 21 part 3): the one-at-a-time services above, all or none -------------

# "Alla närvarande" marks those without an outcome yet; a no-show or an excuse stays.
NOT_YET_MARKED = ("invited", "confirmed")


async def set_invitation_statuses(
    principal: Principal, callin_id: int, invitation_ids: Sequence[int], status: str
) -> int:
    """Attendance for several invitations: :func:`set_invitation_status` for each in
    one transaction, an ``invitation:write`` row per person."""
    await each_in_one_transaction(
        invitation_ids,
        lambda invitation_id: set_invitation_status(principal, callin_id, invitation_id, status),
    )
    return len(invitation_ids)


async def mark_all_attended(principal: Principal, callin_id: int) -> int:
    """ "Alla närvarande": every visible invitation still without an outcome is
    marked attended (a no-show or an excuse is kept); how many."""
    require(principal, Permission.callins_write)
    async with write_transaction(Invitation._meta.db):
        await callin_row(principal, callin_id)
        rows = await (
            Invitation.select(Invitation.id)
            .where(_visible(principal, callin_id) & Invitation.status.is_in(list(NOT_YET_MARKED)))
            .order_by(Invitation.id)
        )
        return await set_invitation_statuses(
            principal, callin_id, [r["id"] for r in rows], "attended"
        )


async def remove_invitations(
    principal: Principal, callin_id: int, invitation_ids: Sequence[int]
) -> int:
    """ "Ta bort valda": :func:`remove_invitation` for each in one transaction."""
    await each_in_one_transaction(
        invitation_ids,
        lambda invitation_id: remove_invitation(principal, callin_id, invitation_id),
    )
    return len(invitation_ids)
