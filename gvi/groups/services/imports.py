"""The CSV import of a group audit: checked as a whole, written in one transaction
with one audit event (counts only), or not at all when any row is bad."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.failures import NotVisible
from gvi.db import write_transaction
from gvi.groups import importer
from gvi.groups.services.scope import engine, group_scope, ids
from gvi.groups.tables import Confidence, Group, GroupAlias, GroupRelation, Membership
from gvi.municipalities.tables import Municipality
from gvi.people.tables import Person

# Rows per INSERT in the import: well under SQLite's limit on bound parameters.
_CHUNK = 200


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
    scope = ids(principal)
    municipalities = await Municipality.select(Municipality.id, Municipality.code).where(
        Municipality.id.is_in(scope) & Municipality.archived_at.is_null()
    )
    known = await Municipality.select(Municipality.code)
    in_scope = await Group.select(Group.id, Group.name).where(group_scope(principal))
    taken = await Group.select(Group.name)
    people: dict[str, int] = {}
    codes = sorted(parsed.person_codes)
    for start in range(0, len(codes), 500):
        rows = await Person.select(Person.id, Person.code).where(
            Person.code.is_in(codes[start : start + 500])
            & Person.home_municipality.is_in(scope)
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

    def claim(planned: importer.NewMembership | importer.NewRelation) -> dict[str, Any]:
        return {
            "confidence": Confidence(planned.confidence),
            "valid_from": planned.valid_from,
            "valid_to": planned.valid_to,
            "review_by": planned.review_by,
            "source": planned.source,
            "recorded_by": principal.user_id,
        }

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
            **claim(m),
        )
        for m in plan.memberships
    ]
    relations = [
        GroupRelation(
            source_group=group_id(r.group_a),
            target_group=group_id(r.group_b),
            kind=r.kind,
            intensity=r.intensity,
            **claim(r),
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
        raise NotVisible()
    # Parsing 15 MB of CSV takes a while: off the event loop.
    parsed = await anyio.to_thread.run_sync(importer.parse_upload, files)
    if dry_run:
        lookups = await _import_lookups(principal, parsed)
        plan, problems = importer.check_upload(parsed, lookups)
        counts = _planned(plan) if plan else ImportCounts()
        return ImportResult(True, False, problems, counts, dict(parsed.rows))
    async with write_transaction(engine()):
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
