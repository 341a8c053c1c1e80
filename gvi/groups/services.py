"""Groups, aliases, memberships, relations, the review queue and the CSV import.

The one place that knows the scope, the queries and the audit row of each
action on the group register (DESIGN §3, §4):

- A group is visible when its municipality is in the user's scope and it is
  not archived.
- A membership or a relation is visible when at least one end is (a person of
  the user's municipality in a group elsewhere, a rivalry across the border),
  and can be written only when both ends are.
- Analysts (``Principal.pseudonymous_only``) get views without free text: notes
  and sources are not even selected for them, and their view types have no
  field to put them in.
- Every list, read and write of memberships (person-level data) writes its
  audit row in the same transaction.
- Changes name the version they read (``WHERE id = ? AND version = ?``);
  history is archived, never deleted.

Memberships and relations are claims, evidence rather than fact: each carries
its source, confidence, validity and a review date, and claims past their
review date wait in the review queue until someone confirms or ends them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import anyio.to_thread
import asyncpg
from litestar.exceptions import NotFoundException
from msgspec import UNSET, UnsetType

from gvi.access import linked
from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.versioning import bump_version
from gvi.db import write_transaction
from gvi.groups import forms, importer
from gvi.groups.forms import form_message
from gvi.groups.tables import Confidence, Group, GroupAlias, GroupRelation, Membership
from gvi.i18n import N_, gettext
from gvi.municipalities.tables import Municipality
from gvi.people.tables import Person

CONFLICT_GROUP = N_(
    "Någon annan har ändrat gruppen medan du redigerade. Dina ändringar har inte sparats. "
    "Ladda om sidan för att se de nya uppgifterna och gör ändringen igen."
)
CONFLICT_MEMBERSHIP = N_(
    "Någon annan har ändrat medlemskapet medan du redigerade. Dina ändringar har inte "
    "sparats. Ladda om sidan och gör ändringen igen."
)
CONFLICT_RELATION = N_(
    "Någon annan har ändrat relationen medan du redigerade. Dina ändringar har inte "
    "sparats. Ladda om sidan och gör ändringen igen."
)
NAME_TAKEN = N_("Det finns redan en grupp med det namnet. Välj ett annat namn.")

# Rows per INSERT in the import: well under SQLite's limit on bound parameters.
_CHUNK = 200


class GroupError(Exception):
    """A refusal a person can act on; the message is safe to show."""


class FormErrors(GroupError):
    """Input problems, one message per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class VersionConflict(GroupError):
    """The row changed since the form was shown; nothing was written."""


# --- views ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class AliasView:
    id: int
    alias: str


@dataclass(frozen=True)
class GroupView:
    """A group without free text: what analysts see."""

    id: int
    name: str
    municipality_id: int
    municipality: str
    area: str
    status: str
    version: int
    aliases: tuple[AliasView, ...]


@dataclass(frozen=True)
class GroupFull(GroupView):
    notes: str


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
class RelationView:
    """A relation claim without free text. splinter_of and subgroup_of read A → B."""

    id: int
    group_a_id: int
    group_a: str
    group_b_id: int
    group_b: str
    # Whether each end is in the user's scope (a link to it is shown only then).
    a_in_scope: bool
    b_in_scope: bool
    kind: str
    intensity: int
    confidence: str
    valid_from: date | None
    valid_to: date | None
    review_by: date | None
    version: int

    @property
    def writable(self) -> bool:
        return self.a_in_scope and self.b_in_scope


@dataclass(frozen=True)
class RelationFull(RelationView):
    source: str
    recorded_by: str


@dataclass(frozen=True)
class GroupDetail:
    group: GroupView
    members: list[MembershipView]
    relations: list[RelationView]
    as_of: date | None


@dataclass(frozen=True)
class ReviewQueue:
    memberships: list[MembershipFull]
    memberships_total: int
    relations: list[RelationFull]
    relations_total: int
    can_review_memberships: bool
    can_review_relations: bool


# --- drafts: what a form or an API call asks for ---------------------------------------


@dataclass(frozen=True)
class GroupDraft:
    name: str
    municipality_id: int | None
    area: str = ""
    status: str = "active"
    notes: str = ""


@dataclass(frozen=True)
class GroupChanges:
    """UNSET: keep what is there."""

    name: str | UnsetType = UNSET
    municipality_id: int | UnsetType | None = UNSET
    area: str | UnsetType = UNSET
    status: str | UnsetType = UNSET
    notes: str | UnsetType = UNSET


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


@dataclass(frozen=True)
class RelationDraft:
    group_a_id: int | None
    group_b_id: int | None
    kind: str
    intensity: int | None = 1
    confidence: str = "medium"
    valid_from: date | None = None
    valid_to: date | None = None
    review_by: date | None = None
    source: str = ""


@dataclass(frozen=True)
class RelationChanges:
    """The claim itself; the two groups are fixed (another pair is another claim)."""

    kind: str | UnsetType = UNSET
    intensity: int | UnsetType | None = UNSET
    confidence: str | UnsetType = UNSET
    valid_from: date | UnsetType | None = UNSET
    valid_to: date | UnsetType | None = UNSET
    review_by: date | UnsetType | None = UNSET
    source: str | UnsetType = UNSET


# --- helpers -------------------------------------------------------------------------


today = clock.today


def _require(principal: Principal, *permissions: Permission) -> None:
    # The guard checked the route's permission; this keeps a service safe on its own.
    for permission in permissions:
        if not principal.can(permission):
            raise NotFoundException()


def _engine() -> Any:
    return Group._meta.db


def _ids(principal: Principal) -> list[int]:
    return sorted(principal.municipality_ids) or [-1]


def _like(column: Any, term: str) -> Any:
    pattern = "%" + term.replace("%", "").replace("_", "") + "%"
    # SQLite's LIKE already ignores case (for ASCII); Piccolo warns on every ilike there.
    if _engine().engine_type == "postgres":
        return column.ilike(pattern)
    return column.like(pattern)


