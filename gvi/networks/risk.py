"""Retaliation risk after an incident, and what a call-in invite list reaches.

Pure: networkx and :mod:`gvi.networks.graph` only. The callers build the signed
graph as of the right date (the incident's day, the call-in's day) with
:func:`gvi.networks.graph.build_signed_graph` and pass plain ids and counts, so
every rule below can be checked on a graph drawn by hand.

Retaliation scoring (:func:`retaliation_risk`)
----------------------------------------------
After an incident, the victim groups (V) may retaliate and the suspected groups
(S) may be retaliated against; the conflict spreads along the signed graph. A
group gets the weight of the *strongest* position it holds:

==========================================  ==============================  ==========
position                                    weight                          direction
==========================================  ==============================  ==========
suspected group (in S)                      5.0                             target
victim group (in V)                         4.0                             retaliator
rival of a victim group (not in S)          2.0 + 0.5 × rivalry intensity   target
ally of a victim group                      1.5 + 0.25 × alliance intensity retaliator
ally of S, or ally of a rival of V          1.0                             target
==========================================  ==============================  ==========

("target": at risk of being retaliated against — a victim's rivals are the
first suspects when nobody is named; "retaliator": at risk of retaliating.)

To that weight are added

- 0.5 for each incident the group was involved in (as suspected or victim group)
  in the look-back window before this one, at most 2.0 — groups already trading
  blows are more likely to continue;
- 1.0 for each unbalanced triad (strong balance: "an ally of my ally is my
  rival", or three mutual rivals) that holds the group and at least one of the
  incident's groups (the group itself counts), at most 2.0 — such triangles are
  where alliances break and conflicts spread.

Groups that hold none of the positions are left out, whatever their history.
Truces (sign 0) are neither alliances nor rivalries and place nobody. The result
is sorted by score (highest first), then group id, and scores are rounded to two
decimals so the same data always gives the same order.

Call-in reach and warnings
--------------------------
:func:`invite_reach` says which groups get the message: a group is reached
*fully* when at least a third of its known members are invited (a third of a
group carries the message to all of it), *partly* when fewer are, and *through
an ally* when it is not invited but allied to a group that is.

:func:`invite_warnings` flags what the coordinator must look at before saving:
two invited groups in active rivalry, and a rival of an invited group whose turf
is the venue. What "turf is the venue" means is the caller's decision (the
services: the rival's home municipality is the venue's, or its area is named in
the venue); here it is a set of group ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from math import ceil

import networkx as nx

from gvi.networks.graph import unbalanced_triads

SUSPECTED_WEIGHT = 5.0
VICTIM_WEIGHT = 4.0
VICTIM_RIVAL_BASE = 2.0
VICTIM_RIVAL_PER_INTENSITY = 0.5
VICTIM_ALLY_BASE = 1.5
VICTIM_ALLY_PER_INTENSITY = 0.25
TARGET_ALLY_WEIGHT = 1.0
RECENT_INCIDENT_WEIGHT = 0.5
RECENT_INCIDENT_CAP = 2.0
TRIAD_WEIGHT = 1.0
TRIAD_CAP = 2.0

TARGET = "target"
RETALIATOR = "retaliator"

# Positions as tokens (they go into alert details, which accept tokens only).
SUSPECTED = "suspected"
VICTIM = "victim"
VICTIM_RIVAL = "victim_rival"
VICTIM_ALLY = "victim_ally"
TARGET_ALLY = "target_ally"

DIRECTION: dict[str, str] = {
    SUSPECTED: TARGET,
    VICTIM: RETALIATOR,
    VICTIM_RIVAL: TARGET,
    VICTIM_ALLY: RETALIATOR,
    TARGET_ALLY: TARGET,
}

FULL = "full"
PARTIAL = "partial"
VIA_ALLY = "via_ally"
REACH_ORDER = {FULL: 0, PARTIAL: 1, VIA_ALLY: 2}

RIVAL_INVITEES = "rival_invitees"
RIVAL_TURF = "rival_turf"


@dataclass(frozen=True, slots=True)
class RiskScore:
    group_id: int
    score: float
    direction: str  # TARGET or RETALIATOR, from the strongest position
    position: str  # the strongest position, e.g. "victim_rival"
    positions: tuple[str, ...]  # every position the group holds, sorted
    recent_incidents: int
    triads: int


@dataclass(frozen=True, slots=True)
class Reach:
    group_id: int
    level: str  # FULL, PARTIAL or VIA_ALLY
    invited: int
    members: int  # known members (at least the invited ones)
    needed: int  # invitees for a third of the group
    via: tuple[int, ...] = ()  # for VIA_ALLY: the invited allies it hears it from


@dataclass(frozen=True, slots=True)
class InviteWarning:
    kind: str  # RIVAL_INVITEES or RIVAL_TURF
    invited_group: int
    other_group: int  # the rival: invited too (RIVAL_INVITEES) or on the venue's turf
    intensity: int


def _signed_neighbours(g: nx.Graph, node: int, sign: int) -> dict[int, int]:
    """Neighbours joined to ``node`` by an edge of ``sign``, with the edge's intensity."""
    if node not in g:
        return {}
    return {
        other: int(data.get("intensity", 1))
        for other, data in g.adj[node].items()
        if data.get("sign") == sign
    }


