"""The review queue: claims past their review date, oldest first, that the user
could act on (both ends in scope). Listing the memberships is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.failures import NotVisible
from gvi.db import write_transaction
from gvi.groups.services.memberships import MEMBERSHIPS, MembershipFull
from gvi.groups.services.relations import RELATIONS, RelationFull
from gvi.groups.services.scope import engine, like
from gvi.groups.tables import GroupRelation, Membership


@dataclass(frozen=True)
class ReviewQueue:
    memberships: list[MembershipFull]
    memberships_total: int
    relations: list[RelationFull]
    relations_total: int
    can_review_memberships: bool
    can_review_relations: bool


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
        raise NotVisible()
    term = group.strip()
    m_where: Any = Membership.id.is_not_null()
    r_where: Any = GroupRelation.id.is_not_null()
    if term:
        m_where = like(Membership.group._.name, term)
        r_where = like(GroupRelation.source_group._.name, term) | like(
            GroupRelation.target_group._.name, term
        )
    async with write_transaction(engine()):
        memberships, m_total = await MEMBERSHIPS.due(
            principal, m_where, limit=limit, offset=membership_offset
        )
        relations, r_total = await RELATIONS.due(
            principal, r_where, limit=limit, offset=relation_offset
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