def _group_scope(principal: Principal) -> Any:
    return Group.municipality.is_in(_ids(principal)) & Group.archived_at.is_null()


def _membership_visible(principal: Principal) -> Any:
    ids = _ids(principal)
    return (
        Membership.archived_at.is_null()
        & Membership.group.archived_at.is_null()
        & Membership.person.archived_at.is_null()
        & (
            Membership.group.municipality.is_in(ids)
            | Membership.person.home_municipality.is_in(ids)
        )
    )


def _membership_writable(principal: Principal) -> Any:
    ids = _ids(principal)
    return (
        Membership.archived_at.is_null()
        & Membership.group.archived_at.is_null()
        & Membership.person.archived_at.is_null()
        & Membership.group.municipality.is_in(ids)
        & Membership.person.home_municipality.is_in(ids)
    )


def _relation_visible(principal: Principal) -> Any:
    ids = _ids(principal)
    return (
        GroupRelation.archived_at.is_null()
        & GroupRelation.source_group.archived_at.is_null()
        & GroupRelation.target_group.archived_at.is_null()
        & (
            GroupRelation.source_group.municipality.is_in(ids)
            | GroupRelation.target_group.municipality.is_in(ids)
        )
    )


def _relation_writable(principal: Principal) -> Any:
    ids = _ids(principal)
    return (
        GroupRelation.archived_at.is_null()
        & GroupRelation.source_group.archived_at.is_null()
        & GroupRelation.target_group.archived_at.is_null()
        & GroupRelation.source_group.municipality.is_in(ids)
        & GroupRelation.target_group.municipality.is_in(ids)
    )


def _as_of(table: type[Membership] | type[GroupRelation], day: date) -> Any:
    return (table.valid_from.is_null() | (table.valid_from <= day)) & (
        table.valid_to.is_null() | (table.valid_to >= day)
    )


def _full(principal: Principal) -> bool:
    return not principal.pseudonymous_only


def _as_date(value: Any) -> date | None:
    # SQLite hands dates back as text through joins on some paths.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _clean_line(value: str) -> str:
    return " ".join(value.split())


def _check_text(value: str, key: str, errors: dict[str, str]) -> str:
    value = value.strip()
    if len(value) > forms.TEXT_MAX:
        errors[key] = form_message("text_long")
    return value


def _check_dates(valid_from: date | None, valid_to: date | None, errors: dict[str, str]) -> None:
    if valid_from and valid_to and valid_to < valid_from:
        errors.setdefault("valid_to", form_message("dates_order"))


def _merge(value: Any, current: Any) -> Any:
    return current if value is UNSET else value


# --- choices for the forms -----------------------------------------------------------


async def municipality_choices(principal: Principal) -> list[Choice]:
    rows = (
        await Municipality.select(Municipality.id, Municipality.name)
        .where(Municipality.id.is_in(_ids(principal)) & Municipality.archived_at.is_null())
        .order_by(Municipality.name)
    )
    return [Choice(r["id"], r["name"]) for r in rows]


async def group_choices(principal: Principal) -> list[Choice]:
    """Groups the user may attach claims to (in scope, not archived), by name."""
    _require(principal, Permission.groups_read)
    rows = (
        await Group.select(Group.id, Group.name, Group.municipality.name.as_alias("m"))
        .where(_group_scope(principal))
        .order_by(Group.name)
    )
    return [Choice(r["id"], f"{r['name']} ({r['m']})") for r in rows]


# --- groups --------------------------------------------------------------------------


_GROUP_COLUMNS = (
    Group.id,
    Group.name,
    Group.municipality,
    Group.municipality.name.as_alias("municipality_name"),
    Group.area,
    Group.status,
    Group.version,
)


async def _aliases(group_ids: Sequence[int]) -> dict[int, tuple[AliasView, ...]]:
    if not group_ids:
        return {}
    rows = (
        await GroupAlias.select(GroupAlias.id, GroupAlias.group, GroupAlias.alias)
        .where(GroupAlias.group.is_in(list(group_ids)))
        .order_by(GroupAlias.alias)
    )
    result: dict[int, list[AliasView]] = {}
    for r in rows:
        result.setdefault(r["group"], []).append(AliasView(r["id"], r["alias"]))
    return {k: tuple(v) for k, v in result.items()}


def _group_view(row: dict[str, Any], aliases: tuple[AliasView, ...], full: bool) -> GroupView:
    values: dict[str, Any] = {
        "id": row["id"],
        "name": row["name"],
        "municipality_id": row["municipality"],
        "municipality": row["municipality_name"],
        "area": row["area"],
        "status": row["status"],
        "version": row["version"],
        "aliases": aliases,
    }
    if full:
        return GroupFull(**values, notes=row["notes"])
    return GroupView(**values)


async def list_groups(
    principal: Principal,
    *,
    search: str = "",
    municipality_id: int | None = None,
    status: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[GroupView], int]:
    """Groups in scope whose name, alias or area contains *search*, by name. Lists
    never carry notes, whoever asks."""
    _require(principal, Permission.groups_read)
    where = _group_scope(principal)
    term = _clean_line(search)
    if term:
        where = where & (
            _like(Group.name, term)
            | _like(Group.area, term)
            | Group.id.is_in(
                GroupAlias.select(GroupAlias.group).where(_like(GroupAlias.alias, term))
            )
        )
    if municipality_id is not None:
        where = where & (Group.municipality == municipality_id)
    if status in forms.STATUS_LABELS:
        where = where & (Group.status == status)
    rows = (
        await Group.select(*_GROUP_COLUMNS)
        .where(where)
        .order_by(Group.name)
        .limit(limit)
        .offset(offset)
    )
    total = await Group.count().where(where)
    aliases = await _aliases([r["id"] for r in rows])
    return [_group_view(r, aliases.get(r["id"], ()), full=False) for r in rows], total


