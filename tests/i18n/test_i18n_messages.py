"""Messages made in Python follow the request's language: form errors, flash
messages, API error details and label tables are Swedish by default and
English for a user who chose English (gvi/locale/en/LC_MESSAGES/messages.po)."""

from __future__ import annotations

import html
from typing import Any

from litestar import Litestar

from tests.admin.support import municipality, new_user, version
from tests.clients import signed_in as admin_signed_in
from tests.clients import signed_in as ops_signed_in
from tests.clients import token
from tests.factories import build_world, group


async def _choose(client: Any, lang: str) -> None:
    """The language switch every page offers (kept in the session and on the user)."""
    r = await client.post(
        "/language",
        data={"lang": lang, "next": "/", "csrf_token": await token(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303


def _text(page: Any) -> str:
    return html.unescape(page.text)


async def _create_user_without_name(client: Any) -> str:
    form = await client.get("/admin/users/new")
    assert form.status_code == 200
    r = await client.post(
        "/admin/users/new",
        data={
            "username": "nyanvandare",
            "display_name": "",
            "role": "police",
            "unit": "",
            "password": "ett långt och ovanligt lösenord 42",
            "csrf_token": await token(client, "/admin/users/new"),
        },
    )
    assert r.status_code == 400, r.text
    return _text(r)


async def test_admin_form_error_and_role_labels_follow_the_language(app: Litestar) -> None:
    await municipality()
    _, secret = await new_user("admin1", "admin")
    async with admin_signed_in(app, "admin1", secret) as c:
        swedish = await _create_user_without_name(c)
        assert "Skriv det namn som ska visas för användaren." in swedish
        users = _text(await c.get("/admin/users"))
        assert "Administratör" in users

        await _choose(c, "en")
        english = await _create_user_without_name(c)
        assert "Enter the name to show for the user." in english
        assert "Skriv det namn som ska visas för användaren." not in english
        # The role choices of the form are English too.
        assert ">Police<" in english
        users = _text(await c.get("/admin/users"))
        assert "Administrator" in users
        assert "Administratör" not in users


async def test_flash_and_api_conflict_in_english(app: Litestar) -> None:
    await municipality()
    _, secret = await new_user("admin1", "admin")
    other_id, _ = await new_user("polis1", "police")
    third_id, _ = await new_user("polis2", "police")
    async with admin_signed_in(app, "admin1", secret) as c:
        await _choose(c, "en")
        csrf = await token(c, f"/admin/users/{other_id}")
        r = await c.post(
            f"/admin/users/{other_id}/disable",
            data={"version": str(await version(other_id)), "confirm": "yes", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        shown = _text(await c.get(r.headers["location"]))
        assert "The account is disabled and the user's sessions are ended." in shown
        assert "Kontot är avstängt" not in shown

        stale = await c.post(
            f"/api/v1/admin/users/{third_id}/disable",
            json={"version": 0},
            headers={"X-CSRF-Token": csrf},
        )
        assert stale.status_code == 409
        assert stale.json()["detail"] == (
            "Someone else changed the user in the meantime. Reload and try again."
        )

        await _choose(c, "sv")
        stale = await c.post(
            f"/api/v1/admin/users/{third_id}/disable",
            json={"version": 0},
            headers={"X-CSRF-Token": csrf},
        )
        assert stale.status_code == 409
        assert stale.json()["detail"].startswith("Någon annan har ändrat användaren")


async def test_incident_date_error_and_labels_follow_the_language(app: Litestar) -> None:
    world = await build_world()
    suspect = await group("Skyttegänget", world.own)
    async with ops_signed_in(app, world, "police") as c:
        typed = {
            "csrf_token": await token(c, "/incidents/new"),
            "occurred_on": "2024-13-40",
            "occurred_time": "21:15",
            "municipality": str(world.own),
            "kind": "shooting",
            "harm": "injured",
            "suspected_groups": [str(suspect)],
        }
        bad = await c.post("/incidents/new", data=typed, follow_redirects=False)
        assert bad.status_code == 400
        assert "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2024-03-01." in _text(bad)
        assert ">Skjutning<" in _text(bad)

        await _choose(c, "en")
        bad = await c.post("/incidents/new", data=typed, follow_redirects=False)
        assert bad.status_code == 400
        text = _text(bad)
        assert "Write the date as YYYY-MM-DD, for example 2024-03-01." in text
        assert "ÅÅÅÅ-MM-DD" not in text
        # The incident kinds of the form's select come from a label table.
        assert ">Shooting<" in text
        assert ">Skjutning<" not in text

        # The enforcement filters: action kinds and agencies in English.
        actions = _text(await c.get("/enforcement"))
        assert ">Arrest<" in actions
        assert ">House search<" in actions
        assert "Gripande" not in actions


async def test_group_form_error_and_api_detail_in_english(app: Litestar) -> None:
    world = await build_world()
    async with ops_signed_in(app, world, "coordinator") as c:
        await _choose(c, "en")
        page = await c.get("/groups/new")
        assert page.status_code == 200
        r = await c.post(
            "/groups/new",
            data={
                "csrf_token": await token(c, "/groups/new"),
                "name": "",
                "municipality": str(world.own),
                "status": "active",
            },
            follow_redirects=False,
        )
        assert r.status_code == 400, r.text
        text = _text(r)
        assert "Enter the group's name." in text
        assert "Ange gruppens namn." not in text
        # Group status labels in the form.
        assert ">Dormant<" in text
        assert ">Vilande<" not in text

        api = await c.post(
            "/api/v1/groups",
            json={"name": "", "municipality_id": world.own, "status": "active"},
            headers={"X-CSRF-Token": await token(c)},
        )
        assert api.status_code == 400, api.text
        assert "Enter the group's name." in api.json()["detail"]


async def test_report_titles_follow_the_language_but_exports_stay_swedish(app: Litestar) -> None:
    world = await build_world()
    async with ops_signed_in(app, world, "coordinator") as c:
        await _choose(c, "en")
        dashboard = _text(await c.get("/reports"))
        assert "Call-ins per year" in dashboard
        assert "Call-ins per år" not in dashboard
        api = (await c.get("/api/v1/reports/callins")).json()
        assert [col["label"] for col in api["table"]["columns"]][:2] == ["Year", "Carried out"]
        # The CSV keeps the documented Swedish headers for an English reader too
        # (in RFC 4180: comma-separated, no byte order mark).
        export = await c.get("/api/v1/reports/callins.csv")
        assert export.status_code == 200
        header = export.content.decode("utf-8").splitlines()[0]
        assert header.startswith("År,Genomförda,Inbjudna")
        # And the page after the export is still English.
        assert "Call-ins per year" in _text(await c.get("/reports"))
