"""Incidents (police partition): recording, review, linked groups and people, and the
retaliation-risk alert each incident raises.

Scope: an incident is seen by users with ``incidents:read`` whose municipalities
include the incident's; anything else is the same 404 as a missing id. Groups and
people attached to an incident must be in the user's scope too.

Audit: every read and write writes its row in the same transaction. Reading one
incident writes one ``incident:read`` row per linked person (so "who looked at
person X" finds it), or one for the incident when nobody is linked; lists write
one row with the count.

Retaliation risk: :mod:`gvi.incidents.retaliation` ranks the groups after each
incident and keeps the ranking in the incident's alert; this module shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw

from gvi.access import linked
from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.access.tables import Alert
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.clock import local_day, today
from gvi.core.failures import FormErrors, NotVisible
from gvi.core.forms import NO_SUCH_PERSON, PERSON_CODE, PERSON_CODE_MESSAGE
from gvi.core.listing import audited_page
from gvi.core.sorting import Sorts
from gvi.core.textsearch import contains
from gvi.core.versioning import versioned_update
from gvi.db import write_transaction
from gvi.groups.tables import Group
from gvi.i18n import gettext
from gvi.incidents import graphdata, retaliation
from gvi.incidents.labels import (
    HARM_LABELS,
    INCIDENT_KIND_LABELS,
    PERSON_ROLE_LABELS,
    REVIEW_LABELS,
)
from gvi.incidents.retaliation import RETALIATION_WINDOW_DAYS as RETALIATION_WINDOW_DAYS
from gvi.incidents.retaliation import RiskRow as RiskRow
from gvi.incidents.retaliation import RiskView
from gvi.incidents.tables import Incident, IncidentGroup, IncidentPerson
from gvi.municipalities.tables import Municipality
from gvi.people.tables import Person, Protection


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class GroupLink:
    group_id: int
    name: str
    role: str


@dataclass(frozen=True)
class PersonLink:
    link_id: int
    # None, and the code "person i annan kommun", outside the user's scope (gvi.access.linked).
    person_id: int | None
    code: str
    role: str
    protected: bool


@dataclass(frozen=True)
class IncidentRow:
    id: int
    occurred_at: datetime
    municipality: str
    area: str
    kind: str
    harm: str
    review_status: str
    suspected: list[str] = field(default_factory=list)
    victims: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IncidentDetail:
    id: int
    version: int
    occurred_at: datetime
    municipality_id: int
    municipality: str
    area: str
    place: str
    kind: str
    harm: str
    motive: str
    review_status: str
    review_notes: str
    groups: list[GroupLink]
    people: list[PersonLink]
    risk: RiskView | None


@dataclass(frozen=True)
class IncidentDraft:
    """What a police officer typed (page or API), before it is checked."""

    occurred_at: datetime | None
    municipality_id: int | None
    area: str
    place: str
    kind: str
    harm: str
    motive: str
    suspected_group_ids: Sequence[int]
    victim_group_ids: Sequence[int]


@dataclass(frozen=True)
class OpenRisk:
    incident_id: int
    incident_day: date
    kind: str
    municipality: str
    open_until: date
    top: list[RiskRow]


def _scope_ids(principal: Principal) -> list[int]:
    return sorted(principal.municipality_ids) or [-1]


def incident_scope(principal: Principal) -> Any:
    return Incident.municipality.is_in(_scope_ids(principal)) & (Incident.archived_at.is_null())


# --- choices ---------------------------------------------------------------------------


async def municipality_choices(principal: Principal) -> list[Choice]:
    rows = (
        await Municipality.select(Municipality.id, Municipality.name)
        .where(Municipality.id.is_in(_scope_ids(principal)) & Municipality.archived_at.is_null())
        .order_by(Municipality.name)
    )
    return [Choice(r["id"], r["name"]) for r in rows]


async def group_choices(principal: Principal) -> list[Choice]:
    """Groups of the user's municipalities, by name."""
    rows = (
        await Group.select(Group.id, Group.name, Group.municipality.name.as_alias("m"))
        .where(Group.municipality.is_in(_scope_ids(principal)) & Group.archived_at.is_null())
        .order_by(Group.name)
    )
    return [Choice(r["id"], f"{r['name']} ({r['m']})") for r in rows]


