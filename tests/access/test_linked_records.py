"""Issue 16, rule 7: one rule for linked records outside the user's scope
(gvi.access.linked). Walks every page and endpoint that shows linked records as users
whose scope excludes the other end: another municipality's group may be named, but no
free text of the link (source, notes) and no code of another municipality's person.

The observed case: a Sigtuna-only police officer got, through /api/v1/relations/{id},
a relation to a Sollentuna group with its free-text source, and through the memberships
list a Järfälla person's code, while the group and the person answered 404."""

from __future__ import annotations

from datetime import UTC, date, datetime

from litestar import Litestar

from gvi.callins.tables import CallIn, Invitation
from gvi.groups.tables import GroupRelation, Membership
from gvi.incidents.tables import Incident, IncidentGroup, IncidentPerson
from tests.clients import signed_in
from tests.factories import build_world, group, person

RELATION_SOURCE = "Relationskälla: informatör Annanby 2024"
MEMBERSHIP_SOURCE = "Medlemskälla: spaning Annanby"
OTHER_PERSON = "person i annan kommun"


async def _world() -> tuple[object, dict[str, int], str]:
    world = await build_world()
    own_group = await group("Egengänget", world.own)
    other_group = await group("Annangänget", world.other)
    relation = GroupRelation(
        source_group=own_group,
        target_group=other_group,
        kind="rivalry",
        intensity=4,
        valid_from=date(2020, 1, 1),
        source=RELATION_SOURCE,
    )
    await relation.save()
    other_pid, other_code = await person(world, world.other)
    membership = Membership(
        person=other_pid,
        group=own_group,
        role="member",
        valid_from=date(2020, 1, 1),
        source=MEMBERSHIP_SOURCE,
    )
    await membership.save()
    incident = Incident(
        occurred_at=datetime(2025, 5, 1, 20, tzinfo=UTC),
        municipality=world.own,
        kind="shooting",
        harm="none",
    )
    await incident.save()
    await IncidentGroup(incident=incident.id, group=own_group, role="suspected").save()
    await IncidentGroup(incident=incident.id, group=other_group, role="victim").save()
    await IncidentPerson(incident=incident.id, person=other_pid, role="witness").save()
    call_in = CallIn(
        title="Call-in Egenby",
        starts_at=datetime(2025, 3, 3, 16, tzinfo=UTC),
        ends_at=datetime(2025, 3, 3, 18, tzinfo=UTC),
        venue="Egenby medborgarhus",
        municipality=world.own,
        status=CallIn.Status.held,
    )
    await call_in.save()
    await Invitation(call_in=call_in.id, person=other_pid, group=own_group).save()
    ids = {
        "own_group": own_group,
        "other_group": other_group,
        "relation": int(relation.id),
        "membership": int(membership.id),
        "incident": int(incident.id),
        "call_in": int(call_in.id),
        "other_person": other_pid,
    }
    return world, ids, other_code


def _paths(ids: dict[str, int]) -> dict[str, list[str]]:
    g, r, m, i, c = (
        ids["own_group"],
        ids["relation"],
        ids["membership"],
        ids["incident"],
        ids["call_in"],
    )
    return {
        "police": [
            f"/api/v1/relations/{r}",
            f"/api/v1/relations?group_id={g}",
            f"/api/v1/memberships/{m}",
            f"/api/v1/memberships?group_id={g}",
            f"/groups/{g}",
            f"/api/v1/groups/{g}",
            f"/incidents/{i}",
            f"/api/v1/incidents/{i}",
            f"/callins/{c}",
            f"/api/v1/callins/{c}",
            "/network",
            "/api/v1/network/groups",
            "/tasks",
            "/api/v1/tasks",
        ],
        "coordinator": [
            f"/callins/{c}",
            f"/api/v1/callins/{c}",
            f"/callins/{c}/attendance",
            f"/groups/{g}",
            f"/api/v1/relations/{r}",
        ],
    }


async def test_no_free_text_or_code_of_the_other_end_on_any_page_or_endpoint(
    app: Litestar,
) -> None:
    world, ids, other_code = await _world()
    for role, paths in _paths(ids).items():
        async with signed_in(app, world, role) as client:  # type: ignore[arg-type]
            # The other ends themselves answer 404.
            assert (await client.get(f"/groups/{ids['other_group']}")).status_code == 404
            assert (await client.get(f"/people/{ids['other_person']}")).status_code == 404
            for path in paths:
                r = await client.get(path)
                assert r.status_code == 200, (role, path, r.status_code)
                for secret in (RELATION_SOURCE, MEMBERSHIP_SOURCE, other_code):
                    assert secret not in r.text, (role, path, secret)
                assert f'href="/people/{ids["other_person"]}"' not in r.text, (role, path)


async def test_the_other_person_is_named_as_such_and_the_group_by_name(app: Litestar) -> None:
    world, ids, _code = await _world()
    async with signed_in(app, world, "police") as client:  # type: ignore[arg-type]
        memberships = (await client.get(f"/api/v1/memberships?group_id={ids['own_group']}")).json()
        relation = (await client.get(f"/api/v1/relations/{ids['relation']}")).json()
        incident = await client.get(f"/incidents/{ids['incident']}")
    (m,) = memberships["items"]
    assert (m["person_code"], m["person_id"]) == (OTHER_PERSON, None)
    assert m.get("source", "") == ""
    assert relation["group_b"] == "Annangänget"  # another municipality's group: by name
    assert relation.get("source", "") == ""
    assert OTHER_PERSON in incident.text
    assert "Annangänget" in incident.text
