"""Group, GroupAlias, Membership and GroupRelation.

Memberships and relations are claims (evidence, not fact): each carries its
source, confidence, validity and a review date.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Date, ForeignKey, Integer, Text, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.core.columns import Archivable, Keyed
from gvi.municipalities.tables import Municipality
from gvi.people.tables import Person


class Confidence(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class Group(Archivable, Table, tablename="criminal_group"):
    """Named explicitly: GROUP is an SQL keyword."""

    class Status(StrEnum):
        active = "active"
        dormant = "dormant"
        dissolved = "dissolved"

    name = Varchar(length=120, unique=True)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict)
    area = Varchar(length=200, default="", help_text="Area or turf, e.g. a neighbourhood.")
    status = Varchar(length=16, choices=Status, default=Status.active)
    notes = Text(default="")
    recorded_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)


class GroupAlias(Keyed, Table, tablename="group_alias"):
    group = ForeignKey(Group, on_delete=OnDelete.restrict)
    alias = Varchar(length=120, index=True)


class _Claim(Archivable):
    source = Text(default="", help_text="Where this comes from (report, surveillance, audit).")
    confidence = Varchar(length=8, choices=Confidence, default=Confidence.medium)
    valid_from = Date(null=True, default=None)
    valid_to = Date(null=True, default=None)
    review_by = Date(
        null=True, default=None, help_text="Claims past this date go to the review queue."
    )
    recorded_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)


class Membership(_Claim, Table, tablename="membership"):
    class Role(StrEnum):
        leader = "leader"
        core = "core"
        member = "member"
        associate = "associate"

    person = ForeignKey(Person, on_delete=OnDelete.restrict)
    group = ForeignKey(Group, on_delete=OnDelete.restrict)
    role = Varchar(length=16, choices=Role, default=Role.member)


class GroupRelation(_Claim, Table, tablename="group_relation"):
    """Alliance (+) and rivalry (-) are symmetric; splinter_of and subgroup_of point
    from ``source_group`` to ``target_group``; truce is a paused rivalry."""

    class Kind(StrEnum):
        alliance = "alliance"
        rivalry = "rivalry"
        splinter_of = "splinter_of"
        subgroup_of = "subgroup_of"
        truce = "truce"

    source_group = ForeignKey(Group, on_delete=OnDelete.restrict)
    target_group = ForeignKey(Group, on_delete=OnDelete.restrict)
    kind = Varchar(length=16, choices=Kind)
    intensity = Integer(default=1, help_text="1 (weak) to 5 (strong).")