async def get_group(principal: Principal, group_id: int) -> GroupView:
    """One group (with notes unless the user is an analyst); 404 outside the scope."""
    _require(principal, Permission.groups_read)
    full = _full(principal)
    columns = (*_GROUP_COLUMNS, Group.notes) if full else _GROUP_COLUMNS
    row = (
        await Group.select(*columns).where(_group_scope(principal) & (Group.id == group_id)).first()
    )
    if row is None:
        raise NotFoundException()
    aliases = await _aliases([group_id])
    return _group_view(row, aliases.get(group_id, ()), full=full)


async def group_detail(
    principal: Principal, group_id: int, *, as_of: date | None = None
) -> GroupDetail:
    """A group with its members (codes only) and relations valid on *as_of* (all
    current claims when None). Reading the member list is audited."""
    async with write_transaction(_engine()):
        group = await get_group(principal, group_id)
        members, _ = await _select_memberships(
            principal, Membership.group == group_id, as_of=as_of, limit=None
        )
        relations, _ = await _select_relations(
            principal,
            (GroupRelation.source_group == group_id) | (GroupRelation.target_group == group_id),
            as_of=as_of,
            limit=None,
        )
        await record(
            AuditAction.person_read,
            actor=principal,
            target_type="group",
            target_id=group_id,
            details={"view": "group_members", "count": len(members)},
        )
    return GroupDetail(group=group, members=members, relations=relations, as_of=as_of)


async def _name_taken(name: str, group_id: int | None = None) -> bool:
    # lower() on both sides: names differing only in case would confuse people.
    rows = await Group.raw("SELECT id FROM criminal_group WHERE lower(name) = lower({})", name)
    return any(r["id"] != group_id for r in rows)


async def _check_group(
    principal: Principal,
    *,
    name: str,
    municipality_id: int | None,
    area: str,
    status: str,
    notes: str,
    errors: dict[str, str],
    group_id: int | None = None,
) -> dict[str, Any]:
    """The cleaned values by column name; problems go to *errors*."""
    name = _clean_line(name)
    if not name:
        errors.setdefault("name", form_message("name"))
    elif len(name) > forms.NAME_MAX:
        errors.setdefault("name", form_message("name_long"))
    elif await _name_taken(name, group_id):
        errors.setdefault("name", gettext(NAME_TAKEN))
    if municipality_id is None or municipality_id not in principal.municipality_ids:
        errors.setdefault("municipality", gettext("Välj en av dina kommuner i listan."))
    area = _clean_line(area)
    if len(area) > forms.AREA_MAX:
        errors.setdefault("area", form_message("area_long"))
    if status not in forms.STATUS_LABELS:
        errors.setdefault("status", form_message("status"))
    notes = _check_text(notes, "notes", errors)
    return {
        "name": name,
        "municipality": municipality_id,
        "area": area,
        "status": status,
        "notes": notes,
    }


def _unique_violation(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.IntegrityError | asyncpg.UniqueViolationError)


async def create_group(
    principal: Principal, draft: GroupDraft, *, known_errors: dict[str, str] | None = None
) -> int:
    _require(principal, Permission.groups_write)
    errors = dict(known_errors or {})
    try:
        async with write_transaction(_engine()):
            values = await _check_group(
                principal,
                name=draft.name,
                municipality_id=draft.municipality_id,
                area=draft.area,
                status=draft.status,
                notes=draft.notes,
                errors=errors,
            )
            if errors:
                raise FormErrors(errors)
            group = Group(**values, recorded_by=principal.user_id)
            await group.save()
            await record(
                AuditAction.group_create,
                actor=principal,
                target_type="group",
                target_id=group.id,
                details={"municipality_id": draft.municipality_id},
            )
    except Exception as exc:
        if _unique_violation(exc):
            # Taken between the check and the insert.
            raise FormErrors({"name": gettext(NAME_TAKEN)}) from exc
        raise
    return int(group.id)


async def _group_for_write(principal: Principal, group_id: int, version: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Group.select(*_GROUP_COLUMNS, Group.notes)
        .where(_group_scope(principal) & (Group.id == group_id))
        .first()
    )
    if row is None:
        raise NotFoundException()
    if row["version"] != version:
        raise VersionConflict(gettext(CONFLICT_GROUP))
    return row


async def _versioned_update(
    table: Any, row_id: int, version: int, values: dict[Any, Any], conflict: str
) -> None:
    if not await bump_version(table, row_id, version, values, live_only=True):
        raise VersionConflict(conflict)


async def update_group(
    principal: Principal,
    group_id: int,
    version: int,
    changes: GroupChanges,
    *,
    known_errors: dict[str, str] | None = None,
) -> None:
    _require(principal, Permission.groups_write)
    errors = dict(known_errors or {})
    try:
        async with write_transaction(_engine()):
            current = await _group_for_write(principal, group_id, version)
            values = await _check_group(
                principal,
                name=_merge(changes.name, current["name"]),
                municipality_id=_merge(changes.municipality_id, current["municipality"]),
                area=_merge(changes.area, current["area"]),
                status=_merge(changes.status, current["status"]),
                notes=_merge(changes.notes, current["notes"]),
                errors=errors,
                group_id=group_id,
            )
            if errors:
                raise FormErrors(errors)
            columns = {getattr(Group, name): value for name, value in values.items()}
            await _versioned_update(Group, group_id, version, columns, gettext(CONFLICT_GROUP))
            await record(
                AuditAction.group_write,
                actor=principal,
                target_type="group",
                target_id=group_id,
                details={"op": "update", "version": version + 1},
            )
    except Exception as exc:
        if _unique_violation(exc):
            raise FormErrors({"name": gettext(NAME_TAKEN)}) from exc
        raise


async def archive_group(principal: Principal, group_id: int, version: int) -> None:
    """Archive (never delete): the group leaves lists and selects; its claims stay as history."""
    _require(principal, Permission.groups_write)
    async with write_transaction(_engine()):
        await _group_for_write(principal, group_id, version)
        await _versioned_update(
            Group,
            group_id,
            version,
            {Group.archived_at: clock.now()},
            gettext(CONFLICT_GROUP),
        )
        await record(
            AuditAction.group_archive, actor=principal, target_type="group", target_id=group_id
        )


