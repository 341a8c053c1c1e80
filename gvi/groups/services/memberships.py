"""Memberships: a person in a group, a dated claim (see :mod:`.claims`).

Person-level data: every list, read and write is audited in the same
transaction, and the person appears as a code only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from msgspec import UNSET, UnsetType

from gvi.access import linked
from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.failures import NotVisible
from gvi.db import write_transaction
from gvi.groups import forms
from gvi.groups.forms import form_message
from gvi.groups.services.claims import DatedClaims, claim_values
from gvi.groups.services.scope import engine, group_in_scope, ids
from gvi.groups.tables import Membership
from gvi.i18n import N_, gettext
from gvi.people.tables import Person

CONFLICT_MEMBERSHIP = N_(
    "Någon annan har ändrat medlemskapet medan du redigerade. Dina ändringar har inte "
    "sparats. Ladda om sidan och gör ändringen igen."
)


@dataclass(frozen=True)
class MembershipView:
    """A membership claim without free text: what analysts see. The person is a code."""

    id: int
    # None, and the code "person i annan kommun", for a person outside the user's scope.
    person_id: int | None
    person_code: str
    group_id: int
    group_name: str
    role: str
    confidence: str
    valid_from: date | None
    valid_to: date | None
    review_by: date | None
    version: int
    # Both ends in the user's scope: only then may the claim be changed.
    writable: bool


@dataclass(frozen=True)
class MembershipFull(MembershipView):
    source: str
    recorded_by: str


@dataclass(frozen=True)
class MembershipDraft:
    person_code: str
    group_id: int | None
    role: str = "member"
    confidence: str = "medium"
    valid_from: date | None = None
    valid_to: date | None = None
    review_by: date | None = None
    source: str = ""


@dataclass(frozen=True)
class MembershipChanges:
    """The claim itself; the person and the group are fixed (another pair is another claim)."""

    role: str | UnsetType = UNSET
    confidence: str | UnsetType = UNSET
    valid_from: date | UnsetType | None = UNSET
    valid_to: date | UnsetType | None = UNSET
    review_by: date | UnsetType | None = UNSET
    source: str | UnsetType = UNSET


async def _person_in_scope(principal: Principal, code: str) -> int | None:
    row = (
        await Person.select(Person.id)
        .where(
            (Person.code == code)
            & Person.home_municipality.is_in(ids(principal))
            & Person.archived_at.is_null()
        )
        .first()
    )
    return None if row is None else int(row["id"])


class Memberships(DatedClaims[MembershipView]):
    table = Membership
    permission = Permission.memberships_write
    action = AuditAction.membership_write
    target_type = "membership"
    conflict = CONFLICT_MEMBERSHIP
    ends = ("person", "group")
    own_fields = ("role",)
    back_end = "person"

    def places(self) -> tuple[Any, Any]:
        return Membership.group.municipality, Membership.person.home_municipality

    def columns(self, full: bool) -> list[Any]:
        columns = [
            Membership.id,
            Membership.person,
            Membership.person.code.as_alias("person_code"),
            Membership.person.home_municipality.as_alias("person_municipality"),
            Membership.group,
            Membership.group.name.as_alias("group_name"),
            Membership.group.municipality.as_alias("group_municipality"),
            Membership.role,
            Membership.confidence,
            Membership.valid_from,
            Membership.valid_to,
            Membership.review_by,
            Membership.version,
        ]
        if full:
            columns += [
                Membership.source,
                Membership.recorded_by.username.as_alias("recorded_by_u"),
            ]
        return columns

    def order(self, query: Any) -> Any:
        return query.order_by(Membership.group.name).order_by(Membership.person.code)

    def view(self, row: dict[str, Any], principal: Principal, full: bool) -> MembershipView:
        scope = principal.municipality_ids
        person_place, group_place = row["person_municipality"], row["group_municipality"]
        values: dict[str, Any] = {
            "id": row["id"],
            "person_id": linked.person_id(principal, row["person"], person_place),
            "person_code": linked.person_code(principal, row["person_code"], person_place),
            "group_id": row["group"],
            "group_name": row["group_name"],
            "role": row["role"],
            **claim_values(row),
            "writable": group_place in scope and person_place in scope,
        }
        if full:
            source = linked.free_text(principal, row["source"], group_place, person_place)
            return MembershipFull(**values, source=source, recorded_by=row["recorded_by_u"] or "")
        return MembershipView(**values)

    def event_details(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {"group_id": row["group"]}

    def event_person(self, row: Mapping[str, Any]) -> int | None:
        return int(row["person"])

    def check_own(self, values: Mapping[str, Any], errors: dict[str, str]) -> None:
        if values["role"] not in forms.ROLE_LABELS:
            errors.setdefault("role", form_message("role"))

    async def check_ends(
        self, principal: Principal, draft: MembershipDraft, errors: dict[str, str]
    ) -> dict[str, Any] | None:
        person_id: int | None = None
        code = forms.clean_code(draft.person_code)
        if code is None:
            errors.setdefault("person_code", form_message("person_code"))
        else:
            person_id = await _person_in_scope(principal, code)
            if person_id is None:
                errors.setdefault(
                    "person_code",
                    gettext("Ingen person med den koden finns i dina kommuner. Kontrollera koden."),
                )
        if not await group_in_scope(principal, draft.group_id):
            errors.setdefault("group", gettext("Välj en grupp i listan."))
        if person_id is None:
            return None
        return {"person": person_id, "group": draft.group_id}


MEMBERSHIPS = Memberships()


async def list_memberships(
    principal: Principal,
    *,
    group_id: int | None = None,
    person_id: int | None = None,
    as_of: date | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[MembershipView], int]:
    """Memberships the user may see, optionally of one group or one person. Audited."""
    require(principal, Permission.groups_read)
    where: Any = Membership.id.is_not_null()
    if group_id is not None:
        where = where & (Membership.group == group_id)
    if person_id is not None:
        where = where & (Membership.person == person_id)
    async with write_transaction(engine()):
        rows, total = await MEMBERSHIPS.select(
            principal, where, as_of_day=as_of, limit=limit, offset=offset
        )
        await record(
            AuditAction.person_read,
            actor=principal,
            target_type="person" if person_id is not None else "membership",
            target_id=person_id if person_id is not None else "",
            person_id=person_id,
            details={
                "view": "memberships",
                "group_id": group_id,
                "count": len(rows),
                "offset": offset,
            },
        )
    return rows, total


async def person_memberships(principal: Principal, person_id: int) -> list[MembershipView]:
    """A person's memberships (all current claims, any validity) for the person page.
    Only for a person in the user's scope: the caller has shown them already."""
    require(principal, Permission.groups_read, Permission.people_read)
    in_scope = await Person.exists().where(
        (Person.id == person_id)
        & Person.home_municipality.is_in(ids(principal))
        & Person.archived_at.is_null()
    )
    if not in_scope:
        raise NotVisible()
    rows, _ = await list_memberships(principal, person_id=person_id, limit=None)
    return rows


async def get_membership(principal: Principal, membership_id: int) -> MembershipView:
    require(principal, Permission.groups_read)
    async with write_transaction(engine()):
        membership = await MEMBERSHIPS.one(principal, membership_id)
        await record(
            AuditAction.person_read,
            actor=principal,
            target_type="membership",
            target_id=membership_id,
            person_id=membership.person_id,
            details={"view": "membership"},
        )
    return membership
