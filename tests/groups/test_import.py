"""The group-audit import through the page and the API: a good upload writes
everything in one go with one audit event; a bad one reports every bad row and
writes nothing; a dry run writes nothing either."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from gvi.groups import importer
from gvi.groups.tables import Group, GroupRelation, Membership
from tests.admin.support import audit_rows, head_seq
from tests.clients import signed_in, token
from tests.groups.support import World, build_world, counts

GROUPS = "name,municipality_code,area,status,aliases,notes\n"
MEMBERS = "person_code,group_name,role,confidence,valid_from,valid_to,source,review_by\n"
RELATIONS = "group_a,group_b,kind,intensity,confidence,valid_from,valid_to,source,review_by\n"


def good_upload(world: World) -> dict[str, str]:
    return {
        "groups": GROUPS
        + 'Importgänget,0123,Hamnen,aktiv,"IG;Hamnligan",Från kartläggningen\n'
        + "Importgänget Junior,0123,Hamnen,vilande,,\n",
        "members": MEMBERS
        + f"{world.person_own_code},Importgänget,ledare,hög,2024-01-01,,Kartläggning,2025-01-01\n"
        + f"{world.person_own_code},Egengänget,medlem,låg,,,,\n",
        "relations": RELATIONS
        + "Importgänget,Egengänget,rivalitet,5,hög,2024-02-01,,Skottlossning,\n"
        + "Importgänget Junior,Importgänget,undergrupp till,2,medel,,,,\n",
    }


def files(upload: dict[str, str | bytes]) -> dict[str, tuple[str, bytes, str]]:
    return {
        field: (f"{field}.csv", text if isinstance(text, bytes) else text.encode(), "text/csv")
        for field, text in upload.items()
    }


async def post_import(
    client: Any, upload: dict[str, str | bytes], *, dry_run: bool, api: bool = False
) -> Any:
    csrf = await token(client, "/groups/import")
    if api:
        return await client.post(
            "/api/v1/groups/import",
            files=files(upload),
            data={"dry_run": "true" if dry_run else "false"},
            headers={"X-CSRF-Token": csrf},
        )
    data = {"csrf_token": csrf}
    if dry_run:
        data["dry_run"] = "yes"
    return await client.post(
        "/groups/import", files=files(upload), data=data, follow_redirects=False
    )


async def test_a_good_upload_writes_everything_with_one_audit_event(app: Litestar) -> None:
    world = await build_world()
    upload = good_upload(world)
    before = await counts()
    start = await head_seq()
    async with signed_in(app, world, "coordinator") as c:
        form = await c.get("/groups/import")
        assert 'enctype="multipart/form-data"' in form.text
        assert 'id="dry_run" name="dry_run" value="yes" checked' in form.text
        r = await post_import(c, {"groups": upload["groups"]}, dry_run=False)
        assert r.status_code == 303, r.text
        assert r.headers["location"] == "/groups"
        assert "2 grupper, 2 alias" in (await c.get("/groups")).text
    async with signed_in(app, world, "police") as c:
        r = await post_import(
            c, {"members": upload["members"], "relations": upload["relations"]}, dry_run=False
        )
        assert r.status_code == 303, r.text
    after = await counts()
    assert after["groups"] == before["groups"] + 2
    assert after["aliases"] == before["aliases"] + 2
    assert after["memberships"] == before["memberships"] + 2
    assert after["relations"] == before["relations"] + 2
    group = await Group.objects().where(Group.name == "Importgänget").first()
    assert group is not None
    assert (group.area, group.notes, group.municipality) == (
        "Hamnen",
        "Från kartläggningen",
        world.own,
    )
    assert group.recorded_by == world.user_ids["coordinator"]
    leader = await Membership.objects().where(Membership.group == group.id).first()
    assert leader is not None
    assert (leader.role, leader.confidence, leader.recorded_by) == (
        "leader",
        "high",
        world.user_ids["police"],
    )
    sub = (
        await GroupRelation.objects()
        .where(GroupRelation.kind == GroupRelation.Kind.subgroup_of)
        .first()
    )
    assert sub is not None
    assert sub.target_group == group.id
    events = await audit_rows(start, "group:import")
    assert [e["details"] for e in events] == [
        {"groups": 2, "aliases": 2, "memberships": 0, "relations": 0},
        {"groups": 0, "aliases": 0, "memberships": 2, "relations": 2},
    ]


async def test_bad_rows_in_all_three_files_are_all_reported_and_nothing_is_written(
    app: Litestar,
) -> None:
    world = await build_world()
    upload: dict[str, str | bytes] = {
        "groups": GROUPS + "Ny,0123,,,,\n" + ",0123,,,,\n" + "Ny2,0191,,,,\n",
        "members": MEMBERS
        + f"{world.person_own_code},Ny,member,low,,,,\n"
        + f"{world.person_other_code},Ny,member,low,,,,\n"
        + f"{world.person_own_code},Ny,member,osäker,2024-1-1,,,\n",
        "relations": RELATIONS
        + "Ny,Egengänget,alliance,3,low,,,,\n"
        + "Ny,Ny,alliance,3,low,,,,\n"
        + "Ny,Egengänget,alliance,6,low,,,,\n",
    }
    before = await counts()
    start = await head_seq()
    async with signed_in(app, world, "coordinator") as c:
        r = await post_import(c, upload, dry_run=False)
        assert r.status_code == 400
        assert "fel hittades. Inget har sparats." in r.text
        api = await post_import(c, upload, dry_run=False, api=True)
    assert api.status_code == 422
    report = api.json()
    assert (report["valid"], report["written"], report["dry_run"]) == (False, False, False)
    assert [(p["file"], p["line"], p["field"]) for p in report["problems"]] == [
        ("groups.csv", 3, "name"),
        ("groups.csv", 4, "municipality_code"),
        # A coordinator may not import memberships or relations at all...
        ("members.csv", 0, ""),
        # ...and every row is still checked, so nothing has to be uploaded twice.
        ("members.csv", 3, "person_code"),
        ("members.csv", 4, "confidence"),
        ("members.csv", 4, "valid_from"),
        ("relations.csv", 0, ""),
        ("relations.csv", 3, "group_b"),
        ("relations.csv", 4, "intensity"),
    ]
    for problem in report["problems"]:
        assert problem["message"]  # a sentence to act on
        assert f"{problem['line']}" in r.text or problem["line"] == 0
    assert await counts() == before
    assert await audit_rows(start, "group:import") == []


async def test_a_dry_run_reports_and_writes_nothing(app: Litestar) -> None:
    world = await build_world()
    before = await counts()
    async with signed_in(app, world, "coordinator") as c:
        r = await post_import(c, {"groups": good_upload(world)["groups"]}, dry_run=True)
        assert r.status_code == 200
        assert "Provkörningen hittade inga fel." in r.text
        assert "2 grupper" in r.text
        api = await post_import(c, {"groups": good_upload(world)["groups"]}, dry_run=True, api=True)
        assert api.status_code == 200
        assert api.json()["counts"] == {"groups": 2, "aliases": 2, "memberships": 0, "relations": 0}
        assert (api.json()["dry_run"], api.json()["written"]) == (True, False)
        bad = await post_import(c, {"groups": GROUPS + ",0123,,,,\n"}, dry_run=True)
        assert bad.status_code == 400
        # The dry-run box stays ticked after a report.
        assert 'value="yes" checked' in bad.text
    assert await counts() == before


async def test_the_api_defaults_to_a_dry_run(app: Litestar) -> None:
    world = await build_world()
    before = await counts()
    async with signed_in(app, world, "coordinator") as c:
        r = await c.post(
            "/api/v1/groups/import",
            files=files({"groups": good_upload(world)["groups"]}),
            headers={"X-CSRF-Token": await token(c)},
        )
        assert r.status_code == 200
        assert r.json()["dry_run"] is True
    assert await counts() == before


async def test_bom_and_semicolon_excel_files_import(app: Litestar) -> None:
    world = await build_world()
    upload = good_upload(world)
    excel = {
        field: b"\xef\xbb\xbf" + text.replace(",", ";").replace("\n", "\r\n").encode()
        for field, text in upload.items()
    }
    # The aliases column holds "IG;Hamnligan" quoted: fine with ; as the delimiter too.
    async with signed_in(app, world, "coordinator") as c:
        r = await post_import(c, {"groups": excel["groups"]}, dry_run=False, api=True)
        assert r.status_code == 200, r.text
        assert r.json()["written"] is True
    async with signed_in(app, world, "police") as c:
        r = await post_import(
            c, {"members": excel["members"], "relations": excel["relations"]}, dry_run=False
        )
        assert r.status_code == 303, r.text
    group = await Group.objects().where(Group.name == "Importgänget").first()
    assert group is not None
    assert await Membership.count().where(Membership.group == group.id) == 1


async def test_duplicate_group_names_in_the_upload_are_reported(app: Litestar) -> None:
    world = await build_world()
    before = await counts()
    async with signed_in(app, world, "coordinator") as c:
        r = await post_import(
            c,
            {"groups": GROUPS + "Tvilling,0123,,,,\nEnsam,0123,,,,\ntvilling,0123,,,,\n"},
            dry_run=False,
            api=True,
        )
    assert r.status_code == 422
    (problem,) = r.json()["problems"]
    assert (problem["file"], problem["line"], problem["field"]) == ("groups.csv", 4, "name")
    assert "rad 2" in problem["message"]
    assert await counts() == before


async def test_size_limits_and_empty_uploads(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        big = GROUPS.encode() + b"x" * importer.MAX_FILE_BYTES
        r = await post_import(c, {"groups": big}, dry_run=True, api=True)
        assert r.status_code == 422
        assert "större än 5 MB" in r.json()["problems"][0]["message"]
        csrf = await token(c, "/groups/import")
        r = await c.post(
            "/groups/import", data={"csrf_token": csrf, "dry_run": "yes"}, follow_redirects=False
        )
        assert r.status_code == 400
        assert "Välj minst en fil" in r.text
        r = await post_import(c, {"groups": GROUPS}, dry_run=False)
        assert r.status_code == 200
        assert "Filerna innehöll inga rader att importera. Inget sparades." in r.text


async def test_analysts_and_social_services_cannot_import(app: Litestar) -> None:
    world = await build_world()
    for role in ("analyst", "outreach"):
        async with signed_in(app, world, role) as c:
            assert (await c.get("/groups/import")).status_code == 404
            r = await c.post(
                "/api/v1/groups/import",
                files=files({"groups": good_upload(world)["groups"]}),
                data={"dry_run": "false"},
                headers={"X-CSRF-Token": await token(c)},
            )
            assert r.status_code == 404
    assert await Group.count() == 3
