"""The lists sort by their columns and number their pages; the filters, the sort
and the page stay in the URL (templates/_lists.html), shown on the group register."""

from __future__ import annotations

import re

from litestar import Litestar

from tests.clients import signed_in
from tests.factories import build_world, group


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/groups/\d+">([^<]+)</a>', html)


async def test_a_header_sorts_and_a_second_press_reverses(app: Litestar) -> None:
    world = await build_world()
    for name, area in (("Beta", "Öst"), ("Alfa", "Väst"), ("Gamma", "Norr")):
        await group(name, world.own, area=area)
    await group("Delta", world.other)  # another municipality: never listed
    async with signed_in(app, world, "coordinator") as client:
        default = await client.get("/groups")
        assert _names(default.text) == ["Alfa", "Beta", "Gamma"]
        assert 'aria-sort="ascending"' in default.text
        assert 'href="/groups?sort=-name"' in default.text  # the next press reverses
        reverse = await client.get("/groups?sort=-name")
        assert _names(reverse.text) == ["Gamma", "Beta", "Alfa"]
        assert 'aria-sort="descending"' in reverse.text
        by_area = await client.get("/groups?sort=area")
        assert _names(by_area.text) == ["Gamma", "Alfa", "Beta"]  # Norr, Väst, Öst
        # An unknown key is the default order, not an error and not a query.
        assert _names((await client.get("/groups?sort=notes")).text) == ["Alfa", "Beta", "Gamma"]
        # A search keeps the sort, and the sort keeps the search.
        kept = await client.get("/groups?q=a&sort=-area")
        assert 'name="sort" value="-area"' in kept.text
        assert 'href="/groups?q=a&amp;sort=area"' in kept.text


async def test_pages_are_numbered_and_keep_filters_and_sort(app: Litestar) -> None:
    world = await build_world()
    for i in range(160):
        await group(f"Grupp {i:03d}", world.own)
    async with signed_in(app, world, "coordinator") as client:
        first = await client.get("/groups?q=Grupp&sort=-name")
        assert _names(first.text)[0] == "Grupp 159"
        assert "Sida 1 / 4" in first.text
        assert 'aria-current="page"' in first.text
        for n in (2, 3, 4):
            assert f'href="/groups?q=Grupp&amp;sort=-name&amp;page={n}"' in first.text
        last = await client.get("/groups?q=Grupp&sort=-name&page=4")
        assert _names(last.text) == [f"Grupp {i:03d}" for i in range(9, -1, -1)]
        assert 'rel="prev"' in last.text
        assert 'rel="next"' not in last.text