async def add_alias(principal: Principal, group_id: int, alias: str) -> int:
    _require(principal, Permission.groups_write)
    alias = _clean_line(alias)
    if not alias:
        raise FormErrors({"alias": gettext("Skriv aliaset du vill lägga till.")})
    if len(alias) > forms.ALIAS_MAX:
        raise FormErrors({"alias": form_message("alias_long")})
    async with write_transaction(_engine()):
        if not await Group.exists().where(_group_scope(principal) & (Group.id == group_id)):
            raise NotFoundException()
        existing = await GroupAlias.select(GroupAlias.alias).where(GroupAlias.group == group_id)
        if any(r["alias"].casefold() == alias.casefold() for r in existing):
            raise FormErrors({"alias": gettext("Gruppen har redan det aliaset.")})
        row = GroupAlias(group=group_id, alias=alias)
        await row.save()
        await record(
            AuditAction.group_write,
            actor=principal,
            target_type="group",
            target_id=group_id,
            details={"op": "alias_add", "alias_id": row.id},
        )
    return int(row.id)


async def remove_alias(principal: Principal, group_id: int, alias_id: int) -> None:
    # An alias is a label, not a claim: removing it deletes the row, and the trail keeps
    # that it happened.
    _require(principal, Permission.groups_write)
    async with write_transaction(_engine()):
        if not await Group.exists().where(_group_scope(principal) & (Group.id == group_id)):
            raise NotFoundException()
        removed = (
            await GroupAlias.delete()
            .where((GroupAlias.id == alias_id) & (GroupAlias.group == group_id))
            .returning(GroupAlias.id)
        )
        if not removed:
            raise NotFoundException()
        await record(
            AuditAction.group_write,
            actor=principal,
            target_type="group",
            target_id=group_id,
            details={"op": "alias_remove", "alias_id": alias_id},
        )


# --- memberships ---------------------------------------------------------------------


def _membership_columns(full: bool) -> list[Any]:
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
        columns += [Membership.source, Membership.recorded_by.username.as_alias("recorded_by_u")]
    return columns


def _membership_view(row: dict[str, Any], principal: Principal, full: bool) -> MembershipView:
    scope = principal.municipality_ids
    values: dict[str, Any] = {
        "id": row["id"],
        "person_id": linked.person_id(principal, row["person"], row["person_municipality"]),
        "person_code": linked.person_code(
            principal, row["person_code"], row["person_municipality"]
        ),
        "group_id": row["group"],
        "group_name": row["group_name"],
        "role": row["role"],
        "confidence": row["confidence"],
        "valid_from": _as_date(row["valid_from"]),
        "valid_to": _as_date(row["valid_to"]),
        "review_by": _as_date(row["review_by"]),
        "version": row["version"],
        "writable": row["group_municipality"] in scope and row["person_municipality"] in scope,
    }
    if full:
        source = linked.free_text(
            principal, row["source"], row["group_municipality"], row["person_municipality"]
        )
        return MembershipFull(**values, source=source, recorded_by=row["recorded_by_u"] or "")
    return MembershipView(**values)


async def _select_memberships(
    principal: Principal,
    where: Any,
    *,
    as_of: date | None,
    limit: int | None,
    offset: int = 0,
    writable_only: bool = False,
    order: Any = None,
) -> tuple[list[MembershipView], int]:
    full = _full(principal)
    scope = _membership_writable(principal) if writable_only else _membership_visible(principal)
    condition = scope & where
    if as_of is not None:
        condition = condition & _as_of(Membership, as_of)
    query = Membership.select(*_membership_columns(full)).where(condition)
    if order is not None:
        query = query.order_by(order)
    else:
        query = query.order_by(Membership.group.name).order_by(Membership.person.code)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = await query
    total = len(rows) if limit is None else await Membership.count().where(condition)
    return [_membership_view(r, principal, full) for r in rows], total


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
    _require(principal, Permission.groups_read)
    where: Any = Membership.id.is_not_null()
    if group_id is not None:
        where = where & (Membership.group == group_id)
    if person_id is not None:
        where = where & (Membership.person == person_id)
    async with write_transaction(_engine()):
        rows, total = await _select_memberships(
            principal, where, as_of=as_of, limit=limit, offset=offset
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
    _require(principal, Permission.groups_read, Permission.people_read)
    in_scope = await Person.exists().where(
        (Person.id == person_id)
        & Person.home_municipality.is_in(_ids(principal))
        & Person.archived_at.is_null()
    )
    if not in_scope:
        raise NotFoundException()
    rows, _ = await list_memberships(principal, person_id=person_id, limit=None)
    return rows


async def get_membership(principal: Principal, membership_id: int) -> MembershipView:
    _require(principal, Permission.groups_read)
    async with write_transaction(_engine()):
        rows, _ = await _select_memberships(
            principal, Membership.id == membership_id, as_of=None, limit=None
        )
        if not rows:
            raise NotFoundException()
        await record(
            AuditAction.person_read,
            actor=principal,
            target_type="membership",
            target_id=membership_id,
            person_id=rows[0].person_id,
            details={"view": "membership"},
        )
    return rows[0]


async def _person_in_scope(principal: Principal, code: str) -> int | None:
    row = (
        await Person.select(Person.id)
        .where(
            (Person.code == code)
            & Person.home_municipality.is_in(_ids(principal))
            & Person.archived_at.is_null()
        )
        .first()
    )
    return None if row is None else int(row["id"])


async def _group_in_scope(principal: Principal, group_id: int | None) -> bool:
    if group_id is None:
        return False
    return bool(await Group.exists().where(_group_scope(principal) & (Group.id == group_id)))


def _check_claim(
    *,
    confidence: str,
    valid_from: date | None,
    valid_to: date | None,
    source: str,
    errors: dict[str, str],
) -> str:
    if confidence not in forms.CONFIDENCE_LABELS:
        errors.setdefault("confidence", form_message("confidence"))
    _check_dates(valid_from, valid_to, errors)
    return _check_text(source, "source", errors)


async def create_membership(
    principal: Principal,
    draft: MembershipDraft,
    *,
    known_errors: dict[str, str] | None = None,
) -> MembershipView:
    _require(principal, Permission.memberships_write)
    errors = dict(known_errors or {})
    async with write_transaction(_engine()):
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
        if not await _group_in_scope(principal, draft.group_id):
            errors.setdefault("group", gettext("Välj en grupp i listan."))
        if draft.role not in forms.ROLE_LABELS:
            errors.setdefault("role", form_message("role"))
        source = _check_claim(
            confidence=draft.confidence,
            valid_from=draft.valid_from,
            valid_to=draft.valid_to,
            source=draft.source,
            errors=errors,
        )
        if errors or person_id is None:
            raise FormErrors(errors)
        row = Membership(
            person=person_id,
            group=draft.group_id,
            role=draft.role,
            confidence=draft.confidence,
            valid_from=draft.valid_from,
            valid_to=draft.valid_to,
            review_by=draft.review_by,
            source=source,
            recorded_by=principal.user_id,
        )
        await row.save()
        await record(
            AuditAction.membership_write,
            actor=principal,
            target_type="membership",
            target_id=row.id,
            person_id=person_id,
            details={"op": "create", "group_id": draft.group_id},
        )
        created, _ = await _select_memberships(
            principal, Membership.id == row.id, as_of=None, limit=None
        )
    return created[0]


async def _membership_for_write(
    principal: Principal, membership_id: int, version: int
) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Membership.select(
            Membership.id,
            Membership.person,
            Membership.group,
            Membership.role,
            Membership.confidence,
            Membership.valid_from,
            Membership.valid_to,
            Membership.review_by,
            Membership.source,
            Membership.version,
        )
        .where(_membership_writable(principal) & (Membership.id == membership_id))
        .first()
    )
    if row is None:
        raise NotFoundException()
    if row["version"] != version:
        raise VersionConflict(gettext(CONFLICT_MEMBERSHIP))
    for key in ("valid_from", "valid_to", "review_by"):
        row[key] = _as_date(row[key])
    return row