# --- reading ---------------------------------------------------------------------------


async def _group_names(incident_ids: Sequence[int]) -> dict[int, list[tuple[str, str, int]]]:
    if not incident_ids:
        return {}
    rows = (
        await IncidentGroup.select(
            IncidentGroup.incident,
            IncidentGroup.group,
            IncidentGroup.group.name.as_alias("name"),
            IncidentGroup.role,
        )
        .where(IncidentGroup.incident.is_in(list(incident_ids)))
        .order_by(IncidentGroup.id)
    )
    found: dict[int, list[tuple[str, str, int]]] = {}
    for r in rows:
        found.setdefault(r["incident"], []).append((r["role"], r["name"], r["group"]))
    return found


INCIDENT_SORTS = Sorts(
    "-when",
    when=Incident.occurred_at,
    kind=Incident.kind,
    place=(Incident.municipality.name, Incident.area),
    harm=Incident.harm,
    review=Incident.review_status,
)
"""The orders of the incident list (``?sort=``)."""


async def list_incidents(
    principal: Principal,
    *,
    search: str = "",
    kind: str = "",
    review_status: str = "",
    sort: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[IncidentRow], int]:
    """Incidents in the user's municipalities, newest first unless *sort* says
    otherwise (:data:`INCIDENT_SORTS`); search on the area.

    Only the area (a neighbourhood) is searchable: the search sits in the URL, and
    the place can be an address.
    """
    require(principal, Permission.incidents_read)
    where = incident_scope(principal)
    term = search.strip()
    if term:
        where = where & contains(Incident.area, term)
    if kind in INCIDENT_KIND_LABELS:
        where = where & (Incident.kind == kind)
    if review_status in REVIEW_LABELS:
        where = where & (Incident.review_status == review_status)
    async with write_transaction(Incident._meta.db):
        rows, total = await audited_page(
            INCIDENT_SORTS.apply(
                Incident.select(
                    Incident.id,
                    Incident.occurred_at,
                    Incident.municipality.name.as_alias("municipality_name"),
                    Incident.area,
                    Incident.kind,
                    Incident.harm,
                    Incident.review_status,
                ),
                sort,
                tiebreak=Incident.id,
            )
            .where(where)
            .limit(limit)
            .offset(offset),
            Incident.count().where(where),
            action=AuditAction.incident_read,
            actor=principal,
            target_type="incident",
            offset=offset,
            details={"view": "list"},
        )
        groups = await _group_names([r["id"] for r in rows])
    return [
        IncidentRow(
            id=r["id"],
            occurred_at=r["occurred_at"],
            municipality=r["municipality_name"],
            area=r["area"],
            kind=r["kind"],
            harm=r["harm"],
            review_status=r["review_status"],
            suspected=[n for role, n, _ in groups.get(r["id"], []) if role == "suspected"],
            victims=[n for role, n, _ in groups.get(r["id"], []) if role == "victim"],
        )
        for r in rows
    ], total


