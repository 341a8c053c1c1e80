"""The calendar feed: call-ins of the owner's current scope, nothing personal,
UIDs under the installation's host name, revocable, each fetch recorded."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar
from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.accounts.tables import User
from gvi.app import create_app
from gvi.callins.tables import CallIn, Invitation
from gvi.people.tables import Person
from gvi.settings import get_settings
from gvi.tokens.tables import ApiToken
from tests.admin.support import BASE, audit_rows, head_seq, municipality, signed_in, token
from tests.support import make_user

HOME, OTHER = "0114", "0180"
MESSAGE = "Budskapet som aldrig får lämna systemet"


async def _callin(municipality_id: int, title: str, *, status: str = "planned") -> int:
    start = datetime.now(tz=UTC) + timedelta(days=3)
    row = CallIn(
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venue="Medborgarhuset",
        municipality=municipality_id,
        message=MESSAGE,
        status=status,
    )
    await row.save()
    return int(row.id)


async def _invite(callin_id: int, municipality_id: int, code: str) -> None:
    person = Person(code=code, home_municipality=municipality_id, birth_year=2005)
    await person.save()
    await Invitation(call_in=callin_id, person=person.id).save()


def _parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


async def test_the_feed_holds_the_scope_and_nothing_personal(db: None) -> None:
    app = create_app(replace(get_settings(), public_host="gvi.exempel.se"))
    home, other = await municipality(HOME), await municipality(OTHER)
    mine = await _callin(home, "Call-in Väsby")
    cancelled = await _callin(home, "Inställd call-in", status="cancelled")
    await _callin(other, "Call-in Stockholm")
    await _invite(mine, home, "P-FEED1")
    owner, totp = await make_user("polis", "police", municipality_codes=[HOME])
    start = await head_seq()
    async with signed_in(app, "polis", totp) as c:
        made = await c.post(
            "/api/v1/calendar-feeds",
            json={"name": "Mina call-ins"},
            headers={"X-CSRF-Token": await token(c)},
        )
        assert made.status_code == 201, made.text
        url = made.json()["url"]
        feed_id = made.json()["feed"]["id"]
        assert made.json()["feed"]["permissions"] == ["callins:read"]
        listing = await c.get("/api/v1/calendar-feeds")
        assert url.rsplit("/", 1)[1].removesuffix(".ics") not in listing.text
    created = await audit_rows(start, "calendar_feed:create")
    assert len(created) == 1
    assert created[0]["actor_id"] == owner
    path = urlsplit(url).path
    assert path.startswith("/feeds/gvf_")
    assert path.endswith(".ics")
    async with AsyncTestClient(app=app, base_url=BASE) as calendar_app:
        fetched = await calendar_app.get(path)
        assert fetched.status_code == 200, fetched.text
        assert fetched.headers["content-type"].startswith("text/calendar")
        assert "set-cookie" not in fetched.headers
        cal = _parse(fetched.content)
        events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
        assert set(events) == {
            f"call-in-{mine}@gvi.exempel.se",
            f"call-in-{cancelled}@gvi.exempel.se",
        }
        ours = events[f"call-in-{mine}@gvi.exempel.se"]
        assert str(ours["SUMMARY"]) == "Call-in Väsby"
        assert "Medborgarhuset" in str(ours["LOCATION"])
        assert str(events[f"call-in-{cancelled}@gvi.exempel.se"]["STATUS"]) == "CANCELLED"
        text = fetched.content.decode()
        for personal in ("P-FEED1", MESSAGE, "polis", "ATTENDEE", "DESCRIPTION"):
            assert personal not in text
        # The feed is a read, nothing more: not a bearer token for the API.
        secret = path.removeprefix("/feeds/").removesuffix(".ics")
        api = await calendar_app.get(
            "/api/v1/callins", headers={"Authorization": f"Bearer {secret}"}
        )
        assert api.status_code == 401
    row = await ApiToken.select(ApiToken.last_used_at).where(ApiToken.id == feed_id).first()
    assert row is not None
    assert row["last_used_at"] is not None

    # Revoked, the address answers like one that never existed.
    async with signed_in(app, "polis", totp) as c:
        csrf = await token(c)
        revoke_at = await head_seq()
        revoked = await c.post(
            f"/account/tokens/{feed_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert revoked.status_code == 303
    assert len(await audit_rows(revoke_at, "calendar_feed:revoke")) == 1
    async with AsyncTestClient(app=app, base_url=BASE) as calendar_app:
        assert (await calendar_app.get(path)).status_code == 404


async def test_the_uid_domain_follows_the_allowed_hosts(app: Litestar) -> None:
    home = await municipality(HOME)
    mine = await _callin(home, "Call-in Väsby")
    owner, totp = await make_user("samordnare", "coordinator", municipality_codes=[HOME])
    async with signed_in(app, "samordnare", totp) as c:
        page = await c.post(
            "/account/feeds", data={"csrf_token": await token(c, "/account/tokens")}
        )
        assert page.status_code == 201
        assert "/feeds/gvf_" in page.text
        path = "/feeds/" + page.text.split("/feeds/", 1)[1].split('"', 1)[0]
    async with AsyncTestClient(app=app, base_url=BASE) as calendar_app:
        cal = _parse((await calendar_app.get(path)).content)
        # GVI_ALLOWED_HOSTS of the test run starts with testserver.local.
        assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [f"call-in-{mine}@testserver.local"]
        await User.update({User.is_active: False}).where(User.id == owner)
        assert (await calendar_app.get(path)).status_code == 404
