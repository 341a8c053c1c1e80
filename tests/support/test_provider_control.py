"""Provider control (issue 22, part 5): the particular requirements of an
agreement, follow-up visits beside document checks, deviations with severity and
measures shown where the provider is chosen, and the figure of providers with an
approved check in the last twelve months."""

from __future__ import annotations

import json
from datetime import timedelta

from litestar import Litestar

from gvi.core import clock
from gvi.reports import services as reports
from gvi.support.tables import Provider, ProviderCheck, ProviderDeviation
from tests.clients import NOT_FOUND, csrf_from, signed_in
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import build_world, make_provider


async def test_requirements_visits_and_deviations_on_the_provider_page(app: Litestar) -> None:
    world = await build_world()
    provider = await make_provider("Trygga Boenden AB")
    url = f"/providers/{provider}"
    async with signed_in(app, world, "jonna") as c:
        token = csrf_from((await c.get(url)).text)
        before = await last_seq()
        bad = await c.post(
            f"{url}/requirements",
            data={"agreement": "UH-2024-01", "requirement": "x", "csrf_token": token},
        )
        assert bad.status_code == 400
        assert "Beskriv kravet" in bad.text
        assert 'value="UH-2024-01"' in bad.text
        ok = await c.post(
            f"{url}/requirements",
            data={
                "agreement": "UH-2024-01",
                "requirement": "Tillstånd från IVO och bemanning dygnet runt",
                "valid_from": "2024-01-01",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert ok.status_code == 303, ok.text
        visit = await c.post(
            f"{url}/checks",
            data={
                "kind": "follow_up_visit",
                "what": "Besök på boendet, genomgång av rutiner",
                "result": "remarks",
                "checked_on": "2024-05-02",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert visit.status_code == 303, visit.text
        future = (clock.today() + timedelta(days=2)).isoformat()
        refused = await c.post(
            f"{url}/deviations",
            data={
                "severity": "serious",
                "description": "Utlovad kontaktperson saknades i tre veckor",
                "reported_on": future,
                "csrf_token": token,
            },
        )
        assert refused.status_code == 400
        assert "Datumet kan inte ligga i framtiden." in refused.text
        assert "Utlovad kontaktperson saknades i tre veckor" in refused.text  # kept
        reported = await c.post(
            f"{url}/deviations",
            data={
                "severity": "serious",
                "description": "Utlovad kontaktperson saknades i tre veckor",
                "reported_on": "2024-05-10",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert reported.status_code == 303, reported.text
        page = (await c.get(url)).text
        assert "Tillstånd från IVO och bemanning dygnet runt" in page
        assert "Uppföljningsbesök" in page
        assert "1 öppen avvikelse" in page
        assert "Allvarlig" in page
        # Chosen for an offer: the provider's open deviation is named in the list.
        form = (await c.get("/offers/new")).text
        assert "⚠ Trygga Boenden AB (1 öppen avvikelse)" in form
        deviation = await ProviderDeviation.select(ProviderDeviation.id).first()
        assert deviation is not None
        close_url = f"{url}/deviations/{deviation['id']}/close"
        early = await c.post(
            close_url,
            data={"version": "1", "measures": "Ny kontaktperson", "closed_on": "2024-05-01"},
            headers={"X-CSRF-Token": token},
        )
        assert early.status_code == 400
        assert "Avvikelsen kan inte stängas före den rapporterades." in early.text
        closed = await c.post(
            close_url,
            data={
                "version": "1",
                "measures": "Ny kontaktperson utsedd, uppföljning varje vecka",
                "closed_on": "2024-06-01",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert closed.status_code == 303, closed.text
        again = await c.post(
            close_url, data={"version": "2", "measures": "Igen", "csrf_token": token}
        )
        assert again.status_code == 404  # a closed deviation is not closed twice
        assert "öppen avvikelse" not in (await c.get("/offers/new")).text
        shown = (await c.get(f"/api/v1/providers/{provider}")).json()
        events = await events_since(before)
    assert shown["open_deviations"] == 0
    assert [d["closed_on"] for d in shown["deviations"]] == ["2024-06-01"]
    assert [r["agreement"] for r in shown["requirements"]] == ["UH-2024-01"]
    assert [c["kind"] for c in shown["checks"]] == ["follow_up_visit"]
    writes = [e for e in events if e["action"] == "provider:write"]
    ops = [
        (d if isinstance(d, dict) else json.loads(d))["op"] for d in (e["details"] for e in writes)
    ]
    assert ops == ["requirement", "check", "deviation", "deviation_close"]


async def test_only_the_providers_municipality_records_its_control(app: Litestar) -> None:
    world = await build_world()
    municipal = Provider(
        name="Sigtuna Arbetsmarknad",
        kind=Provider.Kind.municipal,
        municipality=world.municipality["0191"],
    )
    await municipal.save()
    async with signed_in(app, world, "jonna") as c:
        token = csrf_from((await c.get("/")).text)
        for path, body in (
            ("requirements", {"requirement": "Krav"}),
            ("deviations", {"severity": "minor", "description": "Något hände"}),
        ):
            answer = await c.post(
                f"/api/v1/providers/{municipal.id}/{path}",
                json=body,
                headers={"X-CSRF-Token": token},
            )
            assert answer.status_code == 404
            assert answer.json() == NOT_FOUND
    assert await ProviderDeviation.count() == 0


async def test_the_figure_counts_providers_with_an_approved_check(db: None) -> None:
    world = await build_world(logins=False)
    today = clock.today()
    approved = ProviderCheck.Result.approved
    checks = {
        "Privat A": [(today - timedelta(days=30), approved)],
        "Privat B": [(today - timedelta(days=400), approved)],  # too old
        "Privat C": [(today - timedelta(days=10), ProviderCheck.Result.rejected)],
        "Privat D": [],
    }
    ids = {}
    for name, done in checks.items():
        ids[name] = await make_provider(name)
        for day, result in done:
            await ProviderCheck(
                provider=ids[name],
                checked_on=day,
                what="Registerutdrag",
                result=result,
                kind=ProviderCheck.Kind.follow_up_visit,
            ).save()
    non_profit = await make_provider("Förening E", Provider.Kind.non_profit)
    await ProviderCheck(
        provider=non_profit, checked_on=today, what="Stadgar", result=approved
    ).save()
    inactive = await make_provider("Privat F")
    await Provider.update({Provider.is_active: False}).where(Provider.id == inactive)
    # Another municipality's own provider is outside the reader's figure.
    await Provider(
        name="Sigtuna kommun", kind=Provider.Kind.municipal, municipality=world.municipality["0191"]
    ).save()
    for provider, closed in (
        (ids["Privat A"], None),
        (ids["Privat A"], today),
        (ids["Privat D"], None),
    ):
        await ProviderDeviation(
            provider=provider,
            reported_on=today - timedelta(days=5),
            severity=ProviderDeviation.Severity.moderate,
            description="Avvikelse",
            closed_on=closed,
        ).save()
    report = await reports.build(world.principal("jonna"), "providers", reports.Filters())
    rows = [
        (r["kind"], r["providers"], r["approved"], r["share"], r["open_deviations"])
        for r in report.rows
    ]
    assert rows == [("non_profit", 1, 1, 1.0, 0), ("private", 4, 1, 0.25, 2)]
    # As it stood a hundred days ago: B's check was then within twelve months, A's and
    # E's were not made yet, and no deviation was reported.
    then = await reports.build(
        world.principal("jonna"),
        "providers",
        reports.Filters(date_to=today - timedelta(days=100)),
    )
    earlier = [(r["kind"], r["providers"], r["approved"], r["open_deviations"]) for r in then.rows]
    assert earlier == [("non_profit", 1, 0, 0), ("private", 4, 1, 0)]
