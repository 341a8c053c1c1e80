"""What the role × route matrix (tests/access/test_matrix.py) needs for incidents,
call-ins, custom notifications, enforcement and tasks: rows to aim at, who may
reach them, and bodies that make an allowed call succeed.

Changes name the version they read and removals are final, so every path gets
rows of its own per target (a GET of a form and its POST share one: the matrix
runs every GET first). ``own``, ``other_partition`` and ``protected`` are pools in
the user's municipality; ``other_municipality`` is one row in the other.

What the targets mean here:

- incidents and enforcement actions are police records: for social services the
  ``other_partition`` row is a police record of their own municipality; the
  ``protected`` incident links the person under protected personal data;
- call-ins and notifications have no partition; the ``protected`` ones invite or
  notify the protected person;
- tasks are seen by assignee, unit or pool: ``own`` is the coordinators' pool (a
  custom notification to do), ``other_partition`` a task of the police unit, and
  ``protected`` social services' follow-up of the protected person. Each is
  reachable by one role only, which is what the matrix checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from gvi.callins.tables import CallIn, CallInSpeaker, Invitation, Notification, Promise
from gvi.enforcement.tables import EnforcementAction
from gvi.groups.tables import Group, Membership
from gvi.incidents.tables import Incident, IncidentPerson
from gvi.tasks.tables import Task

# Rows per kind and target: at least the paths that take an id of that kind
# (20 for call-ins, 8 for incidents, 4 for notifications, 3 for actions, 3 for tasks).
POOL = {"incident": 10, "call_in": 20, "notification": 6, "action": 5, "task": 4}
MISSING = 987654
PARAMS = {
    "incident_id",
    "link_id",
    "call_in_id",
    "speaker_id",
    "invitation_id",
    "notification_id",
    "action_id",
    "task_id",
}
_KIND = {
    "incident_id": "incident",
    "call_in_id": "call_in",
    "notification_id": "notification",
    "action_id": "action",
    "task_id": "task",
}
# Children are found through their parent on the same path.
_CHILD = {"link_id": "incident_id", "speaker_id": "call_in_id", "invitation_id": "call_in_id"}

IN_SCOPE = {"own", "other_partition", "protected"}
READERS = ("coordinator", "outreach", "police")


def _all(names: tuple[str, ...], rule: dict[str, set[str]]) -> dict[str, dict[str, set[str]]]:
    return {name: {role: set(targets) for role, targets in rule.items()} for name in names}


ALLOWED: dict[str, dict[str, set[str]]] = {
    # Incidents: the police partition.
    **_all(
        (
            "incidents.list",
            "api.incidents.list",
            "incidents.risks",
            "api.incidents.risks",
            "incidents.new",
            "incidents.create",
            "api.incidents.create",
        ),
        {"police": {"own"}},
    ),
    **_all(
        (
            "incidents.show",
            "api.incidents.show",
            "incidents.edit",
            "incidents.update",
            "api.incidents.update",
            "incidents.review",
            "api.incidents.review",
            "incidents.link_person",
            "api.incidents.link_person",
            "incidents.unlink_person",
        ),
        {"police": IN_SCOPE},
    ),
    # Call-ins: read by coordinators, social services and police; planned by coordinators.
    **_all(
        ("callins.list", "api.callins.list", "callins.calendar", "api.callins.upcoming"),
        {r: {"own"} for r in READERS},
    ),
    **_all(("callins.show", "api.callins.show", "callins.ics"), {r: IN_SCOPE for r in READERS}),
    **_all(("callins.new", "callins.create", "api.callins.create"), {"coordinator": {"own"}}),
    **_all(
        (
            "callins.edit",
            "callins.update",
            "api.callins.update",
            "callins.status",
            "api.callins.status",
            "callins.add_speaker",
            "api.callins.add_speaker",
            "callins.remove_speaker",
            "callins.plan",
            "api.callins.plan",
            "callins.invite",
            "api.callins.invite",
            "callins.attendance",
            "callins.attendance_bulk",
            "callins.invitation_status",
            "api.callins.invitation_status",
            "callins.remove_invitation",
        ),
        {"coordinator": IN_SCOPE},
    ),
    # Bulk actions name their rows in the body: the own call-in's invitation, the own task.
    **_all(("callins.remove_invitations", "tasks.done_selected"), {"coordinator": {"own"}}),
    # The promise ledger: coordinators (no detail) and police; never social services.
    **_all(
        ("callins.ledger", "api.callins.ledger"),
        {"coordinator": IN_SCOPE, "police": IN_SCOPE},
    ),
    # Custom notifications: read by the three, written by coordinators.
    **_all(("notifications.list", "api.notifications.list"), {r: {"own"} for r in READERS}),
    **_all(("notifications.show", "api.notifications.show"), {r: IN_SCOPE for r in READERS}),
    **_all(
        ("notifications.new", "notifications.create", "api.notifications.create"),
        {"coordinator": {"own"}},
    ),
    **_all(("notifications.outcome", "api.notifications.outcome"), {"coordinator": IN_SCOPE}),
    # Enforcement: the police partition.
    **_all(
        (
            "enforcement.list",
            "api.enforcement.list",
            "enforcement.new",
            "enforcement.create",
            "api.enforcement.create",
        ),
        {"police": {"own"}},
    ),
    **_all(
        (
            "enforcement.show",
            "api.enforcement.show",
            "enforcement.edit",
            "enforcement.update",
            "api.enforcement.update",
        ),
        {"police": IN_SCOPE},
    ),
    # Tasks: each target is one role's (see the module docstring).
    **_all(("tasks.list", "api.tasks.list"), {r: {"own"} for r in READERS}),
    **_all(
        ("tasks.done", "api.tasks.done"),
        {"coordinator": {"own"}, "police": {"other_partition"}, "outreach": {"protected"}},
    ),
}


@dataclass
class OpsTargets:
    own_municipality: int
    own_person: int
    own_person_code: str
    group: int
    rows: dict[str, dict[str, list[int]]]
    children: dict[str, dict[int, int]]  # child param → parent id → child id
    _handed: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def ids(self, path: str, param: str, target: str) -> int:
        if target == "missing":
            return MISSING
        if param in _CHILD:
            parent = self.ids(path, _CHILD[param], target)
            return self.children[param][parent]
        kind = _KIND[param]
        pool = self.rows[kind][target]
        if len(pool) == 1:
            return pool[0]
        key = (kind, target, path)
        if key not in self._handed:
            taken = sum(1 for k in self._handed if k[:2] == (kind, target))
            assert taken < len(pool), f"more paths than {kind} rows: raise POOL[{kind!r}]"
            self._handed[key] = taken
        return pool[self._handed[key]]

    def bodies(self) -> dict[str, dict[str, Any]]:
        m, g, code = self.own_municipality, self.group, self.own_person_code
        incident_form = {
            "occurred_on": "2024-02-01",
            "occurred_time": "21:00",
            "municipality": str(m),
            "kind": "shooting",
            "harm": "none",
        }
        incident_api = {
            "occurred_at": "2024-02-01T21:00:00+01:00",
            "municipality_id": m,
            "kind": "shooting",
        }
        callin_form = {
            "title": "Matrismöte",
            "day": "2031-05-05",
            "start": "17:00",
            "end": "19:00",
            "venue": "Matrislokalen",
            "municipality": str(m),
            "capacity": "20",
            "promises": "Ett löfte",
        }
        callin_api = {
            "title": "Matrismöte",
            "starts_at": "2031-05-05T17:00:00+02:00",
            "ends_at": "2031-05-05T19:00:00+02:00",
            "venue": "Matrislokalen",
            "municipality_id": m,
        }
        action_form = {
            "group": str(g),
            "municipality": str(m),
            "kind": "search",
            "agency": "police",
            "status": "done",
            "action_date": "2024-02-05",
        }
        action_api = {
            "group_id": g,
            "municipality_id": m,
            "kind": "search",
            "action_date": "2024-02-05",
        }
        outcome = {"outcome": "delivered", "delivered_on": "2024-02-03", "delivered_by": "Polis"}
        bulk_call_in = self.ids("/callins/{call_in_id:int}/invitations/remove", "call_in_id", "own")
        invitation = self.children["invitation_id"][bulk_call_in]
        return {
            "incidents.create": incident_form,
            "api.incidents.create": incident_api,
            "incidents.update": {"version": "1", **incident_form},
            "api.incidents.update": {"version": 1, **incident_api},
            "incidents.review": {"version": "1", "review_status": "reviewed", "review_notes": ""},
            "api.incidents.review": {"version": 1, "review_status": "reviewed"},
            "incidents.link_person": {"code": code, "role": "witness"},
            "api.incidents.link_person": {"code": code, "role": "witness"},
            "incidents.unlink_person": {"confirm": "yes"},
            "callins.create": callin_form,
            "api.callins.create": callin_api,
            "callins.update": {"version": "1", **callin_form},
            "api.callins.update": {"version": 1, **callin_api},
            "callins.status": {"version": "1", "status": "held"},
            "api.callins.status": {"version": 1, "status": "held"},
            "callins.add_speaker": {"role": "police", "name": "Kommissarie Exempel"},
            "api.callins.add_speaker": {"role": "police", "name": "Kommissarie Exempel"},
            "callins.remove_speaker": {"confirm": "yes"},
            "callins.invite": {"person": f"{g}:{self.own_person}"},
            "api.callins.invite": {"picks": [{"person_id": self.own_person, "group_id": g}]},
            "callins.invitation_status": {"status": "attended"},
            "api.callins.invitation_status": {"status": "attended"},
            "callins.remove_invitation": {"confirm": "yes"},
            "callins.attendance_bulk": {"scope": "all"},
            "callins.remove_invitations": {"confirm": "yes", "selected": str(invitation)},
            "notifications.create": {
                "code": code,
                "follow_up_days": "7",
                **outcome,
            },
            "api.notifications.create": {"person_code": code, **outcome},
            "notifications.outcome": {"version": "1", "follow_up_days": "7", **outcome},
            "api.notifications.outcome": {"version": 1, **outcome},
            "enforcement.create": action_form,
            "api.enforcement.create": action_api,
            "enforcement.update": {"version": "1", **action_form},
            "api.enforcement.update": {"version": 1, **action_api},
            "tasks.done": {"version": "1"},
            "api.tasks.done": {"version": 1},
            "tasks.done_selected": {"selected": f"{self.ids('/tasks/done', 'task_id', 'own')}:1"},
        }


async def build_ops_targets(
    *,
    own: int,
    other: int,
    person_own: int,
    person_own_code: str,
    person_other: int,
    person_protected: int,
    police_unit: int,
) -> OpsTargets:
    group = Group(name="Matris Operativa", municipality=own, area="Matrisområdet")
    await group.save()
    await Membership(person=person_own, group=group.id, valid_from=date(2020, 1, 1)).save()
    await Membership(person=person_protected, group=group.id, valid_from=date(2020, 1, 1)).save()
    other_group = Group(name="Matris Annan", municipality=other)
    await other_group.save()
    await Membership(person=person_other, group=other_group.id, valid_from=date(2020, 1, 1)).save()
    rows: dict[str, dict[str, list[int]]] = {k: {} for k in _KIND.values()}
    children: dict[str, dict[int, int]] = {k: {} for k in _CHILD}
    # target → (municipality, person, group, one row only)
    plan = {
        "own": (own, person_own, group.id, False),
        "other_partition": (own, person_own, group.id, False),
        "protected": (own, person_protected, group.id, False),
        "other_municipality": (other, person_other, other_group.id, True),
    }
    at = datetime(2024, 1, 20, 20, 0, tzinfo=UTC)
    for target, (municipality, person, group_id, single) in plan.items():
        sizes = {kind: 1 if single else size for kind, size in POOL.items()}
        rows["incident"][target] = []
        rows["call_in"][target] = []
        rows["notification"][target] = []
        rows["action"][target] = []
        for _ in range(sizes["incident"]):
            incident = Incident(occurred_at=at, municipality=municipality, kind="shooting")
            await incident.save()
            link = IncidentPerson(incident=incident.id, person=person, role="victim")
            await link.save()
            rows["incident"][target].append(incident.id)
            children["link_id"][incident.id] = link.id
        for _ in range(sizes["call_in"]):
            # In the past: holding it and taking attendance need a meeting that has begun.
            call_in = CallIn(
                title="Matrisens call-in",
                starts_at=datetime(2025, 3, 3, 16, 0, tzinfo=UTC),
                ends_at=datetime(2025, 3, 3, 18, 0, tzinfo=UTC),
                venue="Matrislokalen",
                municipality=municipality,
            )
            await call_in.save()
            await Promise(call_in=call_in.id, position=1, text="Matrislöftet").save()
            speaker = CallInSpeaker(call_in=call_in.id, role="police", name="Talare Exempel")
            await speaker.save()
            invitation = Invitation(call_in=call_in.id, person=person, group=group_id)
            await invitation.save()
            rows["call_in"][target].append(call_in.id)
            children["speaker_id"][call_in.id] = speaker.id
            children["invitation_id"][call_in.id] = invitation.id
        for _ in range(sizes["notification"]):
            notification = Notification(
                person=person,
                municipality=municipality,
                delivered_on=date(2024, 2, 1),
                delivered_by="Polis och socialtjänst",
                outcome=Notification.Outcome.planned,
            )
            await notification.save()
            rows["notification"][target].append(notification.id)
        for _ in range(sizes["action"]):
            action = EnforcementAction(
                group=group_id,
                municipality=municipality,
                triggering_incident=rows["incident"][target][0],
                kind="search",
                action_date=date(2024, 1, 22),
                notes="Fritext om åtgärden",
            )
            await action.save()
            rows["action"][target].append(action.id)

    task_plan = {
        "own": dict(kind=Task.Kind.custom_notification, municipality=own),
        "other_partition": dict(kind=Task.Kind.follow_up, municipality=own, unit=police_unit),
        "protected": dict(kind=Task.Kind.follow_up, municipality=own, person=person_protected),
        "other_municipality": dict(kind=Task.Kind.follow_up, municipality=other),
    }
    for target, values in task_plan.items():
        rows["task"][target] = []
        for _ in range(1 if target == "other_municipality" else POOL["task"]):
            task = Task(title="Matrisuppgift", due_on=date(2024, 2, 1), **values)
            await task.save()
            rows["task"][target].append(task.id)
    return OpsTargets(
        own_municipality=own,
        own_person=person_own,
        own_person_code=person_own_code,
        group=group.id,
        rows=rows,
        children=children,
    )