async def _membership_event(
    principal: Principal, row: dict[str, Any], op: str, version: int
) -> None:
    await record(
        AuditAction.membership_write,
        actor=principal,
        target_type="membership",
        target_id=row["id"],
        person_id=row["person"],
        details={"op": op, "group_id": row["group"], "version": version},
    )


async def update_membership(
    principal: Principal,
    membership_id: int,
    version: int,
    changes: MembershipChanges,
    *,
    known_errors: dict[str, str] | None = None,
) -> None:
    _require(principal, Permission.memberships_write)
    errors = dict(known_errors or {})
    async with write_transaction(_engine()):
        current = await _membership_for_write(principal, membership_id, version)
        role = _merge(changes.role, current["role"])
        if role not in forms.ROLE_LABELS:
            errors.setdefault("role", form_message("role"))
        confidence = _merge(changes.confidence, current["confidence"])
        valid_from = _merge(changes.valid_from, current["valid_from"])
        valid_to = _merge(changes.valid_to, current["valid_to"])
        source = _check_claim(
            confidence=confidence,
            valid_from=valid_from,
            valid_to=valid_to,
            source=_merge(changes.source, current["source"]),
            errors=errors,
        )
        if errors:
            raise FormErrors(errors)
        await _versioned_update(
            Membership,
            membership_id,
            version,
            {
                Membership.role: role,
                Membership.confidence: confidence,
                Membership.valid_from: valid_from,
                Membership.valid_to: valid_to,
                Membership.review_by: _merge(changes.review_by, current["review_by"]),
                Membership.source: source,
            },
            gettext(CONFLICT_MEMBERSHIP),
        )
        await _membership_event(principal, current, "update", version + 1)


async def archive_membership(principal: Principal, membership_id: int, version: int) -> int:
    """Archive a claim entered in error (ending a true one is :func:`end_membership`).
    Returns the person's id, so the caller can go back to the person page."""
    _require(principal, Permission.memberships_write)
    async with write_transaction(_engine()):
        current = await _membership_for_write(principal, membership_id, version)
        await _versioned_update(
            Membership,
            membership_id,
            version,
            {Membership.archived_at: clock.now()},
            gettext(CONFLICT_MEMBERSHIP),
        )
        await _membership_event(principal, current, "archive", version + 1)
    return int(current["person"])


def _check_new_review_date(review_by: date | None) -> date:
    if review_by is None or review_by <= today():
        raise FormErrors({"review_by": gettext("Ange ett nytt granskningsdatum efter i dag.")})
    return review_by


def _check_end_date(valid_from: date | None, valid_to: date | None) -> date:
    end = valid_to or today()
    if valid_from and end < valid_from:
        raise FormErrors({"valid_to": form_message("dates_order")})
    return end


async def confirm_membership(
    principal: Principal, membership_id: int, version: int, review_by: date | None
) -> None:
    """The claim still holds: review it again on *review_by*."""
    _require(principal, Permission.memberships_write)
    new_date = _check_new_review_date(review_by)
    async with write_transaction(_engine()):
        current = await _membership_for_write(principal, membership_id, version)
        await _versioned_update(
            Membership,
            membership_id,
            version,
            {Membership.review_by: new_date},
            gettext(CONFLICT_MEMBERSHIP),
        )
        await _membership_event(principal, current, "confirm", version + 1)


