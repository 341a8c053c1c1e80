"""What the role × route matrix (tests/access/test_matrix.py) needs for the group
register: rows to aim at, in the user's municipality and outside it, and the
bodies that make an allowed call succeed.

Changes name the version they read, and an archived row is gone, so each path
that writes gets rows of its own: a row is handed out per (path, target) the
first time it is asked for, and the GET of a form and its POST share one (the
matrix runs every GET before any POST).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gvi.access.principal import Principal
from gvi.groups.tables import Group, GroupAlias, GroupRelation, Membership

POOL = 24  # rows per kind and target; more than the group register has writing paths
FREE_TEXT = "Fritext"  # the matrix checks that analysts never see this
HEADER_ONLY = {
    "groups": ("groups.csv", b"name,municipality_code\n", "text/csv"),
    "members": ("members.csv", b"person_code;group_name;role;confidence\n", "text/csv"),
    "relations": (
        "relations.csv",
        "\ufeffgroup_a,group_b,kind,intensity,confidence\n".encode(),
        "text/csv",
    ),
}
# The import routes take a multipart upload: header-only files and a dry run.
MULTIPART_ROUTES = {"groups.import", "api.groups.import"}
PARAMS = {"group_id", "alias_id", "membership_id", "relation_id"}


@dataclass
class GroupTargets:
    own_municipality: int
    own_person_code: str
    # kind → target → rows; "own" and "protected" are pools, the rest one row each.
    rows: dict[str, dict[str, list[int]]]
    alias_of: dict[int, int]
    base_groups: tuple[int, int]
    _handed: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def ids(self, path: str, param: str, target: str) -> int:
        if target == "missing":
            return 987654
        if param == "alias_id":
            return self.alias_of[self.ids(path, "group_id", target)]
        kind = param.removesuffix("_id")
        pool = self.rows[kind].get(target) or self.rows[kind]["other_municipality"]
        if len(pool) == 1:
            return pool[0]
        key = (kind, target, path)
        if key not in self._handed:
            taken = sum(1 for k in self._handed if k[:2] == (kind, target))
            assert taken < len(pool), f"more writing paths than {kind} rows: raise POOL"
            self._handed[key] = taken
        return pool[self._handed[key]]

    def bodies(self) -> dict[str, dict[str, Any]]:
        a, b = self.base_groups
        claim = {"valid_from": "2023-01-01", "review_by": "2099-01-01"}
        return {
            "groups.create": {
                "name": "Matrisgruppen (sida)",
                "municipality": str(self.own_municipality),
                "status": "active",
            },
            "api.groups.create": {
                "name": "Matrisgruppen (api)",
                "municipality_id": self.own_municipality,
            },
            "groups.edit": {
                "version": "1",
                "name": "Matrisgruppen ändrad (sida)",
                "municipality": str(self.own_municipality),
                "status": "dormant",
            },
            "api.groups.update": {"version": 1, "area": "Nytt område"},
            "groups.archive": {"version": "1", "confirm": "yes"},
            "api.groups.archive": {"version": 1},
            "groups.aliases.add": {"alias": "Nytt alias"},
            "api.groups.aliases.add": {"alias": "Nytt alias"},
            "memberships.create": {
                "person_code": self.own_person_code,
                "group": str(a),
                "role": "member",
                "confidence": "medium",
                **claim,
            },
            "api.memberships.create": {
                "person_code": self.own_person_code,
                "group_id": a,
                **claim,
            },
            "memberships.edit": {
                "version": "1",
                "role": "core",
                "confidence": "high",
                **claim,
            },
            "api.memberships.update": {"version": 1, "role": "leader"},
            "memberships.archive": {"version": "1", "confirm": "yes"},
            "api.memberships.archive": {"version": 1},
            "relations.create": {
                "group_a": str(a),
                "group_b": str(b),
                "kind": "rivalry",
                "intensity": "4",
                "confidence": "medium",
                **claim,
            },
            "api.relations.create": {
                "group_a_id": a,
                "group_b_id": b,
                "kind": "alliance",
                "intensity": 2,
                **claim,
            },
            "relations.edit": {
                "version": "1",
                "kind": "truce",
                "intensity": "2",
                "confidence": "low",
                **claim,
            },
            "api.relations.update": {"version": 1, "intensity": 5},
            "relations.archive": {"version": "1", "confirm": "yes"},
            "api.relations.archive": {"version": 1},
            "review.memberships.confirm": {"version": "1", "review_by": "2099-06-30"},
            "review.memberships.end": {"version": "1", "valid_to": "2024-12-31"},
            "review.relations.confirm": {"version": "1", "review_by": "2099-06-30"},
            "review.relations.end": {"version": "1", "valid_to": "2024-12-31"},
            "api.memberships.confirm": {"version": 1, "review_by": "2099-06-30"},
            "api.memberships.end": {"version": 1, "valid_to": "2024-12-31"},
            "api.relations.confirm": {"version": 1, "review_by": "2099-06-30"},
            "api.relations.end": {"version": 1, "valid_to": "2024-12-31"},
            "people.create": {"municipality": str(self.own_municipality), "birth_year": "2005"},
        }

    def multipart(self) -> dict[str, Any]:
        return {"files": HEADER_ONLY, "data": {"dry_run": "yes"}}


async def _group(name: str, municipality: int, writer: Principal) -> int:
    row = Group(
        name=name,
        municipality=municipality,
        area="Matristorget",
        notes=f"{FREE_TEXT} om gruppen",
        recorded_by=writer.user_id,
    )
    await row.save()
    return int(row.id)


async def build_group_targets(
    *,
    own: int,
    other: int,
    person_own: int,
    person_own_code: str,
    person_other: int,
    person_protected: int,
    writer: Principal,
) -> GroupTargets:
    """Groups, memberships and relations in the own and the other municipality."""
    past = date(2024, 1, 1)
    rows: dict[str, dict[str, list[int]]] = {"group": {}, "membership": {}, "relation": {}}
    alias_of: dict[int, int] = {}

    async def group(name: str, municipality: int) -> int:
        group_id = await _group(name, municipality, writer)
        alias = GroupAlias(group=group_id, alias=f"{name}-alias")
        await alias.save()
        alias_of[group_id] = int(alias.id)
        return group_id

    base = (await group("Matris A", own), await group("Matris B", own))
    rows["group"]["own"] = [await group(f"Matris egen {i}", own) for i in range(POOL)]
    other_a, other_b = await group("Annan A", other), await group("Annan B", other)
    rows["group"]["other_municipality"] = [other_a]

    async def membership(person: int, group_id: int) -> int:
        row = Membership(
            person=person,
            group=group_id,
            role=Membership.Role.member,
            source=f"{FREE_TEXT} källa",
            valid_from=date(2023, 1, 1),
            review_by=past,
            recorded_by=writer.user_id,
        )
        await row.save()
        return int(row.id)

    rows["membership"]["own"] = [await membership(person_own, base[0]) for _ in range(POOL)]
    rows["membership"]["protected"] = [
        await membership(person_protected, base[0]) for _ in range(POOL)
    ]
    rows["membership"]["other_municipality"] = [await membership(person_other, other_a)]

    async def relation(a: int, b: int) -> int:
        row = GroupRelation(
            source_group=a,
            target_group=b,
            kind=GroupRelation.Kind.rivalry,
            intensity=3,
            source=f"{FREE_TEXT} relationskälla",
            valid_from=date(2023, 1, 1),
            review_by=past,
            recorded_by=writer.user_id,
        )
        await row.save()
        return int(row.id)

    rows["relation"]["own"] = [await relation(base[0], base[1]) for _ in range(POOL)]
    rows["relation"]["other_municipality"] = [await relation(other_a, other_b)]
    return GroupTargets(
        own_municipality=own,
        own_person_code=person_own_code,
        rows=rows,
        alias_of=alias_of,
        base_groups=base,
    )
