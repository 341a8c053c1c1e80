"""Every list takes a page number up to MAX_PAGE and answers 400 past it, in
Swedish, instead of overflowing the database's offset (a 500 before)."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from gvi.core.paging import MAX_PAGE
from tests.clients import login
from tests.factories import make_user

LISTS = (
    "/api/v1/memberships",
    "/api/v1/groups",
    "/api/v1/relations",
    "/api/v1/incidents",
    "/api/v1/enforcement",
)


@pytest.mark.parametrize("path", LISTS)
async def test_a_page_past_the_maximum_is_a_400_in_swedish(
    client: AsyncTestClient,
    path: str,  # type: ignore[type-arg]
) -> None:
    _, secret = await make_user("pager", "police")
    await login(client, "pager", secret)
    for page in (9223372036854775807, MAX_PAGE + 1):
        r = await client.get(path, params={"page": page})
        assert r.status_code == 400, (path, page, r.text)
        assert "högst 10000" in r.json()["detail"]
        assert r.json()["errors"][0]["field"] == "page"
    r = await client.get(path, params={"page": MAX_PAGE})
    assert r.status_code in (200, 404), r.text


async def test_the_schema_documents_the_bound(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    _, secret = await make_user("pager2", "analyst")
    await login(client, "pager2", secret)
    schema = (await client.get("/api/v1/schema/openapi.json")).json()
    params = [
        p
        for item in schema["paths"].values()
        for op in item.values()
        for p in op.get("parameters", [])
        if p["name"] == "page"
    ]
    assert params
    assert all(p["schema"].get("maximum") == MAX_PAGE for p in params)
