"""Which incidents trigger which call-in promises (DESIGN: the promise ledger).

A promise is made when its call-in is *held*. It is *triggered* by an incident
that happened after the call-in started, with a suspected group the call-in
reached: a group whose members were invited to it (Invitation.group), or a group
of a person given a custom notification carrying the call-in's message and
promises (Notification.call_in, delivered; memberships on that day). The
enforcement form and the ledger (:mod:`gvi.enforcement.services`) both ask here;
scope is the caller's municipalities, audit is the caller's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gvi.access.principal import Principal
from gvi.callins.tables import CallIn, Invitation, Notification, Promise
from gvi.groups.tables import Membership
from gvi.i18n import N_
from gvi.incidents.services import incident_scope
from gvi.incidents.tables import Incident, IncidentGroup

TRIGGERED = N_("Utlöser löftena: händelsen inträffade efter mötet och %(groups)s nåddes av mötet.")


BEFORE = N_("Utlöser inte: händelsen inträffade före mötet.")


NOT_REACHED = N_(
    "Utlöser inte: ingen av de misstänkta grupperna var inbjuden till mötet "
    "eller fick en individuell underrättelse med löftet."
)


NOT_HELD = N_("Mötet är inte genomfört: löftena har inte getts, så inga händelser utlöser dem.")


ACTION_BEFORE = N_("Räknas inte: åtgärden är daterad före händelsen.")


PROMISE_NEEDS_TRIGGER = N_(
    "Ett löfte hålls av en åtgärd efter en händelse som utlöser det: en händelse efter "
    "mötet där en grupp som nåddes av mötet är misstänkt. Välj en sådan händelse, "
    "eller inget löfte."
)


ACTION_DATE_BEFORE = N_("Åtgärden kan inte hålla löftet: den är daterad före händelsen.")


async def reached_groups(call_in_ids: Sequence[int]) -> dict[int, set[int]]:
    """Per call-in: the groups it reached: whose members were invited to it, or were
    given (delivered) a custom notification carrying its message and promises (the
    person's groups on the day of the notification)."""
    reached: dict[int, set[int]] = {c: set() for c in call_in_ids}
    if not call_in_ids:
        return reached
    ids = sorted(set(call_in_ids))
    for r in await Invitation.select(Invitation.call_in, Invitation.group).where(
        Invitation.call_in.is_in(ids)
        & Invitation.archived_at.is_null()
        & Invitation.group.is_not_null()
    ):
        reached[r["call_in"]].add(r["group"])
    notified = await Notification.select(
        Notification.call_in, Notification.person, Notification.delivered_on
    ).where(
        Notification.call_in.is_in(ids)
        & Notification.archived_at.is_null()
        & (Notification.outcome == Notification.Outcome.delivered)
    )
    for n in notified:
        day = n["delivered_on"]
        for m in await Membership.select(Membership.group).where(
            (Membership.person == n["person"])
            & Membership.archived_at.is_null()
            & (Membership.valid_from.is_null() | (Membership.valid_from <= day))
            & (Membership.valid_to.is_null() | (Membership.valid_to >= day))
        ):
            reached[n["call_in"]].add(m["group"])
    return reached


async def suspected_incidents(
    incident_ids: Sequence[int] | None,
    group_ids: Sequence[int] | None,
    principal: Principal,
    *,
    place: tuple[int, datetime] | None = None,
) -> dict[int, dict[str, Any]]:
    """Incidents in scope (by id, by a suspected group, or in a municipality since a
    moment): when, kind, suspected groups."""
    where = (
        (IncidentGroup.role == IncidentGroup.Role.suspected)
        & IncidentGroup.incident.municipality.is_in(sorted(principal.municipality_ids) or [-1])
        & IncidentGroup.incident.archived_at.is_null()
    )
    if incident_ids is not None:
        where = where & IncidentGroup.incident.is_in(sorted(set(incident_ids)) or [-1])
    if group_ids is not None:
        where = where & IncidentGroup.group.is_in(sorted(set(group_ids)) or [-1])
    if place is not None:
        where = (
            where
            & (IncidentGroup.incident.municipality == place[0])
            & (IncidentGroup.incident.occurred_at > place[1])
        )
    found: dict[int, dict[str, Any]] = {}
    for r in await IncidentGroup.select(
        IncidentGroup.incident,
        IncidentGroup.incident.occurred_at.as_alias("occurred_at"),
        IncidentGroup.incident.kind.as_alias("kind"),
        IncidentGroup.group,
        IncidentGroup.group.name.as_alias("name"),
    ).where(where):
        row = found.setdefault(
            r["incident"],
            {"occurred_at": r["occurred_at"], "kind": r["kind"], "groups": {}},
        )
        row["groups"][r["group"]] = r["name"]
    if incident_ids is not None:
        # An incident with no suspected group still exists; it triggers nothing.
        missing = sorted(set(incident_ids) - set(found))
        if missing:
            for r in await Incident.select(Incident.id, Incident.occurred_at, Incident.kind).where(
                incident_scope(principal) & Incident.id.is_in(missing)
            ):
                found[r["id"]] = {"occurred_at": r["occurred_at"], "kind": r["kind"], "groups": {}}
    return found


def verdict(call_in: dict[str, Any], reached: set[int], incident: dict[str, Any]) -> str | None:
    """None when the incident triggers the call-in's promises, else the reason it does not."""
    if call_in["status"] != CallIn.Status.held:
        return NOT_HELD
    if incident["occurred_at"] <= call_in["starts_at"]:
        return BEFORE
    if not reached & set(incident["groups"]):
        return NOT_REACHED
    return None


async def held_callins_in_scope(principal: Principal) -> dict[int, dict[str, Any]]:
    rows = await CallIn.select(CallIn.id, CallIn.title, CallIn.starts_at, CallIn.status).where(
        CallIn.archived_at.is_null()
        & CallIn.municipality.is_in(sorted(principal.municipality_ids) or [-1])
        & (CallIn.status == CallIn.Status.held)
    )
    return {r["id"]: r for r in rows}


async def triggered_promises(
    principal: Principal, incident_id: int | None = None
) -> dict[int, set[int]]:
    """Promise id → the incidents in scope that trigger it (only those of ``incident_id``
    when given). The enforcement form's choices and its check both ask this."""
    call_ins = await held_callins_in_scope(principal)
    reached = await reached_groups(list(call_ins))
    all_groups = sorted(set().union(*reached.values())) if reached else []
    incidents = await suspected_incidents(
        [incident_id] if incident_id is not None else None, all_groups, principal
    )
    promises = await Promise.select(Promise.id, Promise.call_in).where(
        Promise.archived_at.is_null() & Promise.call_in.is_in(sorted(call_ins) or [-1])
    )
    found: dict[int, set[int]] = {}
    for p in promises:
        call_in = call_ins[p["call_in"]]
        for iid, incident in incidents.items():
            if verdict(call_in, reached[p["call_in"]], incident) is None:
                found.setdefault(p["id"], set()).add(iid)
    return found
