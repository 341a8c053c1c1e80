"""The network over time: the slider's monthly stops, the timeline figure (pure),
and the timeline page and API against the database (scope, incidents only for
those who may read them, that read audited)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from litestar import Litestar

from gvi.incidents.tables import Incident, IncidentGroup
from gvi.networks import timeline
from gvi.networks.graph import GroupNode, Relation
from gvi.networks.timeline import TimelineIncident
from tests.clients import signed_in
from tests.factories import audit_mark, audit_rows
from tests.networks.world import ODD_NAME, SECRETS, World, build_world

A = GroupNode(1, "Alfa", 1, "Egenby")
B = GroupNode(2, "Beta <i>", 1, "Egenby")
C = GroupNode(3, "Cesar", 1, "Egenby")  # no relation, no incident: not on the timeline


def test_monthly_steps_run_from_the_first_day_to_the_last() -> None:
    steps = timeline.monthly_steps(date(2023, 11, 15), date(2024, 2, 10))
    assert steps == [
        date(2023, 11, 15),
        date(2023, 12, 1),
        date(2024, 1, 1),
        date(2024, 2, 1),
        date(2024, 2, 10),
    ]
    assert timeline.monthly_steps(date(2024, 1, 1), date(2024, 1, 1)) == [date(2024, 1, 1)]
    assert timeline.step_index(steps, date(2024, 1, 20)) == 2
    assert timeline.step_index(steps, date(2020, 1, 1)) == 0
    assert timeline.step_index(steps, date(2030, 1, 1)) == 4


def test_span_reaches_today_while_claims_are_open() -> None:
    today = date(2024, 6, 1)
    assert timeline.span([None, date(2023, 3, 5), date(2024, 1, 1)], today) == (
        date(2023, 3, 5),
        today,
    )
    assert timeline.span([date(2025, 1, 1)], today) == (today, date(2025, 1, 1))
    assert timeline.span([], today) == (today, today)


def test_timeline_figure_has_a_row_per_group_spans_and_events() -> None:
    first, last = date(2023, 1, 1), date(2024, 6, 1)
    relations = [
        Relation(1, 1, 2, "rivalry", valid_from=date(2023, 6, 1), valid_to=date(2024, 1, 1)),
        Relation(2, 1, 2, "alliance", valid_from=None, valid_to=None),
    ]
    incidents = [TimelineIncident(7, date(2023, 8, 1), "shooting", ((1, "suspected"),))]
    fig = timeline.timeline_figure(
        [A, B, C],
        relations,
        incidents,
        first,
        last,
        role_labels={"suspected": "Misstänkt grupp"},
        incident_labels={"shooting": "Skjutning"},
    )
    assert {t["type"] for t in fig["data"]} == {"scatter"}  # the basic bundle draws it
    by_name = {t["name"]: t for t in fig["data"]}
    assert set(by_name) == {"Grupp", "Rivalitet", "Allians", "Händelse"}
    # Rows by name; C has nothing dated and is left out; names shown, not interpreted.
    assert fig["layout"]["yaxis"]["ticktext"] == ["Alfa", "Beta &lt;i&gt;"]
    groups = by_name["Grupp"]
    assert groups["x"] == ["2023-01-01", "2024-06-01", None] * 2  # open alliance: whole span
    # The rivalry is a span on both groups' rows, from its start to its end.
    rivalry = by_name["Rivalitet"]
    assert rivalry["x"] == ["2023-06-01", "2024-01-01", None] * 2
    assert sorted({round(y) for y in rivalry["y"] if y is not None}) == [0, 1]
    assert "pågår" not in rivalry["text"][0]
    assert "pågår" in by_name["Allians"]["text"][0]
    event = by_name["Händelse"]
    assert event["x"] == ["2023-08-01"]
    assert event["y"] == [0]
    assert "Skjutning" in event["text"][0]
    assert "Misstänkt grupp" in event["text"][0]
    assert fig["layout"]["height"] >= 260


async def _world_with_incidents() -> World:
    """The test world and two incidents: one in scope (Norrgänget suspected, Södra
    ligan victim), one in another municipality."""
    world = await build_world()
    for municipality, links in (
        (world.own, (("norr", "suspected"), ("sodra", "victim"))),
        (world.other, (("frammande", "suspected"),)),
    ):
        incident = Incident(
            occurred_at=datetime(2024, 2, 3, 21, 30, tzinfo=UTC),
            municipality=municipality,
            kind="shooting",
            place="Hemlig adress 5",
        )
        await incident.save()
        for key, role in links:
            await IncidentGroup(incident=incident.id, group=world.groups[key], role=role).save()
    return world


async def test_timeline_page_and_api_are_scoped_and_audit_the_incidents(app: Litestar) -> None:
    world = await _world_with_incidents()
    mark = await audit_mark()
    async with signed_in(app, world, "police") as c:
        page = await c.get("/network/timeline")
        assert page.status_code == 200
        for name in ("Norrgänget", "Södra ligan", "Östra brödraskapet"):
            assert name in page.text
        assert "Främlingarna" not in page.text  # another municipality
        assert "Hemlig adress" not in page.text  # no place, no people
        assert "Skjutning" in page.text
        assert "2024-02-03" in page.text
        # Linked to the change between two dates, with the data's span.
        assert "diff_from=2022-01-01" in page.text
        police = world.users["police"][0]
        events = await audit_rows(police, "incident:read", since=mark)
        assert [e["details"]["view"] for e in events] == ["network_timeline"]
        assert events[0]["details"]["incidents"] == 1

        api = (await c.get("/api/v1/network/timeline?kinds=rivalry")).json()
        assert api["incidents"] == 1
        assert api["first"] == "2023-06-01"  # rivalries only
        names = {t["name"] for t in api["figure"]["data"]}
        assert names == {"Grupp", "Rivalitet", "Händelse"}
        assert "Främlingarna" not in json.dumps(api, ensure_ascii=False)
        assert len(await audit_rows(police, "incident:read", since=mark)) == 2
        # An unknown relation kind is refused by the API, as on every network route.
        bogus = await c.get("/api/v1/network/timeline?kinds=bogus")
        assert bogus.status_code == 400
        assert "bogus" in bogus.json()["detail"] + str(bogus.json().get("errors"))
        assert len(await audit_rows(police, "incident:read", since=mark)) == 2


async def test_analyst_gets_the_timeline_without_incidents(app: Litestar) -> None:
    world = await _world_with_incidents()
    mark = await audit_mark()
    async with signed_in(app, world, "analyst") as c:
        page = await c.get("/network/timeline")
        assert page.status_code == 200
        assert "Händelser visas bara" in page.text
        assert "Skjutning" not in page.text
        api = (await c.get("/api/v1/network/timeline")).json()
        assert api["incidents"] is None
        assert "Händelse" not in {t["name"] for t in api["figure"]["data"]}
        for secret in SECRETS:
            assert secret not in page.text
        assert ODD_NAME not in page.text  # escaped, as everywhere
        assert await audit_rows(world.users["analyst"][0], "incident:read", since=mark) == []
    async with signed_in(app, world, "outreach") as c:
        for url in ("/network/timeline", "/api/v1/network/timeline"):
            assert (await c.get(url)).status_code == 404, url


async def test_network_page_carries_the_slider_over_the_data_span(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        page = await c.get("/network?as_of=2024-03-15")
        assert page.status_code == 200
        assert 'id="as_of_step"' in page.text
        assert 'data-steps="2022-01-01,2022-02-01,' in page.text  # the splinter relation
        assert 'aria-valuetext="2024-03-01"' in page.text
        assert "data-live-form" in page.text
        assert 'href="/network/timeline?' in page.text
