"""Retaliation ranking, invite reach and invite warnings on graphs drawn by hand.

The expected answers are worked out in the comments from the weights in
:mod:`gvi.networks.risk`, not recomputed with the code under test.
"""

from __future__ import annotations

from datetime import date

from gvi.networks.graph import build_signed_graph
from gvi.networks.risk import (
    FULL,
    PARTIAL,
    RETALIATOR,
    RIVAL_INVITEES,
    RIVAL_TURF,
    TARGET,
    VIA_ALLY,
    invite_reach,
    invite_warnings,
    retaliation_risk,
    third_of,
)
from tests.networks.factories import AS_OF, Relations, groups


def _incident_graph() -> Relations:
    """Victim group 1, suspected group 2.

    1 —(rival 3)— 2          2 =(ally 2)= 5
    1 —(rival 1)— 3          3 =(ally 1)= 6
    1 =(ally 4)= 4           4 =(ally 1)= 3   (1, 3, 4: + + −, unbalanced)
    7 alone; 8 and 9 rivals with no tie to the incident
    """
    r = Relations()
    r.add(1, 2, "rivalry", intensity=3)
    r.add(1, 3, "rivalry", intensity=1)
    r.add(1, 4, "alliance", intensity=4)
    r.add(2, 5, "alliance", intensity=2)
    r.add(3, 6, "alliance", intensity=1)
    r.add(4, 3, "alliance", intensity=1)
    r.add(8, 9, "rivalry", intensity=5)
    return r


def test_retaliation_ranking_on_a_hand_built_graph() -> None:
    g = build_signed_graph(groups(1, 2, 3, 4, 5, 6, 7, 8, 9), _incident_graph().rows, AS_OF)
    recent = {2: 1, 3: 2, 5: 5, 8: 4}
    ranking = retaliation_risk(
        g, victim_groups=[1], suspected_groups=[2], recent_incident_counts=recent
    )
    # 2 suspected:          5.0 + 0.5×1 recent                      = 5.5  (target)
    #   (2 is also 1's rival, but being suspected is the stronger position)
    # 1 victim:             4.0 + 1 triad (1, 3, 4)                 = 5.0  (retaliator)
    # 3 rival of 1 (int 1): 2.0 + 0.5×1 = 2.5; + 2 recent × 0.5 = 1.0;
    #                       + triad (1, 3, 4) 1.0                   = 4.5  (target)
    # 4 ally of 1 (int 4):  1.5 + 0.25×4 = 2.5 (beats "ally of rival 3" 1.0); + triad 1.0
    #                                                               = 3.5  (retaliator)
    # 5 ally of 2:          1.0 + min(2.0, 0.5×5)                   = 3.0  (target)
    # 6 ally of rival 3:    1.0                                     = 1.0  (target)
    # 7, 8, 9 hold no position: left out, whatever their history (8 has 4 incidents).
    assert [(s.group_id, s.score, s.direction) for s in ranking] == [
        (2, 5.5, TARGET),
        (1, 5.0, RETALIATOR),
        (3, 4.5, TARGET),
        (4, 3.5, RETALIATOR),
        (5, 3.0, TARGET),
        (6, 1.0, TARGET),
    ]
    by_id = {s.group_id: s for s in ranking}
    assert by_id[2].positions == ("suspected",)
    assert by_id[4].positions == ("target_ally", "victim_ally")
    assert by_id[4].position == "victim_ally"
    assert by_id[3].triads == 1
    assert by_id[3].recent_incidents == 2
    assert by_id[5].recent_incidents == 5  # counted, but the bonus is capped at 2.0


def test_ranking_uses_the_graph_as_of_the_incident_date() -> None:
    r = _incident_graph()
    # A rivalry between the victim and 7 that starts after the incident does not count.
    r.add(1, 7, "rivalry", intensity=5, valid_from=date(2024, 7, 1))
    before = retaliation_risk(build_signed_graph(groups(*range(1, 10)), r.rows, AS_OF), [1], [2])
    after = retaliation_risk(
        build_signed_graph(groups(*range(1, 10)), r.rows, date(2024, 8, 1)), [1], [2]
    )
    assert 7 not in {s.group_id for s in before}
    # From August 7 is a rival of the victim at intensity 5: 2.0 + 2.5 = 4.5.
    assert {s.group_id: s.score for s in after}[7] == 4.5


def test_truces_place_nobody_and_unknown_groups_are_ignored() -> None:
    r = Relations()
    r.add(1, 2, "truce")
    g = build_signed_graph(groups(1, 2), r.rows, AS_OF)
    ranking = retaliation_risk(g, victim_groups=[1, 99], suspected_groups=[])
    assert [(s.group_id, s.score) for s in ranking] == [(1, 4.0)]


def test_invite_reach_counts_a_third_of_the_group() -> None:
    # groups() gives group i 2×i members: group 3 has 6, group 6 has 12, group 4 has 8.
    r = Relations()
    r.add(3, 4, "alliance")
    r.add(6, 5, "rivalry")
    g = build_signed_graph(groups(3, 4, 5, 6), r.rows, AS_OF)
    reach = invite_reach(g, {3: 2, 6: 3})
    # 3: 2 of 6 is a third → full; 6: 3 of 12 is less than 4 → partial;
    # 4 hears it through its ally 3; 5 is only a rival of 6: not reached.
    assert [(x.group_id, x.level, x.needed) for x in reach] == [
        (3, FULL, 2),
        (6, PARTIAL, 4),
        (4, VIA_ALLY, 3),
    ]
    assert reach[2].via == (3,)
    assert third_of(0) == 1
    assert third_of(7) == 3


def test_invite_warnings_fire_for_rivals_and_not_for_allies() -> None:
    r = Relations()
    r.add(1, 2, "rivalry", intensity=4)
    r.add(1, 3, "alliance", intensity=5)
    r.add(1, 4, "rivalry", intensity=2)
    r.add(3, 5, "truce")
    g = build_signed_graph(groups(1, 2, 3, 4, 5), r.rows, AS_OF)
    # Allies 1 and 3 together, no rival on the venue's turf: nothing.
    assert invite_warnings(g, [], [1, 3], turf_groups=[]) == []
    # A truce is not a rivalry.
    assert invite_warnings(g, [3], [5], turf_groups=[]) == []
    # Rivals 1 and 2 invited together.
    (w,) = invite_warnings(g, [1], [2], turf_groups=[])
    assert (w.kind, w.invited_group, w.other_group, w.intensity) == (RIVAL_INVITEES, 1, 2, 4)
    # Group 4 (a rival of 1, not invited) has the venue in its turf.
    (w,) = invite_warnings(g, [], [1], turf_groups=[4])
    assert (w.kind, w.invited_group, w.other_group) == (RIVAL_TURF, 1, 4)
    # Warnings are about what is being added: an old pair does not warn again.
    assert invite_warnings(g, [1, 2], [3], turf_groups=[]) == []