async def get_incident(principal: Principal, incident_id: int) -> IncidentDetail:
    require(principal, Permission.incidents_read)
    async with write_transaction(Incident._meta.db):
        row = (
            await Incident.select(
                Incident.id,
                Incident.version,
                Incident.occurred_at,
                Incident.municipality,
                Incident.municipality.name.as_alias("municipality_name"),
                Incident.area,
                Incident.place,
                Incident.kind,
                Incident.harm,
                Incident.motive,
                Incident.review_status,
                Incident.review_notes,
            )
            .where(incident_scope(principal) & (Incident.id == incident_id))
            .first()
        )
        if row is None:
            raise NotVisible()
        groups = (await _group_names([incident_id])).get(incident_id, [])
        people = (
            await IncidentPerson.select(
                IncidentPerson.id,
                IncidentPerson.person,
                IncidentPerson.person.code.as_alias("code"),
                IncidentPerson.person.home_municipality.as_alias("home"),
                IncidentPerson.person.protection.as_alias("protection"),
                IncidentPerson.role,
            )
            .where(
                (IncidentPerson.incident == incident_id)
                & IncidentPerson.person.archived_at.is_null()
            )
            .order_by(IncidentPerson.id)
        )
        risk = await retaliation.risk_view(principal, incident_id)
        if people:
            for p in people:
                await record(
                    AuditAction.incident_read,
                    actor=principal,
                    target_type="incident",
                    target_id=incident_id,
                    person_id=p["person"],
                    details={"role": p["role"]},
                )
        else:
            await record(
                AuditAction.incident_read,
                actor=principal,
                target_type="incident",
                target_id=incident_id,
            )
    return IncidentDetail(
        id=row["id"],
        version=row["version"],
        occurred_at=row["occurred_at"],
        municipality_id=row["municipality"],
        municipality=row["municipality_name"],
        area=row["area"],
        place=row["place"],
        kind=row["kind"],
        harm=row["harm"],
        motive=row["motive"],
        review_status=row["review_status"],
        review_notes=row["review_notes"],
        groups=[GroupLink(gid, name, role) for role, name, gid in groups],
        people=[
            PersonLink(
                link_id=p["id"],
                person_id=linked.person_id(principal, p["person"], p["home"]),
                code=linked.person_code(principal, p["code"], p["home"]),
                role=p["role"],
                # Another municipality's person: not even whether they are protected.
                protected=p["protection"] != Protection.none
                and linked.in_scope(principal, p["home"]),
            )
            for p in people
        ],
        risk=risk,
    )


async def open_risks(principal: Principal) -> list[OpenRisk]:
    """Retaliation-risk alerts still open for incidents in the user's municipalities."""
    require(principal, Permission.incidents_read)
    on = today()
    async with write_transaction(Incident._meta.db):
        # ISO dates compare as text: open_until >= today is a string comparison.
        rows = (
            await Alert.select(Alert.id, Alert.details)
            .where(
                (Alert.kind == Alert.Kind.retaliation_risk)
                & WhereRaw(f"{retaliation.detail_field('open_until')} >= {{}}", on.isoformat())
            )
            .order_by(Alert.id, ascending=False)
        )
        latest: dict[int, dict[str, Any]] = {}
        for row in rows:
            d = retaliation.alert_details(row["details"])
            incident_id = d.get("incident_id")
            if not isinstance(incident_id, int) or incident_id in latest:
                continue
            try:
                open_until = date.fromisoformat(str(d.get("open_until")))
            except ValueError:
                continue
            if open_until >= on:
                latest[incident_id] = d
        incidents = (
            await Incident.select(
                Incident.id,
                Incident.occurred_at,
                Incident.kind,
                Incident.municipality.name.as_alias("municipality_name"),
            )
            .where(incident_scope(principal) & Incident.id.is_in(sorted(latest) or [-1]))
            .order_by(Incident.occurred_at, ascending=False)
        )
        g, infos = await graphdata.signed_graph(on)
        await record(
            AuditAction.incident_read,
            actor=principal,
            target_type="incident",
            details={"count": len(incidents), "view": "risks"},
        )
    visible = retaliation.visible_names(g, infos, principal)
    return [
        OpenRisk(
            incident_id=r["id"],
            incident_day=local_day(r["occurred_at"]),
            kind=r["kind"],
            municipality=r["municipality_name"],
            open_until=date.fromisoformat(str(latest[r["id"]]["open_until"])),
            top=retaliation.risk_rows(latest[r["id"]].get("ranking", [])[:3], infos, visible),
        )
        for r in incidents
    ]


# --- writing ---------------------------------------------------------------------------


async def _check_draft(principal: Principal, draft: IncidentDraft, errors: dict[str, str]) -> None:
    if draft.occurred_at is not None and draft.occurred_at > clock.now() + timedelta(minutes=5):
        errors["occurred_on"] = gettext("Händelsen kan inte ligga i framtiden.")
    if draft.municipality_id is None or draft.municipality_id not in principal.municipality_ids:
        errors.setdefault("municipality", gettext("Välj en av dina kommuner."))
    if draft.kind not in INCIDENT_KIND_LABELS:
        errors.setdefault("kind", gettext("Välj typ av händelse."))
    if draft.harm not in HARM_LABELS:
        errors.setdefault("harm", gettext("Välj skada."))
    if len(draft.area) > 200:
        errors.setdefault("area", gettext("Högst 200 tecken."))
    for key, value in (("place", draft.place), ("motive", draft.motive)):
        if len(value) > 4000:
            errors.setdefault(key, gettext("Högst 4000 tecken."))
    wanted = set(draft.suspected_group_ids) | set(draft.victim_group_ids)
    if wanted:
        found = {
            r["id"]
            for r in await Group.select(Group.id).where(
                Group.id.is_in(sorted(wanted))
                & Group.municipality.is_in(_scope_ids(principal))
                & Group.archived_at.is_null()
            )
        }
        if set(draft.suspected_group_ids) - found:
            errors.setdefault("suspected_groups", gettext("Välj grupper i listan."))
        if set(draft.victim_group_ids) - found:
            errors.setdefault("victim_groups", gettext("Välj grupper i listan."))


