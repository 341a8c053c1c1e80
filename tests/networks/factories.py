"""Small builders for hand-drawn group graphs: ids are the story, the rest defaults."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from gvi.networks.graph import GroupNode, MemberTie, Relation

AS_OF = date(2024, 6, 1)


def groups(*ids: int, municipality_id: int = 1) -> list[GroupNode]:
    return [
        GroupNode(
            id=i,
            name=f"Grupp {i}",
            municipality_id=municipality_id,
            municipality="Järfälla",
            members=i * 2,
        )
        for i in ids
    ]


class Relations:
    """Numbers relations in the order they are added, as the database would."""

    def __init__(self) -> None:
        self.rows: list[Relation] = []

    def add(
        self,
        source: int,
        target: int,
        kind: str,
        *,
        intensity: int = 1,
        valid_from: date | None = None,
        valid_to: date | None = None,
        confidence: str = "medium",
    ) -> Relation:
        relation = Relation(
            id=len(self.rows) + 1,
            source=source,
            target=target,
            kind=kind,
            intensity=intensity,
            valid_from=valid_from,
            valid_to=valid_to,
            confidence=confidence,
        )
        self.rows.append(relation)
        return relation

    def many(self, kind: str, pairs: Iterable[tuple[int, int]], *, intensity: int = 1) -> None:
        for a, b in pairs:
            self.add(a, b, kind, intensity=intensity)


def tie(
    person_id: int,
    group_id: int,
    *,
    role: str = "member",
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> MemberTie:
    return MemberTie(
        person_id=person_id,
        person_code=f"P-{person_id:04d}",
        group_id=group_id,
        role=role,
        valid_from=valid_from,
        valid_to=valid_to,
    )