async def end_membership(
    principal: Principal, membership_id: int, version: int, valid_to: date | None
) -> None:
    """The claim no longer holds from *valid_to* (today if None); ended claims need no review."""
    _require(principal, Permission.memberships_write)
    async with write_transaction(_engine()):
        current = await _membership_for_write(principal, membership_id, version)
        end = _check_end_date(current["valid_from"], valid_to)
        await _versioned_update(
            Membership,
            membership_id,
            version,
            {Membership.valid_to: end, Membership.review_by: None},
            gettext(CONFLICT_MEMBERSHIP),
        )
        await _membership_event(principal, current, "end", version + 1)


# --- relations -----------------------------------------------------------------------


def _relation_columns(full: bool) -> list[Any]:
    columns = [
        GroupRelation.id,
        GroupRelation.source_group,
        GroupRelation.source_group.name.as_alias("a_name"),
        GroupRelation.source_group.municipality.as_alias("a_municipality"),
        GroupRelation.target_group,
        GroupRelation.target_group.name.as_alias("b_name"),
        GroupRelation.target_group.municipality.as_alias("b_municipality"),
        GroupRelation.kind,
        GroupRelation.intensity,
        GroupRelation.confidence,
        GroupRelation.valid_from,
        GroupRelation.valid_to,
        GroupRelation.review_by,
        GroupRelation.version,
    ]
    if full:
        columns += [
            GroupRelation.source,
            GroupRelation.recorded_by.username.as_alias("recorded_by_u"),
        ]
    return columns


def _relation_view(row: dict[str, Any], principal: Principal, full: bool) -> RelationView:
    scope = principal.municipality_ids
    values: dict[str, Any] = {
        "id": row["id"],
        "group_a_id": row["source_group"],
        "group_a": row["a_name"],
        "group_b_id": row["target_group"],
        "group_b": row["b_name"],
        "a_in_scope": row["a_municipality"] in scope,
        "b_in_scope": row["b_municipality"] in scope,
        "kind": row["kind"],
        "intensity": row["intensity"],
        "confidence": row["confidence"],
        "valid_from": _as_date(row["valid_from"]),
        "valid_to": _as_date(row["valid_to"]),
        "review_by": _as_date(row["review_by"]),
        "version": row["version"],
    }
    if full:
        source = linked.free_text(
            principal, row["source"], row["a_municipality"], row["b_municipality"]
        )
        return RelationFull(**values, source=source, recorded_by=row["recorded_by_u"] or "")
    return RelationView(**values)


async def _select_relations(
    principal: Principal,
    where: Any,
    *,
    as_of: date | None,
    limit: int | None,
    offset: int = 0,
    writable_only: bool = False,
    order: Any = None,
) -> tuple[list[RelationView], int]:
    full = _full(principal)
    scope = _relation_writable(principal) if writable_only else _relation_visible(principal)
    condition = scope & where
    if as_of is not None:
        condition = condition & _as_of(GroupRelation, as_of)
    query = GroupRelation.select(*_relation_columns(full)).where(condition)
    if order is not None:
        query = query.order_by(order)
    else:
        query = query.order_by(GroupRelation.source_group.name).order_by(
            GroupRelation.target_group.name
        )
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = await query
    total = len(rows) if limit is None else await GroupRelation.count().where(condition)
    return [_relation_view(r, principal, full) for r in rows], total


async def list_relations(
    principal: Principal,
    *,
    group_id: int | None = None,
    as_of: date | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[RelationView], int]:
    _require(principal, Permission.groups_read)
    where: Any = GroupRelation.id.is_not_null()
    if group_id is not None:
        where = where & (
            (GroupRelation.source_group == group_id) | (GroupRelation.target_group == group_id)
        )
    return await _select_relations(principal, where, as_of=as_of, limit=limit, offset=offset)


async def get_relation(principal: Principal, relation_id: int) -> RelationView:
    _require(principal, Permission.groups_read)
    rows, _ = await _select_relations(
        principal, GroupRelation.id == relation_id, as_of=None, limit=None
    )
    if not rows:
        raise NotFoundException()
    return rows[0]


def _check_relation_claim(
    *,
    kind: str,
    intensity: int | None,
    confidence: str,
    valid_from: date | None,
    valid_to: date | None,
    source: str,
    errors: dict[str, str],
) -> str:
    if kind not in forms.KIND_LABELS:
        errors.setdefault("kind", form_message("kind"))
    if intensity is None or not forms.INTENSITY_MIN <= intensity <= forms.INTENSITY_MAX:
        errors.setdefault("intensity", form_message("intensity"))
    return _check_claim(
        confidence=confidence,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source,
        errors=errors,
    )


async def create_relation(
    principal: Principal,
    draft: RelationDraft,
    *,
    known_errors: dict[str, str] | None = None,
) -> RelationView:
    _require(principal, Permission.relations_write)
    errors = dict(known_errors or {})
    async with write_transaction(_engine()):
        if not await _group_in_scope(principal, draft.group_a_id):
            errors.setdefault("group_a", gettext("Välj den första gruppen i listan."))
        if not await _group_in_scope(principal, draft.group_b_id):
            errors.setdefault("group_b", gettext("Välj den andra gruppen i listan."))
        if draft.group_a_id is not None and draft.group_a_id == draft.group_b_id:
            errors["group_b"] = form_message("self_relation")
        source = _check_relation_claim(
            kind=draft.kind,
            intensity=draft.intensity,
            confidence=draft.confidence,
            valid_from=draft.valid_from,
            valid_to=draft.valid_to,
            source=draft.source,
            errors=errors,
        )
        if errors:
            raise FormErrors(errors)
        row = GroupRelation(
            source_group=draft.group_a_id,
            target_group=draft.group_b_id,
            kind=draft.kind,
            intensity=draft.intensity,
            confidence=draft.confidence,
            valid_from=draft.valid_from,
            valid_to=draft.valid_to,
            review_by=draft.review_by,
            source=source,
            recorded_by=principal.user_id,
        )
        await row.save()
        await record(
            AuditAction.relation_write,
            actor=principal,
            target_type="relation",
            target_id=row.id,
            details={"op": "create", "group_ids": [draft.group_a_id, draft.group_b_id]},
        )
        created, _ = await _select_relations(
            principal, GroupRelation.id == row.id, as_of=None, limit=None
        )
    return created[0]


