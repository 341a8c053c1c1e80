"""The JSON shapes of the register: views → msgspec structs. Analysts get the
structs without free text (see :mod:`gvi.groups.schemas`)."""

from __future__ import annotations

from typing import Any

from gvi.groups import services
from gvi.groups.schemas import (
    AliasOut,
    GroupDetailOut,
    GroupFullDetailOut,
    GroupFullOut,
    GroupOut,
    ImportCountsOut,
    ImportProblemOut,
    ImportReportOut,
    MembershipFullOut,
    MembershipOut,
    RelationFullOut,
    RelationOut,
)


def aliases_out(group: services.GroupView) -> list[AliasOut]:
    return [AliasOut(id=a.id, alias=a.alias) for a in group.aliases]


def group_out(group: services.GroupView) -> GroupOut | GroupFullOut:
    values: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "municipality_id": group.municipality_id,
        "municipality": group.municipality,
        "area": group.area,
        "status": group.status,
        "version": group.version,
        "aliases": aliases_out(group),
    }
    if isinstance(group, services.GroupFull):
        return GroupFullOut(**values, notes=group.notes)
    return GroupOut(**values)


def plain_group(group: services.GroupView) -> GroupOut:
    # Lists never carry notes, whoever asks.
    return GroupOut(
        id=group.id,
        name=group.name,
        municipality_id=group.municipality_id,
        municipality=group.municipality,
        area=group.area,
        status=group.status,
        version=group.version,
        aliases=aliases_out(group),
    )


_CLAIM_FIELDS = ("confidence", "valid_from", "valid_to", "review_by", "version")


def _claim(claim: object) -> dict[str, Any]:
    """The fields every claim shows."""
    return {key: getattr(claim, key) for key in _CLAIM_FIELDS}


def membership_out(m: services.MembershipView) -> MembershipOut | MembershipFullOut:
    values: dict[str, Any] = {
        "id": m.id,
        "person_id": m.person_id,
        "person_code": m.person_code,
        "group_id": m.group_id,
        "group": m.group_name,
        "role": m.role,
        **_claim(m),
    }
    if isinstance(m, services.MembershipFull):
        return MembershipFullOut(**values, source=m.source, recorded_by=m.recorded_by)
    return MembershipOut(**values)


def relation_out(r: services.RelationView) -> RelationOut | RelationFullOut:
    values: dict[str, Any] = {
        "id": r.id,
        "group_a_id": r.group_a_id,
        "group_a": r.group_a,
        "group_b_id": r.group_b_id,
        "group_b": r.group_b,
        "kind": r.kind,
        "intensity": r.intensity,
        **_claim(r),
    }
    if isinstance(r, services.RelationFull):
        return RelationFullOut(**values, source=r.source, recorded_by=r.recorded_by)
    return RelationOut(**values)


def detail_out(detail: services.GroupDetail) -> GroupDetailOut | GroupFullDetailOut:
    group = group_out(detail.group)
    members = [membership_out(m) for m in detail.members]
    relations = [relation_out(r) for r in detail.relations]
    if isinstance(group, GroupFullOut):
        return GroupFullDetailOut(
            group=group,
            members=[m for m in members if isinstance(m, MembershipFullOut)],
            relations=[r for r in relations if isinstance(r, RelationFullOut)],
            as_of=detail.as_of,
        )
    return GroupDetailOut(
        group=group,
        members=[m for m in members if isinstance(m, MembershipOut)],
        relations=[r for r in relations if isinstance(r, RelationOut)],
        as_of=detail.as_of,
    )


def report_out(result: services.ImportResult) -> ImportReportOut:
    return ImportReportOut(
        dry_run=result.dry_run,
        valid=result.ok,
        written=result.written,
        counts=ImportCountsOut(
            groups=result.counts.groups,
            aliases=result.counts.aliases,
            memberships=result.counts.memberships,
            relations=result.counts.relations,
        ),
        rows=result.rows,
        problems=[
            ImportProblemOut(file=p.file, line=p.line, field=p.field, message=p.message)
            for p in result.problems
        ],
    )
