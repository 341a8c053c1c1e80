"""Units and municipalities through /api/v1/admin: the same rules and messages
as the pages, as 400/404/409 answers, and the endpoints in the OpenAPI document."""

from __future__ import annotations

from litestar import Litestar

from tests.admin.support import audit_rows, head_seq, municipality, new_user, signed_in, token
from tests.clients import api_send
from tests.org.support import make_case, make_person, make_unit


async def _admin() -> tuple[int, str | None]:
    await municipality()
    return await new_user("admin1", "admin")


async def test_create_list_update_and_conflict(app: Litestar) -> None:
    _, secret = await _admin()
    start = await head_seq()
    async with signed_in(app, "admin1", secret) as c:
        csrf = {"X-CSRF-Token": await token(c)}
        r = await c.post(
            "/api/v1/admin/units",
            json={
                "name": "Lokalpolisområde Märsta",
                "kind": "police",
                "agency": "police",
                "home": "0191",
                "serves": ["0191", "0330"],
            },
            headers=csrf,
        )
        assert r.status_code == 201, r.text
        unit = r.json()
        assert unit["home"] == {"code": "0191", "name": "Sigtuna", "county": "Stockholms län"}
        assert [m["code"] for m in unit["serves"]] == ["0191", "0330"]
        assert unit["version"] == 1
        listed = (await c.get("/api/v1/admin/units")).json()
        assert [u["name"] for u in listed] == ["Lokalpolisområde Märsta"]
        assert (await c.get(f"/api/v1/admin/units/{unit['id']}")).json() == unit
        assert (await c.get("/api/v1/admin/units/987654")).status_code == 404
        body = {
            "version": 1,
            "name": "Lokalpolisområde Märsta",
            "kind": "police",
            "agency": "police",
            "home": "0191",
            "serves": ["0114"],
        }
        r = await api_send(c, "PATCH", f"/api/v1/admin/units/{unit['id']}", body)
        assert r.status_code == 200, r.text
        assert r.headers["etag"] == '"2"'
        changed = r.json()
        assert changed["scope_changed"] is True
        assert [m["code"] for m in changed["unit"]["serves"]] == ["0114", "0191"]
        r = await api_send(c, "PATCH", f"/api/v1/admin/units/{unit['id']}", body)
        assert r.status_code == 412
        assert "Någon annan har ändrat enheten" in r.json()["detail"]
        r = await c.post(
            "/api/v1/admin/units",
            json={"name": "x", "kind": "police", "agency": "nope", "home": "191"},
            headers=csrf,
        )
        assert r.status_code == 400
        detail = r.json()["detail"]
        assert "name: Skriv enhetens namn (minst två tecken)." in detail
        assert "agency: Välj vilken verksamhet enheten hör till." in detail
        assert "home: Välj en kommun i listan" in detail
    assert len(await audit_rows(start, "org:unit:create", target_id=unit["id"])) == 1
    assert len(await audit_rows(start, "org:unit:update", target_id=unit["id"])) == 1


async def test_municipalities_keep_their_leading_zero_and_filter_by_county(app: Litestar) -> None:
    _, secret = await _admin()
    async with signed_in(app, "admin1", secret) as c:
        every = (await c.get("/api/v1/admin/municipalities")).json()
        assert len(every) == 290
        assert every[0] == {"code": "0114", "name": "Upplands Väsby", "county": "Stockholms län"}
        uppsala = (
            await c.get("/api/v1/admin/municipalities", params={"county": "Uppsala län"})
        ).json()
        assert [m["code"] for m in uppsala] == [
            "0305",
            "0319",
            "0330",
            "0331",
            "0360",
            "0380",
            "0381",
            "0382",
        ]


async def test_deactivate_refused_with_references_and_count_only(app: Litestar) -> None:
    _, secret = await _admin()
    unit_id = await make_unit("Socialtjänsten Sigtuna", "0191")
    person = await make_person("P-QQ77", "0191", notes="Gömd hos släkt i Rosersberg")
    case_id = await make_case("AH-2026-0042", unit_id, person, "0191")
    async with signed_in(app, "admin1", secret) as c:
        csrf = {"X-CSRF-Token": await token(c)}
        r = await c.post(
            f"/api/v1/admin/units/{unit_id}/deactivate", json={"version": 1}, headers=csrf
        )
        assert r.status_code == 409
        body = r.json()
        assert body["count"] == 1
        assert body["cases"] == [{"id": case_id, "reference": "AH-2026-0042"}]
        assert "AH-2026-0042" in body["detail"]
        assert "Rosersberg" not in r.text
        assert "Hemlig anteckning" not in r.text
        assert "P-QQ77" not in r.text


def test_the_unit_endpoints_are_in_the_openapi_document(app: Litestar) -> None:
    paths = app.openapi_schema.to_schema()["paths"]
    for path in (
        "/api/v1/admin/units",
        "/api/v1/admin/units/{unit_id}",
        "/api/v1/admin/units/{unit_id}/deactivate",
        "/api/v1/admin/municipalities",
        "/api/v1/admin/users/{user_id}/units",
    ):
        assert path in paths, path
    # No page route leaks into the document.
    assert not any(p.startswith("/admin/") for p in paths)
