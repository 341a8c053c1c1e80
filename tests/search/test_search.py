"""The search across records (/search): each kind asked through its own scoped
list, audited as that list is; the term travels in a POST body, never the URL."""

from __future__ import annotations

from litestar import Litestar

from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.search import services
from tests.clients import signed_in, token
from tests.defectors.factories import SOC_SIGTUNA, build_world, make_case
from tests.factories import audit_mark, audit_rows, group


async def test_the_term_finds_only_what_the_user_may_see(app: Litestar) -> None:
    world = await build_world()
    await make_case(world, reference="AH-T-0001")  # the joint unit: Sofia's
    await make_case(
        world,
        person="sigtuna",
        municipality="0191",
        unit=SOC_SIGTUNA,
        caseworker="sigge",
        reference="AH-T-0002",
    )
    mark = await audit_mark()
    async with signed_in(app, world, "sofia") as client:
        csrf = await token(client, "/search")
        found = await client.post("/search", data={"csrf_token": csrf, "q": "ah-t"})
        assert found.status_code == 200
        assert found.url.path == "/search"  # never in the URL
        assert not found.url.query
        assert "AH-T-0001" in found.text
        assert "AH-T-0002" not in found.text  # Sigtuna's case: not hers
        assert "P-SOL1" in found.text  # the person's code, beside the reference
        assert "Fritext" not in found.text  # no free text in a hit
        # The case list behind the hits is audited as the list page is.
        assert await audit_rows(world.user["sofia"], "case:list", since=mark)
        by_code = await client.post("/search", data={"csrf_token": csrf, "q": "P-JAR"})
        assert "P-JAR1" in by_code.text
        assert "P-JAR2" in by_code.text
        assert "P-SIG1" not in by_code.text  # Sigtuna's person
        assert await audit_rows(world.user["sofia"], "person:list", since=mark)


async def test_a_short_term_is_refused_and_kept(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "sofia") as client:
        csrf = await token(client, "/search")
        short = await client.post("/search", data={"csrf_token": csrf, "q": " x "})
        assert short.status_code == 400
        assert "Skriv minst två tecken." in short.text
        assert 'aria-invalid="true"' in short.text
        assert 'value=" x "' in short.text
        nothing = await client.post("/search", data={"csrf_token": csrf, "q": "AH-NONE"})
        assert "Inget du har behörighet att se matchar sökordet." in nothing.text
        # Without the CSRF token nothing is searched.
        assert (await client.post("/search", data={"q": "AH-T"})).status_code == 403


async def test_each_role_is_asked_only_what_it_may_read(db: None) -> None:
    world = await build_world(logins=False)
    municipality = world.municipality["0123"]
    await group("Norrgänget", municipality, area="Norr")
    analyst = Principal(
        user_id=world.user["sofia"],
        username="analys",
        role=Role.analyst,
        unit_id=None,
        municipality_ids=frozenset({municipality}),
        unit_ids=frozenset(),
    )
    results = await services.search(analyst, "norr")
    assert [s.key for s in results.sections] == ["groups"]  # no people, cases or call-ins
    assert [h.label for h in results.sections[0].hits] == ["Norrgänget"]
    assert results.sections[0].more_url == "/groups?q=norr"
    police = world.principal("polis")
    keys = [s.key for s in (await services.search(police, "P-JAR")).sections]
    assert "cases" not in keys  # police reach a case only through a disclosure
