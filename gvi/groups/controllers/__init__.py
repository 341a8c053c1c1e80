"""The group register's routes: groups (with aliases and the import), memberships,
relations and the review queue, one module each (JSON API and pages side by
side); memberships and relations share :mod:`.claims`."""

from __future__ import annotations

from gvi.groups.controllers.groups import GroupPages, GroupsApi
from gvi.groups.controllers.memberships import MembershipPages, MembershipsApi
from gvi.groups.controllers.relations import RelationPages, RelationsApi
from gvi.groups.controllers.review import ReviewApi, ReviewPages

GROUP_ROUTES = [
    GroupsApi,
    MembershipsApi,
    RelationsApi,
    ReviewApi,
    GroupPages,
    MembershipPages,
    RelationPages,
    ReviewPages,
]
