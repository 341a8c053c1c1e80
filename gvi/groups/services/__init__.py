"""The group register's services: groups and aliases, memberships, relations, the
review queue and the CSV import, one module each; memberships and relations are
dated claims built on :mod:`.claims`.

The one place that knows the scope, the queries and the audit row of each action
on the register (architecture §3.2, §4). This package re-exports the public names, so
callers write ``from gvi.groups import services`` and ``services.get_group``.
No HTTP here: refusals are :mod:`gvi.core.failures`.
"""

from __future__ import annotations

from gvi.core.clock import today as today
from gvi.groups.services.groups import CONFLICT_GROUP as CONFLICT_GROUP
from gvi.groups.services.groups import GROUP_SORTS as GROUP_SORTS
from gvi.groups.services.groups import NAME_TAKEN as NAME_TAKEN
from gvi.groups.services.groups import AliasView as AliasView
from gvi.groups.services.groups import GroupChanges as GroupChanges
from gvi.groups.services.groups import GroupDetail as GroupDetail
from gvi.groups.services.groups import GroupDraft as GroupDraft
from gvi.groups.services.groups import GroupFull as GroupFull
from gvi.groups.services.groups import GroupView as GroupView
from gvi.groups.services.groups import add_alias as add_alias
from gvi.groups.services.groups import archive_group as archive_group
from gvi.groups.services.groups import create_group as create_group
from gvi.groups.services.groups import get_group as get_group
from gvi.groups.services.groups import group_detail as group_detail
from gvi.groups.services.groups import list_groups as list_groups
from gvi.groups.services.groups import remove_alias as remove_alias
from gvi.groups.services.groups import update_group as update_group
from gvi.groups.services.imports import ImportCounts as ImportCounts
from gvi.groups.services.imports import ImportResult as ImportResult
from gvi.groups.services.imports import can_import as can_import
from gvi.groups.services.imports import import_group_audit as import_group_audit
from gvi.groups.services.memberships import CONFLICT_MEMBERSHIP as CONFLICT_MEMBERSHIP
from gvi.groups.services.memberships import MEMBERSHIPS as MEMBERSHIPS
from gvi.groups.services.memberships import MembershipChanges as MembershipChanges
from gvi.groups.services.memberships import MembershipDraft as MembershipDraft
from gvi.groups.services.memberships import MembershipFull as MembershipFull
from gvi.groups.services.memberships import MembershipView as MembershipView
from gvi.groups.services.memberships import get_membership as get_membership
from gvi.groups.services.memberships import list_memberships as list_memberships
from gvi.groups.services.memberships import person_memberships as person_memberships
from gvi.groups.services.relations import CONFLICT_RELATION as CONFLICT_RELATION
from gvi.groups.services.relations import RELATIONS as RELATIONS
from gvi.groups.services.relations import RelationChanges as RelationChanges
from gvi.groups.services.relations import RelationDraft as RelationDraft
from gvi.groups.services.relations import RelationFull as RelationFull
from gvi.groups.services.relations import RelationView as RelationView
from gvi.groups.services.relations import get_relation as get_relation
from gvi.groups.services.relations import list_relations as list_relations
from gvi.groups.services.review import ReviewQueue as ReviewQueue
from gvi.groups.services.review import can_review as can_review
from gvi.groups.services.review import review_queue as review_queue
from gvi.groups.services.scope import Choice as Choice
from gvi.groups.services.scope import group_choices as group_choices
from gvi.groups.services.scope import municipality_choices as municipality_choices