async def _set_groups(incident_id: int, draft: IncidentDraft) -> None:
    await IncidentGroup.delete().where(IncidentGroup.incident == incident_id)
    rows = [
        IncidentGroup(incident=incident_id, group=g, role=IncidentGroup.Role.suspected)
        for g in dict.fromkeys(draft.suspected_group_ids)
    ] + [
        IncidentGroup(incident=incident_id, group=g, role=IncidentGroup.Role.victim)
        for g in dict.fromkeys(draft.victim_group_ids)
    ]
    if rows:
        await IncidentGroup.insert(*rows)


async def create_incident(
    principal: Principal, draft: IncidentDraft, *, known_errors: dict[str, str] | None = None
) -> int:
    """Record an incident and its groups; rank the retaliation risk in the same
    transaction. :class:`FormErrors` says what to fix, field by field."""
    require(principal, Permission.incidents_write)
    errors = dict(known_errors or {})
    if draft.occurred_at is None:
        errors.setdefault("occurred_on", gettext("Ange datum och tid."))
    async with write_transaction(Incident._meta.db):
        await _check_draft(principal, draft, errors)
        if errors or draft.occurred_at is None:
            raise FormErrors(errors)
        incident = Incident(
            occurred_at=draft.occurred_at.astimezone(UTC),
            municipality=draft.municipality_id,
            area=draft.area,
            place=draft.place,
            kind=draft.kind,
            harm=draft.harm,
            motive=draft.motive,
            recorded_by=principal.user_id,
        )
        await incident.save()
        await _set_groups(incident.id, draft)
        await record(
            AuditAction.incident_write,
            actor=principal,
            target_type="incident",
            target_id=incident.id,
            details={
                "op": "create",
                "suspected_groups": sorted(set(draft.suspected_group_ids)),
                "victim_groups": sorted(set(draft.victim_group_ids)),
            },
        )
        await retaliation.assess_retaliation(principal, incident.id)
    return incident.id


async def _for_write(principal: Principal, incident_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Incident.select(Incident.id, Incident.version, Incident.occurred_at)
        .where(incident_scope(principal) & (Incident.id == incident_id))
        .first()
    )
    if row is None:
        raise NotVisible()
    return row


async def update_incident(
    principal: Principal,
    incident_id: int,
    version: int,
    draft: IncidentDraft,
    *,
    known_errors: dict[str, str] | None = None,
) -> None:
    """Change what was recorded; the retaliation ranking is redone on the new facts."""
    require(principal, Permission.incidents_write)
    errors = dict(known_errors or {})
    if draft.occurred_at is None:
        errors.setdefault("occurred_on", gettext("Ange datum och tid."))
    async with write_transaction(Incident._meta.db):
        await _for_write(principal, incident_id)
        await _check_draft(principal, draft, errors)
        if errors or draft.occurred_at is None:
            raise FormErrors(errors)
        await versioned_update(
            Incident,
            incident_id,
            version,
            {
                Incident.occurred_at: draft.occurred_at.astimezone(UTC),
                Incident.municipality: draft.municipality_id,
                Incident.area: draft.area,
                Incident.place: draft.place,
                Incident.kind: draft.kind,
                Incident.harm: draft.harm,
                Incident.motive: draft.motive,
            },
        )
        await _set_groups(incident_id, draft)
        await record(
            AuditAction.incident_write,
            actor=principal,
            target_type="incident",
            target_id=incident_id,
            details={
                "op": "update",
                "suspected_groups": sorted(set(draft.suspected_group_ids)),
                "victim_groups": sorted(set(draft.victim_group_ids)),
            },
        )
        await retaliation.assess_retaliation(principal, incident_id)


