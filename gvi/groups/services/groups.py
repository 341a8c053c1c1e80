"""Groups and their aliases: the nodes of the register.

A group is visible when its municipality is in the user's scope and it is not
archived. Lists never carry notes; analysts never get them. Reading a group's
member list is audited in the same transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from msgspec import UNSET, UnsetType

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.failures import FormErrors, NotVisible, VersionConflict
from gvi.core.sorting import Sorts
from gvi.core.versioning import versioned_update
from gvi.db import write_transaction
from gvi.groups import forms
from gvi.groups.forms import form_message
from gvi.groups.services.memberships import MEMBERSHIPS, MembershipView
from gvi.groups.services.relations import RELATIONS, RelationView
from gvi.groups.services.scope import (
    check_text,
    clean_line,
    engine,
    group_in_scope,
    group_scope,
    like,
    merge,
)
from gvi.groups.tables import Group, GroupAlias, GroupRelation, Membership
from gvi.i18n import N_, gettext

CONFLICT_GROUP = N_(
    "Någon annan har ändrat gruppen medan du redigerade. Dina ändringar har inte sparats. "
    "Ladda om sidan för att se de nya uppgifterna och gör ändringen igen."
)
NAME_TAKEN = N_("Det finns redan en grupp med det namnet. Välj ett annat namn.")


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
class GroupDetail:
    group: GroupView
    members: list[MembershipView]
    relations: list[RelationView]
    as_of: date | None


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


GROUP_SORTS = Sorts(
    "name",
    name=Group.name,
    municipality=Group.municipality.name,
    area=Group.area,
    status=Group.status,
)
"""The orders of the group register (``?sort=``); by name by default."""


async def list_groups(
    principal: Principal,
    *,
    search: str = "",
    municipality_id: int | None = None,
    status: str = "",
    sort: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[GroupView], int]:
    """Groups in scope whose name, alias or area contains *search*, by name. Lists
    never carry notes, whoever asks."""
    require(principal, Permission.groups_read)
    where = group_scope(principal)
    term = clean_line(search)
    if term:
        where = where & (
            like(Group.name, term)
            | like(Group.area, term)
            | Group.id.is_in(
                GroupAlias.select(GroupAlias.group).where(like(GroupAlias.alias, term))
            )
        )
    if municipality_id is not None:
        where = where & (Group.municipality == municipality_id)
    if status in forms.STATUS_LABELS:
        where = where & (Group.status == status)
    rows = (
        await GROUP_SORTS.apply(Group.select(*_GROUP_COLUMNS).where(where), sort, tiebreak=Group.id)
        .limit(limit)
        .offset(offset)
    )
    total = await Group.count().where(where)
    aliases = await _aliases([r["id"] for r in rows])
    return [_group_view(r, aliases.get(r["id"], ()), full=False) for r in rows], total


async def get_group(principal: Principal, group_id: int) -> GroupView:
    """One group (with notes unless the user is an analyst); 404 outside the scope."""
    require(principal, Permission.groups_read)
    full = not principal.pseudonymous_only
    columns = (*_GROUP_COLUMNS, Group.notes) if full else _GROUP_COLUMNS
    row = (
        await Group.select(*columns).where(group_scope(principal) & (Group.id == group_id)).first()
    )
    if row is None:
        raise NotVisible()
    aliases = await _aliases([group_id])
    return _group_view(row, aliases.get(group_id, ()), full=full)


async def group_detail(
    principal: Principal, group_id: int, *, as_of: date | None = None
) -> GroupDetail:
    """A group with its members (codes only) and relations valid on *as_of* (all
    current claims when None). Reading the member list is audited."""
    async with write_transaction(engine()):
        group = await get_group(principal, group_id)
        members, _ = await MEMBERSHIPS.select(
            principal, Membership.group == group_id, as_of_day=as_of, limit=None
        )
        relations, _ = await RELATIONS.select(
            principal,
            (GroupRelation.source_group == group_id) | (GroupRelation.target_group == group_id),
            as_of_day=as_of,
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
    name = clean_line(name)
    if not name:
        errors.setdefault("name", form_message("name"))
    elif len(name) > forms.NAME_MAX:
        errors.setdefault("name", form_message("name_long"))
    elif await _name_taken(name, group_id):
        errors.setdefault("name", gettext(NAME_TAKEN))
    if municipality_id is None or municipality_id not in principal.municipality_ids:
        errors.setdefault("municipality", gettext("Välj en av dina kommuner i listan."))
    area = clean_line(area)
    if len(area) > forms.AREA_MAX:
        errors.setdefault("area", form_message("area_long"))
    if status not in forms.STATUS_LABELS:
        errors.setdefault("status", form_message("status"))
    notes = check_text(notes, "notes", errors)
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
    require(principal, Permission.groups_write)
    errors = dict(known_errors or {})
    try:
        async with write_transaction(engine()):
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
        .where(group_scope(principal) & (Group.id == group_id))
        .first()
    )
    if row is None:
        raise NotVisible()
    if row["version"] != version:
        raise VersionConflict(gettext(CONFLICT_GROUP))
    return row


async def update_group(
    principal: Principal,
    group_id: int,
    version: int,
    changes: GroupChanges,
    *,
    known_errors: dict[str, str] | None = None,
) -> None:
    require(principal, Permission.groups_write)
    errors = dict(known_errors or {})
    try:
        async with write_transaction(engine()):
            current = await _group_for_write(principal, group_id, version)
            values = await _check_group(
                principal,
                name=merge(changes.name, current["name"]),
                municipality_id=merge(changes.municipality_id, current["municipality"]),
                area=merge(changes.area, current["area"]),
                status=merge(changes.status, current["status"]),
                notes=merge(changes.notes, current["notes"]),
                errors=errors,
                group_id=group_id,
            )
            if errors:
                raise FormErrors(errors)
            columns = {getattr(Group, name): value for name, value in values.items()}
            await versioned_update(
                Group, group_id, version, columns, live_only=True, conflict=gettext(CONFLICT_GROUP)
            )
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
    require(principal, Permission.groups_write)
    async with write_transaction(engine()):
        await _group_for_write(principal, group_id, version)
        await versioned_update(
            Group,
            group_id,
            version,
            {Group.archived_at: clock.now()},
            live_only=True,
            conflict=gettext(CONFLICT_GROUP),
        )
        await record(
            AuditAction.group_archive, actor=principal, target_type="group", target_id=group_id
        )


async def add_alias(principal: Principal, group_id: int, alias: str) -> int:
    require(principal, Permission.groups_write)
    alias = clean_line(alias)
    if not alias:
        raise FormErrors({"alias": gettext("Skriv aliaset du vill lägga till.")})
    if len(alias) > forms.ALIAS_MAX:
        raise FormErrors({"alias": form_message("alias_long")})
    async with write_transaction(engine()):
        if not await group_in_scope(principal, group_id):
            raise NotVisible()
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
    require(principal, Permission.groups_write)
    async with write_transaction(engine()):
        if not await group_in_scope(principal, group_id):
            raise NotVisible()
        removed = (
            await GroupAlias.delete()
            .where((GroupAlias.id == alias_id) & (GroupAlias.group == group_id))
            .returning(GroupAlias.id)
        )
        if not removed:
            raise NotVisible()
        await record(
            AuditAction.group_write,
            actor=principal,
            target_type="group",
            target_id=group_id,
            details={"op": "alias_remove", "alias_id": alias_id},
        )
