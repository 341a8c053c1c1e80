"""Providers: the register, requirement checks with a history, the flag on private
providers without an approved check in the last 12 months, and locking."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from litestar import Litestar

from gvi.core import clock
from gvi.support.services import needs_check
from gvi.support.tables import Provider, ProviderCheck
from tests.clients import api_send, csrf_from, signed_in
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import build_world, make_provider

TODAY = date(2024, 6, 15)


@pytest.mark.parametrize(
    ("kind", "last", "flagged"),
    [
        ("private", None, True),
        ("private", date(2023, 6, 14), True),
        ("private", date(2023, 6, 15), False),
        ("private", date(2024, 1, 1), False),
        ("municipal", None, False),
        ("non_profit", None, False),
    ],
)
def test_needs_check(kind: str, last: date | None, flagged: bool) -> None:
    assert needs_check(kind, last, TODAY) is flagged


async def test_register_checks_and_flags(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "jonna") as c:
        empty = await c.get("/providers")
        assert "Inga utförare är registrerade ännu." in empty.text
        page = await c.get("/providers/new")
        token = csrf_from(page.text)
        bad = await c.post(
            "/providers/new",
            data={"name": "Kommunens Jobbtorg", "kind": "municipal", "csrf_token": token},
        )
        assert bad.status_code == 400
        assert "En kommunal utförare hör till en kommun" in bad.text
        assert 'value="Kommunens Jobbtorg"' in bad.text
        r = await c.post(
            "/providers/new",
            data={
                "name": "Trygga Boenden AB",
                "kind": "private",
                "services": "Skyddat boende",
                "contract_reference": "UH-2024-01",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        url = r.headers["location"]
        shown = await c.get(url)
        assert "Utföraren är registrerad" in shown.text
        assert (
            "saknar godkänd kravkontroll" in shown.text or "utan godkänd kravkontroll" in shown.text
        )
        listed = await c.get("/providers")
        assert "⚠ kravkontroll saknas (12 mån)" in listed.text
        offer_form = await c.get("/offers/new")
        assert "⚠ Trygga Boenden AB" in offer_form.text

        # A check with remarks does not clear the flag; an approved one does.
        for result in ("remarks", "approved"):
            r = await c.post(
                f"{url}/checks",
                data={
                    "what": "Registerutdrag och IVO-tillstånd",
                    "checked_on": (clock.today() - timedelta(days=30)).isoformat(),
                    "result": result,
                    "csrf_token": token,
                },
                follow_redirects=False,
            )
            assert r.status_code == 303
        shown = await c.get(url)
        assert "Kravkontrollen är sparad i historiken." in shown.text
        assert "Godkänd med anmärkning" in shown.text
        assert "utan godkänd kravkontroll" not in shown.text
        assert "⚠ Trygga Boenden AB" not in (await c.get("/offers/new")).text
        flagged = (await c.get("/api/v1/providers?flagged=true")).json()
        assert flagged["items"] == []
        api = (await c.get(url.replace("/providers", "/api/v1/providers"))).json()
        assert [ch["result"] for ch in api["checks"]] == ["approved", "remarks"]
        assert api["checks"][0]["checked_by"] == "Jonna"

        missing_what = await c.post(
            f"{url}/checks", data={"what": "", "result": "approved", "csrf_token": token}
        )
        assert missing_what.status_code == 400
        assert "Beskriv vad som kontrollerades" in missing_what.text


async def test_an_old_approval_flags_again(db: None) -> None:
    from gvi.support import services

    world = await build_world()
    provider_id = await make_provider("Gammal Kontroll AB")
    await ProviderCheck(
        provider=provider_id,
        checked_on=clock.today() - timedelta(days=400),
        what="Registerutdrag",
        result=ProviderCheck.Result.approved,
    ).save()
    view = await services.get_provider(world.principal("jonna"), provider_id)
    assert view.needs_check is True
    assert view.last_approved_on == clock.today() - timedelta(days=400)


async def test_edit_is_locked_and_scoped(app: Litestar) -> None:
    world = await build_world()
    private = await make_provider("Privat Stöd AB")
    municipal = Provider(
        name="Sigtuna Arbetsmarknad",
        kind=Provider.Kind.municipal,
        municipality=world.municipality["0191"],
    )
    await municipal.save()
    async with signed_in(app, world, "jonna") as c:
        token = csrf_from((await c.get("/")).text)
        before = await last_seq()
        ok = await api_send(
            c, "PATCH", f"/api/v1/providers/{private}", {"version": 1, "services": "Mentorer"}
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["services"] == "Mentorer"
        stale = await api_send(
            c, "PATCH", f"/api/v1/providers/{private}", {"version": 1, "services": "Annat"}
        )
        assert stale.status_code == 412
        page_stale = await c.post(
            f"/providers/{private}/edit",
            data={"version": "1", "name": "Privat Stöd AB", "kind": "private", "csrf_token": token},
        )
        assert page_stale.status_code == 409
        # Another municipality's municipal provider can be read, not changed.
        assert (await c.get(f"/providers/{municipal.id}")).status_code == 200
        assert (
            'action="/providers/' + str(municipal.id) + '/edit"'
            not in (await c.get(f"/providers/{municipal.id}")).text
        )
        other = await api_send(
            c, "PATCH", f"/api/v1/providers/{municipal.id}", {"version": 1, "services": "x"}
        )
        assert other.status_code == 404
        events = await events_since(before)
    assert [e["action"] for e in events] == ["provider:write"]