async def _relation_for_write(
    principal: Principal, relation_id: int, version: int
) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await GroupRelation.select(
            GroupRelation.id,
            GroupRelation.source_group,
            GroupRelation.target_group,
            GroupRelation.kind,
            GroupRelation.intensity,
            GroupRelation.confidence,
            GroupRelation.valid_from,
            GroupRelation.valid_to,
            GroupRelation.review_by,
            GroupRelation.source,
            GroupRelation.version,
        )
        .where(_relation_writable(principal) & (GroupRelation.id == relation_id))
        .first()
    )
    if row is None:
        raise NotFoundException()
    if row["version"] != version:
        raise VersionConflict(gettext(CONFLICT_RELATION))
    for key in ("valid_from", "valid_to", "review_by"):
        row[key] = _as_date(row[key])
    return row


async def _relation_event(principal: Principal, row: dict[str, Any], op: str, version: int) -> None:
    await record(
        AuditAction.relation_write,
        actor=principal,
        target_type="relation",
        target_id=row["id"],
        details={
            "op": op,
            "group_ids": [row["source_group"], row["target_group"]],
            "version": version,
        },
    )


async def update_relation(
    principal: Principal,
    relation_id: int,
    version: int,
    changes: RelationChanges,
    *,
    known_errors: dict[str, str] | None = None,
) -> None:
    _require(principal, Permission.relations_write)
    errors = dict(known_errors or {})
    async with write_transaction(_engine()):
        current = await _relation_for_write(principal, relation_id, version)
        kind = _merge(changes.kind, current["kind"])
        intensity = _merge(changes.intensity, current["intensity"])
        confidence = _merge(changes.confidence, current["confidence"])
        valid_from = _merge(changes.valid_from, current["valid_from"])
        valid_to = _merge(changes.valid_to, current["valid_to"])
        source = _check_relation_claim(
            kind=kind,
            intensity=intensity,
            confidence=confidence,
            valid_from=valid_from,
            valid_to=valid_to,
            source=_merge(changes.source, current["source"]),
            errors=errors,
        )
        if errors:
            raise FormErrors(errors)
        await _versioned_update(
            GroupRelation,
            relation_id,
            version,
            {
                GroupRelation.kind: kind,
                GroupRelation.intensity: intensity,
                GroupRelation.confidence: confidence,
                GroupRelation.valid_from: valid_from,
                GroupRelation.valid_to: valid_to,
                GroupRelation.review_by: _merge(changes.review_by, current["review_by"]),
                GroupRelation.source: source,
            },
            gettext(CONFLICT_RELATION),
        )
        await _relation_event(principal, current, "update", version + 1)


async def archive_relation(principal: Principal, relation_id: int, version: int) -> int:
    """Archive a claim entered in error. Returns the first group's id (to go back to)."""
    _require(principal, Permission.relations_write)
    async with write_transaction(_engine()):
        current = await _relation_for_write(principal, relation_id, version)
        await _versioned_update(
            GroupRelation,
            relation_id,
            version,
            {GroupRelation.archived_at: clock.now()},
            gettext(CONFLICT_RELATION),
        )
        await _relation_event(principal, current, "archive", version + 1)
    return int(current["source_group"])


async def confirm_relation(
    principal: Principal, relation_id: int, version: int, review_by: date | None
) -> None:
    _require(principal, Permission.relations_write)
    new_date = _check_new_review_date(review_by)
    async with write_transaction(_engine()):
        current = await _relation_for_write(principal, relation_id, version)
        await _versioned_update(
            GroupRelation,
            relation_id,
            version,
            {GroupRelation.review_by: new_date},
            gettext(CONFLICT_RELATION),
        )
        await _relation_event(principal, current, "confirm", version + 1)


async def end_relation(
    principal: Principal, relation_id: int, version: int, valid_to: date | None
) -> None:
    _require(principal, Permission.relations_write)
    async with write_transaction(_engine()):
        current = await _relation_for_write(principal, relation_id, version)
        end = _check_end_date(current["valid_from"], valid_to)
        await _versioned_update(
            GroupRelation,
            relation_id,
            version,
            {GroupRelation.valid_to: end, GroupRelation.review_by: None},
            gettext(CONFLICT_RELATION),
        )
        await _relation_event(principal, current, "end", version + 1)


# --- the review queue ----------------------------------------------------------------


def can_review(principal: Principal) -> bool:
    """Police and coordinators: they see groups and people. Analysts see no sources,
    social services no police intelligence."""
    return principal.can(Permission.groups_read) and principal.can(Permission.people_read)


async def review_queue(
    principal: Principal,
    *,
    limit: int = 50,
    membership_offset: int = 0,
    relation_offset: int = 0,
    group: str = "",
) -> ReviewQueue:
    """Claims whose review date has passed, oldest first, that the user could act on
    (both ends in scope); *group* narrows both lists to groups whose name contains
    it. Listing the memberships is audited."""
    if not can_review(principal):
        raise NotFoundException()
    day = today()
    m_where = Membership.review_by < day
    r_where = GroupRelation.review_by < day
    if group.strip():
        m_where &= _like(Membership.group._.name, group.strip())
        r_where &= _like(GroupRelation.source_group._.name, group.strip()) | _like(
            GroupRelation.target_group._.name, group.strip()
        )
    async with write_transaction(_engine()):
        memberships, m_total = await _select_memberships(
            principal,
            m_where,
            as_of=None,
            limit=limit,
            offset=membership_offset,
            writable_only=True,
            order=Membership.review_by,
        )
        relations, r_total = await _select_relations(
            principal,
            r_where,
            as_of=None,
            limit=limit,
            offset=relation_offset,
            writable_only=True,
            order=GroupRelation.review_by,
        )
        await record(
            AuditAction.person_read,
            actor=principal,
            target_type="membership",
            details={"view": "review", "count": len(memberships), "offset": membership_offset},
        )
    return ReviewQueue(
        memberships=[m for m in memberships if isinstance(m, MembershipFull)],
        memberships_total=m_total,
        relations=[r for r in relations if isinstance(r, RelationFull)],
        relations_total=r_total,
        can_review_memberships=principal.can(Permission.memberships_write),
        can_review_relations=principal.can(Permission.relations_write),
    )