async def review_incident(
    principal: Principal, incident_id: int, version: int, status: str, notes: str
) -> None:
    require(principal, Permission.incidents_write)
    errors: dict[str, str] = {}
    if status not in REVIEW_LABELS:
        errors["review_status"] = gettext("Välj granskningsstatus.")
    notes = notes.strip()
    if len(notes) > 4000:
        errors["review_notes"] = gettext("Högst 4000 tecken.")
    async with write_transaction(Incident._meta.db):
        await _for_write(principal, incident_id)
        if errors:
            raise FormErrors(errors)
        await versioned_update(
            Incident,
            incident_id,
            version,
            {Incident.review_status: status, Incident.review_notes: notes},
        )
        await record(
            AuditAction.incident_write,
            actor=principal,
            target_type="incident",
            target_id=incident_id,
            details={"op": "review", "status": status},
        )


async def link_person(principal: Principal, incident_id: int, code: str, role: str) -> int:
    """Attach a person (by code, in the user's scope) to an incident."""
    require(principal, Permission.incidents_write)
    errors: dict[str, str] = {}
    code = code.strip().upper()
    if not PERSON_CODE.fullmatch(code):
        errors["code"] = gettext(PERSON_CODE_MESSAGE)
    if role not in PERSON_ROLE_LABELS:
        errors["role"] = gettext("Välj en roll.")
    async with write_transaction(Incident._meta.db):
        await _for_write(principal, incident_id)
        person = None
        if "code" not in errors:
            person = (
                await Person.select(Person.id)
                .where(
                    (Person.code == code)
                    & Person.home_municipality.is_in(_scope_ids(principal))
                    & Person.archived_at.is_null()
                )
                .first()
            )
            if person is None:
                errors["code"] = gettext(NO_SUCH_PERSON)
        if errors or person is None:
            raise FormErrors(errors)
        if await IncidentPerson.exists().where(
            (IncidentPerson.incident == incident_id)
            & (IncidentPerson.person == person["id"])
            & (IncidentPerson.role == role)
        ):
            raise FormErrors(
                {"code": gettext("Personen är redan kopplad till händelsen med den rollen.")}
            )
        link = IncidentPerson(incident=incident_id, person=person["id"], role=role)
        await link.save()
        await record(
            AuditAction.incident_write,
            actor=principal,
            target_type="incident",
            target_id=incident_id,
            person_id=person["id"],
            details={"op": "link_person", "role": role},
        )
    return link.id


async def unlink_person(principal: Principal, incident_id: int, link_id: int) -> None:
    require(principal, Permission.incidents_write)
    async with write_transaction(Incident._meta.db):
        await _for_write(principal, incident_id)
        link = (
            await IncidentPerson.select(
                IncidentPerson.id, IncidentPerson.person, IncidentPerson.role
            )
            .where((IncidentPerson.id == link_id) & (IncidentPerson.incident == incident_id))
            .first()
        )
        if link is None:
            raise NotVisible()
        await IncidentPerson.delete().where(IncidentPerson.id == link_id)
        await record(
            AuditAction.incident_write,
            actor=principal,
            target_type="incident",
            target_id=incident_id,
            person_id=link["person"],
            details={"op": "unlink_person", "role": link["role"]},
        )


async def incident_choices(principal: Principal, *, limit: int = 200) -> list[Choice]:
    """Recent incidents in scope, for choosing an enforcement action's trigger."""
    rows = (
        await Incident.select(
            Incident.id,
            Incident.occurred_at,
            Incident.kind,
            Incident.municipality.name.as_alias("m"),
        )
        .where(incident_scope(principal))
        .order_by(Incident.occurred_at, ascending=False)
        .limit(limit)
    )
    return [
        Choice(
            r["id"],
            f"{local_day(r['occurred_at']).isoformat()} "
            f"{gettext(INCIDENT_KIND_LABELS.get(r['kind'], r['kind']))} ({r['m']}, nr {r['id']})",
        )
        for r in rows
    ]
