"""The people list sorts by code, municipality and birth year (both engines: the
PostgreSQL list is one statement of its own), and a protected person's hidden
birth year never decides their place."""

from __future__ import annotations

from gvi.people.services import create_person, list_people
from gvi.people.tables import Protection
from tests.factories import build_world, writer


async def test_people_sort_and_a_hidden_birth_year_tells_nothing(db: None) -> None:
    world = await build_world()
    by = writer(world.user_ids["police"], world.own, world.other)
    made = {}
    for code, year, protection in (
        ("P-SORTB", 1990, Protection.none),
        ("P-SORTA", 2001, Protection.none),
        ("P-SORTC", 1995, Protection.none),
        ("P-SORTD", 1980, Protection.skyddad_folkbokforing),  # the oldest, but hidden
    ):
        person = await create_person(
            by, municipality_id=world.own, birth_year=year, protection=protection, code=code
        )
        made[code] = person.id
    police = world.principal("police")

    async def codes(sort: str) -> list[str]:
        rows, total = await list_people(police, code_prefix="P-SORT", sort=sort)
        assert total == 4
        return [r.code for r in rows]

    assert await codes("") == ["P-SORTA", "P-SORTB", "P-SORTC", "P-SORTD"]
    assert await codes("-code") == ["P-SORTD", "P-SORTC", "P-SORTB", "P-SORTA"]
    assert await codes("bogus") == await codes("code")
    by_year = await codes("birth_year")
    known = [c for c in by_year if c != "P-SORTD"]
    assert known == ["P-SORTB", "P-SORTC", "P-SORTA"]  # 1990, 1995, 2001
    # The protected person sorts as unknown: at an end, never as 1980 would.
    assert by_year.index("P-SORTD") in (0, 3)
    down = await codes("-birth_year")
    assert [c for c in down if c != "P-SORTD"] == ["P-SORTA", "P-SORTC", "P-SORTB"]
    assert down.index("P-SORTD") in (0, 3)


async def test_the_people_page_links_its_sort(app: object) -> None:
    from tests.clients import signed_in

    world = await build_world()
    by = writer(world.user_ids["police"], world.own, world.other)
    await create_person(by, municipality_id=world.own, birth_year=1999)
    async with signed_in(app, world, "police") as client:
        page = await client.get("/people?sort=-birth_year")
        assert page.status_code == 200
        assert 'aria-sort="descending"' in page.text
        assert 'href="/people?sort=birth_year"' in page.text
