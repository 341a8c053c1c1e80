"""Relations between two groups, a dated claim (see :mod:`.claims`).

splinter_of and subgroup_of read A → B; the other kinds read the same both ways.
Group-level data: reads are not audited, writes are.
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
from gvi.groups import forms
from gvi.groups.forms import form_message
from gvi.groups.services.claims import DatedClaims, claim_values
from gvi.groups.services.scope import group_in_scope
from gvi.groups.tables import GroupRelation
from gvi.i18n import N_, gettext

CONFLICT_RELATION = N_(
    "Någon annan har ändrat relationen medan du redigerade. Dina ändringar har inte "
    "sparats. Ladda om sidan och gör ändringen igen."
)


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


class Relations(DatedClaims[RelationView]):
    table = GroupRelation
    permission = Permission.relations_write
    action = AuditAction.relation_write
    target_type = "relation"
    conflict = CONFLICT_RELATION
    ends = ("source_group", "target_group")
    own_fields = ("kind", "intensity")
    back_end = "source_group"

    def places(self) -> tuple[Any, Any]:
        return GroupRelation.source_group.municipality, GroupRelation.target_group.municipality

    def columns(self, full: bool) -> list[Any]:
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

    def order(self, query: Any) -> Any:
        return query.order_by(GroupRelation.source_group.name).order_by(
            GroupRelation.target_group.name
        )

    def view(self, row: dict[str, Any], principal: Principal, full: bool) -> RelationView:
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
            **claim_values(row),
        }
        if full:
            source = linked.free_text(
                principal, row["source"], row["a_municipality"], row["b_municipality"]
            )
            return RelationFull(**values, source=source, recorded_by=row["recorded_by_u"] or "")
        return RelationView(**values)

    def event_details(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {"group_ids": [row["source_group"], row["target_group"]]}

    def check_own(self, values: Mapping[str, Any], errors: dict[str, str]) -> None:
        if values["kind"] not in forms.KIND_LABELS:
            errors.setdefault("kind", form_message("kind"))
        intensity = values["intensity"]
        if intensity is None or not forms.INTENSITY_MIN <= intensity <= forms.INTENSITY_MAX:
            errors.setdefault("intensity", form_message("intensity"))

    async def check_ends(
        self, principal: Principal, draft: RelationDraft, errors: dict[str, str]
    ) -> dict[str, Any] | None:
        if not await group_in_scope(principal, draft.group_a_id):
            errors.setdefault("group_a", gettext("Välj den första gruppen i listan."))
        if not await group_in_scope(principal, draft.group_b_id):
            errors.setdefault("group_b", gettext("Välj den andra gruppen i listan."))
        if draft.group_a_id is not None and draft.group_a_id == draft.group_b_id:
            errors["group_b"] = form_message("self_relation")
        return {"source_group": draft.group_a_id, "target_group": draft.group_b_id}


RELATIONS = Relations()


async def list_relations(
    principal: Principal,
    *,
    group_id: int | None = None,
    as_of: date | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[RelationView], int]:
    require(principal, Permission.groups_read)
    where: Any = GroupRelation.id.is_not_null()
    if group_id is not None:
        where = where & (
            (GroupRelation.source_group == group_id) | (GroupRelation.target_group == group_id)
        )
    return await RELATIONS.select(principal, where, as_of_day=as_of, limit=limit, offset=offset)


async def get_relation(principal: Principal, relation_id: int) -> RelationView:
    require(principal, Permission.groups_read)
    return await RELATIONS.one(principal, relation_id)