# --- the CSV import of a group audit -------------------------------------------------


@dataclass(frozen=True)
class ImportCounts:
    groups: int = 0
    aliases: int = 0
    memberships: int = 0
    relations: int = 0


@dataclass(frozen=True)
class ImportResult:
    dry_run: bool
    written: bool
    problems: list[importer.Problem]
    counts: ImportCounts
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def can_import(principal: Principal) -> bool:
    """Anyone who may write one of the three parts; each file is then checked on its own."""
    return principal.can(Permission.groups_read) and (
        principal.can(Permission.groups_write)
        or principal.can(Permission.memberships_write)
        or principal.can(Permission.relations_write)
    )


async def _import_lookups(principal: Principal, parsed: importer.ParsedUpload) -> importer.Lookups:
    ids = _ids(principal)
    municipalities = await Municipality.select(Municipality.id, Municipality.code).where(
        Municipality.id.is_in(ids) & Municipality.archived_at.is_null()
    )
    known = await Municipality.select(Municipality.code)
    in_scope = await Group.select(Group.id, Group.name).where(_group_scope(principal))
    taken = await Group.select(Group.name)
    people: dict[str, int] = {}
    codes = sorted(parsed.person_codes)
    for start in range(0, len(codes), 500):
        rows = await Person.select(Person.id, Person.code).where(
            Person.code.is_in(codes[start : start + 500])
            & Person.home_municipality.is_in(ids)
            & Person.archived_at.is_null()
        )
        people.update({r["code"]: r["id"] for r in rows})
    return importer.Lookups(
        municipalities={r["code"]: r["id"] for r in municipalities},
        known_municipality_codes=frozenset(r["code"] for r in known),
        existing_groups={r["name"].casefold(): r["id"] for r in in_scope},
        taken_names=frozenset(r["name"].casefold() for r in taken),
        people=people,
        can_write_groups=principal.can(Permission.groups_write),
        can_write_members=principal.can(Permission.memberships_write),
        can_write_relations=principal.can(Permission.relations_write),
    )


async def _insert(rows: list[Any]) -> None:
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        await type(chunk[0]).insert(*chunk)


async def _write_plan(principal: Principal, plan: importer.Plan) -> ImportCounts:
    groups = [
        Group(
            name=g.name,
            municipality=g.municipality_id,
            area=g.area,
            status=g.status,
            notes=g.notes,
            recorded_by=principal.user_id,
        )
        for g in plan.groups
    ]
    if groups:
        await _insert(groups)  # Piccolo sets each row's id

    def group_id(ref: importer.GroupRef) -> int:
        return int(groups[ref.new].id) if ref.new is not None else int(ref.existing or 0)

    aliases = [
        GroupAlias(group=group.id, alias=alias)
        for group, new in zip(groups, plan.groups, strict=True)
        for alias in new.aliases
    ]
    memberships = [
        Membership(
            person=m.person_id,
            group=group_id(m.group),
            role=m.role,
            confidence=Confidence(m.confidence),
            valid_from=m.valid_from,
            valid_to=m.valid_to,
            review_by=m.review_by,
            source=m.source,
            recorded_by=principal.user_id,
        )
        for m in plan.memberships
    ]
    relations = [
        GroupRelation(
            source_group=group_id(r.group_a),
            target_group=group_id(r.group_b),
            kind=r.kind,
            intensity=r.intensity,
            confidence=Confidence(r.confidence),
            valid_from=r.valid_from,
            valid_to=r.valid_to,
            review_by=r.review_by,
            source=r.source,
            recorded_by=principal.user_id,
        )
        for r in plan.relations
    ]
    for rows in (aliases, memberships, relations):
        if rows:
            await _insert(rows)
    return ImportCounts(
        groups=len(groups),
        aliases=len(aliases),
        memberships=len(memberships),
        relations=len(relations),
    )


def _planned(plan: importer.Plan) -> ImportCounts:
    return ImportCounts(
        groups=len(plan.groups),
        aliases=plan.alias_count,
        memberships=len(plan.memberships),
        relations=len(plan.relations),
    )


async def import_group_audit(
    principal: Principal, files: Mapping[str, bytes | None], *, dry_run: bool
) -> ImportResult:
    """Check an upload and, unless *dry_run*, write it: everything in one transaction
    with one audit event (counts only), or nothing at all when any row is bad."""
    if not can_import(principal):
        raise NotFoundException()
    # Parsing 15 MB of CSV takes a while: off the event loop.
    parsed = await anyio.to_thread.run_sync(importer.parse_upload, files)
    if dry_run:
        lookups = await _import_lookups(principal, parsed)
        plan, problems = importer.check_upload(parsed, lookups)
        counts = _planned(plan) if plan else ImportCounts()
        return ImportResult(True, False, problems, counts, dict(parsed.rows))
    async with write_transaction(_engine()):
        # Checked and written in the same transaction: what was checked is what is written.
        lookups = await _import_lookups(principal, parsed)
        plan, problems = importer.check_upload(parsed, lookups)
        if plan is None:
            return ImportResult(False, False, problems, ImportCounts(), dict(parsed.rows))
        counts = await _write_plan(principal, plan)
        if counts == ImportCounts():
            return ImportResult(False, False, [], counts, dict(parsed.rows))
        await record(
            AuditAction.group_import,
            actor=principal,
            target_type="group",
            details={
                "groups": counts.groups,
                "aliases": counts.aliases,
                "memberships": counts.memberships,
                "relations": counts.relations,
            },
        )
    return ImportResult(False, True, [], counts, dict(parsed.rows))