def _positions(
    g: nx.Graph, victims: frozenset[int], suspected: frozenset[int]
) -> dict[int, dict[str, float]]:
    """Every group's positions with the weight each gives."""
    found: dict[int, dict[str, float]] = {}

    def give(group: int, position: str, weight: float) -> None:
        held = found.setdefault(group, {})
        held[position] = max(weight, held.get(position, 0.0))

    victim_rivals: set[int] = set()
    for v in sorted(victims):
        if v not in g:
            continue
        give(v, VICTIM, VICTIM_WEIGHT)
        for rival, intensity in _signed_neighbours(g, v, -1).items():
            if rival in suspected:
                continue
            victim_rivals.add(rival)
            give(rival, VICTIM_RIVAL, VICTIM_RIVAL_BASE + VICTIM_RIVAL_PER_INTENSITY * intensity)
        for ally, intensity in _signed_neighbours(g, v, 1).items():
            give(ally, VICTIM_ALLY, VICTIM_ALLY_BASE + VICTIM_ALLY_PER_INTENSITY * intensity)
    for s in sorted(suspected):
        if s in g:
            give(s, SUSPECTED, SUSPECTED_WEIGHT)
    for target in sorted(suspected | victim_rivals):
        for ally in _signed_neighbours(g, target, 1):
            give(ally, TARGET_ALLY, TARGET_ALLY_WEIGHT)
    return found


def retaliation_risk(
    g: nx.Graph,
    victim_groups: Iterable[int],
    suspected_groups: Iterable[int],
    recent_incident_counts: Mapping[int, int] | None = None,
) -> list[RiskScore]:
    """Groups at risk of retaliation or of retaliating, highest score first.

    ``g`` is the signed graph on the incident's date; ``recent_incident_counts``
    how many earlier incidents (in the caller's look-back window, this one not
    included) each group was involved in. Ids not in ``g`` are ignored. See the
    module docstring for the weights.
    """
    victims = frozenset(victim_groups)
    suspected = frozenset(suspected_groups)
    counts = recent_incident_counts or {}
    positions = _positions(g, victims, suspected)
    incident_groups = (victims | suspected) & set(g)
    triad_count: dict[int, int] = {}
    for triad in unbalanced_triads(g):
        if incident_groups.isdisjoint(triad):
            continue
        for node in triad:
            triad_count[node] = triad_count.get(node, 0) + 1
    scores: list[RiskScore] = []
    for group, held in positions.items():
        # The strongest position; on equal weight the more direct one (the order above).
        order = (SUSPECTED, VICTIM, VICTIM_RIVAL, VICTIM_ALLY, TARGET_ALLY)
        strongest = max(held, key=lambda p: (held[p], -order.index(p)))
        recent = max(0, int(counts.get(group, 0)))
        triads = triad_count.get(group, 0)
        score = (
            held[strongest]
            + min(RECENT_INCIDENT_CAP, RECENT_INCIDENT_WEIGHT * recent)
            + min(TRIAD_CAP, TRIAD_WEIGHT * triads)
        )
        scores.append(
            RiskScore(
                group_id=group,
                score=round(score, 2),
                direction=DIRECTION[strongest],
                position=strongest,
                positions=tuple(sorted(held)),
                recent_incidents=recent,
                triads=triads,
            )
        )
    scores.sort(key=lambda s: (-s.score, s.group_id))
    return scores


def third_of(members: int) -> int:
    """Invitees needed to reach a group of ``members``: a third, rounded up (at least 1)."""
    return max(1, ceil(members / 3))


def invite_reach(g: nx.Graph, invited_per_group: Mapping[int, int]) -> list[Reach]:
    """Which groups the invite list reaches, fully first, then partly, then through allies.

    ``invited_per_group`` counts invitees per group; a group's known size is the
    node's ``members`` attribute (at least its invitees, since they are members).
    Groups not in ``g`` are still reported on their own counts, but reach no ally.
    """
    direct: dict[int, Reach] = {}
    for group, invited in invited_per_group.items():
        if invited <= 0:
            continue
        known = int(g.nodes[group].get("members", 0)) if group in g else 0
        members = max(known, invited)
        needed = third_of(members)
        level = FULL if invited >= needed else PARTIAL
        direct[group] = Reach(group, level, invited, members, needed)
    via: dict[int, set[int]] = {}
    for group in direct:
        for ally in _signed_neighbours(g, group, 1):
            if ally not in direct:
                via.setdefault(ally, set()).add(group)
    found = list(direct.values())
    for ally, sources in via.items():
        members = int(g.nodes[ally].get("members", 0))
        found.append(Reach(ally, VIA_ALLY, 0, members, third_of(members), tuple(sorted(sources))))
    found.sort(key=lambda r: (REACH_ORDER[r.level], r.group_id))
    return found


def invite_warnings(
    g: nx.Graph,
    invited_groups: Iterable[int],
    new_groups: Iterable[int],
    turf_groups: Iterable[int],
) -> list[InviteWarning]:
    """Rivalries an invite list walks into, for the groups being added.

    - ``rival_invitees``: two invited groups (at least one of them in
      ``new_groups``) in an active rivalry on the graph's date;
    - ``rival_turf``: a new group's rival, not invited, whose turf is the venue
      (``turf_groups``): the invitees must cross it to get there.

    Alliances and truces never warn. Each pair once, sorted.
    """
    invited = frozenset(invited_groups) | frozenset(new_groups)
    new = frozenset(new_groups)
    turf = frozenset(turf_groups)
    found: dict[tuple[str, int, int], InviteWarning] = {}
    for group in sorted(invited):
        for rival, intensity in _signed_neighbours(g, group, -1).items():
            if rival in invited:
                if group not in new and rival not in new:
                    continue
                a, b = sorted((group, rival))
                found[(RIVAL_INVITEES, a, b)] = InviteWarning(RIVAL_INVITEES, a, b, intensity)
            elif group in new and rival in turf:
                found[(RIVAL_TURF, group, rival)] = InviteWarning(
                    RIVAL_TURF, group, rival, intensity
                )
    return [found[key] for key in sorted(found)]
