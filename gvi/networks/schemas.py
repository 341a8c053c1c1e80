"""API shapes for the network: figures, analyses, jobs. Groups by id and name,
people by pseudonymous code only."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec


class GroupRef(msgspec.Struct):
    id: int
    name: str
    municipality: str


class FigureOut(msgspec.Struct):
    """A plotly figure (``data`` and ``layout``) and what the page shows beside it."""

    figure: dict[str, Any]
    webgl: bool
    as_of: str
    summary: dict[str, int]


class PersonFigureOut(msgspec.Struct):
    person_code: str
    radius: int
    figure: dict[str, Any]
    webgl: bool
    as_of: str
    groups: list[GroupRef]
    co_members: list[str]


class GroupFiguresOut(msgspec.Struct):
    group: GroupRef
    members: int
    allies: int
    rivals: int
    truces: int
    centrality: float
    community: str


class ConflictOut(msgspec.Struct):
    a: GroupRef
    b: GroupRef
    intensity: int


class PathOut(msgspec.Struct):
    groups: list[GroupRef] | None
    kinds: list[str]


class RelationChangeOut(msgspec.Struct):
    relation_id: int
    kind: str
    a: GroupRef
    b: GroupRef
    was: str | None = None  # for a flip: the kind before


class DiffOut(msgspec.Struct):
    date_a: str
    date_b: str
    appeared: list[RelationChangeOut]
    ended: list[RelationChangeOut]
    flipped: list[RelationChangeOut]


class AnalysesOut(msgspec.Struct):
    as_of: str
    summary: dict[str, int]
    groups: list[GroupFiguresOut]
    conflicts: list[ConflictOut]
    conflict_clusters: list[list[GroupRef]]
    communities: list[list[GroupRef]]
    bridging_groups: list[GroupRef]
    bridges: list[list[GroupRef]]
    unbalanced_triads: list[list[GroupRef]]
    conflicts_of: list[GroupRef] | None = None
    ego: list[GroupRef] | None = None
    path: PathOut | None = None
    diff: DiffOut | None = None


class JobIn(msgspec.Struct):
    kind: str
    as_of: date | None = None


class JobForm(msgspec.Struct):
    kind: str = ""
    as_of: str = ""


class JobOut(msgspec.Struct):
    id: int
    kind: str
    status: str
    progress: int
    message: str
    as_of: str
    created_at: str
    finished_at: str | None
    summary: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
