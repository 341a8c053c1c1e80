"""The method catalogue (issue 22, part 2): a unit's methods with their evidence
level and its source, offers that name their method, and the figure of started
interventions with scientific support per municipality and year."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from litestar import Litestar

from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.reports import services as reports
from gvi.support.tables import Method, OfferStatus, SupportOffer, SupportOfferStatusChange
from tests.clients import NOT_FOUND, api_send, csrf_from, signed_in
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import JOINT, SOC_JARFALLA, SOC_SIGTUNA, World, build_world
from tests.defectors.factories import make_offer as offer_of

STARTED = (OfferStatus.offered, OfferStatus.accepted, OfferStatus.started)


async def make_method(
    world: World,
    name: str,
    evidence: Method.Evidence,
    *,
    unit: str = SOC_JARFALLA,
    active: bool = True,
) -> int:
    method = Method(
        unit=world.unit[unit],
        name=name,
        evidence=evidence,
        evidence_source="SBU 2021" if evidence == Method.Evidence.scientific else "",
        is_active=active,
    )
    await method.save()
    return method.id


async def test_a_method_is_added_through_the_page_and_bad_input_is_kept(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "jonna") as c:
        empty = await c.get("/methods")
        assert "Inga metoder är registrerade ännu." in empty.text
        form = await c.get("/methods/new")
        assert SOC_JARFALLA in form.text
        assert JOINT not in form.text
        token = csrf_from(form.text)
        typed = {
            "unit_id": str(world.unit[SOC_JARFALLA]),
            "name": "Multisystemisk terapi (MST)",
            "description": "Familjebehandling i hemmet",
            "evidence": "scientific",
            "evidence_source": "",
            "csrf_token": token,
        }
        before = await last_seq()
        bad = await c.post("/methods/new", data=typed)
        assert bad.status_code == 400
        assert "Ange källan till bedömningen av vetenskapligt stöd" in bad.text
        assert 'value="Multisystemisk terapi (MST)"' in bad.text
        assert "Familjebehandling i hemmet" in bad.text
        ok = await c.post(
            "/methods/new",
            data={**typed, "evidence_source": "SBU-rapport 2021"},
            follow_redirects=False,
        )
        assert ok.status_code == 303, ok.text
        shown = await c.get(ok.headers["location"])
        assert "Metoden är sparad i katalogen." in shown.text
        assert "Vetenskapligt stöd" in shown.text
        assert "SBU-rapport 2021" in shown.text
        again = await c.post("/methods/new", data={**typed, "name": "multisystemisk TERAPI (mst)"})
        assert again.status_code == 400
        assert "Enheten har redan en metod med det namnet." in again.text
        listed = await c.get("/methods?evidence=scientific")
        assert "Multisystemisk terapi (MST)" in listed.text
        assert "Multisystemisk" not in (await c.get("/methods?evidence=promising")).text
        events = await events_since(before)
    assert [e["action"] for e in events] == ["method:write"]
    details = events[0]["details"]
    details = details if isinstance(details, dict) else json.loads(details)
    assert details == {"op": "create", "evidence": "scientific"}  # no free text


async def test_only_the_units_members_change_a_method(app: Litestar) -> None:
    world = await build_world()
    method_id = await make_method(world, "Mentorskap", Method.Evidence.promising)
    async with signed_in(app, world, "sigge") as c:
        # The catalogue holds no person data: another unit reads it, but cannot change it.
        page = await c.get(f"/methods/{method_id}")
        assert page.status_code == 200
        assert f'action="/methods/{method_id}/edit"' not in page.text
        patched = await api_send(
            c, "PATCH", f"/api/v1/methods/{method_id}", {"version": 1, "name": "Annat"}
        )
        assert patched.status_code == 404
        assert patched.json() == NOT_FOUND
        token = csrf_from(page.text)
        foreign = await c.post(
            "/api/v1/methods",
            json={"unit_id": world.unit[SOC_JARFALLA], "name": "X", "evidence": "promising"},
            headers={"X-CSRF-Token": token},
        )
        assert foreign.status_code == 400
        assert "Välj en av dina enheter." in foreign.text
        own = await c.post(
            "/api/v1/methods",
            json={
                "unit_id": world.unit[SOC_SIGTUNA],
                "name": "Mentorskap",
                "evidence": "promising",
            },
            headers={"X-CSRF-Token": token},
        )
        assert own.status_code == 201, own.text  # the same name in another unit is fine
        assert own.headers["location"] == f"/api/v1/methods/{own.json()['id']}"
        bogus = await c.get("/api/v1/methods?evidence=bogus")
        assert bogus.status_code == 400
    async with signed_in(app, world, "jonna") as c:
        ok = await api_send(
            c,
            "PATCH",
            f"/api/v1/methods/{method_id}",
            {"version": 1, "evidence": "scientific", "evidence_source": "Socialstyrelsen"},
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["evidence"] == "scientific"
        assert ok.json()["version"] == 2
        stale = await api_send(
            c, "PATCH", f"/api/v1/methods/{method_id}", {"version": 1, "name": "Nytt"}
        )
        assert stale.status_code == 412
        token = csrf_from((await c.get(f"/methods/{method_id}")).text)
        conflict = await c.post(
            f"/methods/{method_id}/edit",
            data={
                "version": "1",
                "name": "Nytt namn",
                "evidence": "scientific",
                "csrf_token": token,
            },
        )
        assert conflict.status_code == 409
        assert 'value="Nytt namn"' in conflict.text  # what was typed stays
        # Scientific support needs its source, also when the source is emptied later.
        unsourced = await api_send(
            c, "PATCH", f"/api/v1/methods/{method_id}", {"version": 2, "evidence_source": " "}
        )
        assert unsourced.status_code == 400
        assert "evidence_source" in unsourced.text
    assert (await Method.select(Method.name).where(Method.id == method_id).first()) == {
        "name": "Mentorskap"
    }


async def test_an_offer_names_its_method(app: Litestar) -> None:
    world = await build_world()
    mst = await make_method(world, "MST", Method.Evidence.scientific)
    retired = await make_method(world, "Gammal metod", Method.Evidence.not_evaluated, active=False)
    async with signed_in(app, world, "jonna") as c:
        form = await c.get("/offers/new")
        assert "MST (Socialtjänsten Järfälla (test)) – Vetenskapligt stöd" in form.text
        assert "Gammal metod" not in form.text
        token = csrf_from(form.text)
        refused = await c.post(
            "/api/v1/offers",
            json={"person_code": "P-JAR1", "category": "family_support", "method_id": retired},
            headers={"X-CSRF-Token": token},
        )
        assert refused.status_code == 400
        assert "Välj en metod i listan." in refused.text
        created = await c.post(
            "/offers/new",
            data={
                "person_code": "P-JAR1",
                "category": "family_support",
                "link": "street_outreach",
                "method_id": str(mst),
                "offered_on": "2024-03-01",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert created.status_code == 303, created.text
        offer_id = int(created.headers["location"].rsplit("/", 1)[1])
        view = (await c.get(f"/api/v1/offers/{offer_id}")).json()
        assert (view["method_id"], view["method"], view["method_evidence"]) == (
            mst,
            "MST",
            "scientific",
        )
        page = await c.get(f"/offers/{offer_id}")
        assert f'<a href="/methods/{mst}">MST</a> (Vetenskapligt stöd)' in page.text
        # A method taken out of use stays on the offers that named it.
        await Method.update({Method.is_active: False}).where(Method.id == mst)
        kept = await api_send(
            c, "PATCH", f"/api/v1/offers/{offer_id}", {"version": 1, "notes": "Uppföljt"}
        )
        assert kept.status_code == 200, kept.text
        assert kept.json()["method_id"] == mst
        shown = await c.get(f"/methods/{mst}")
        assert "Erbjudanden som anger metoden" in shown.text


async def _started_on(offer_id: int, day: date) -> None:
    await SupportOfferStatusChange.update(
        {
            SupportOfferStatusChange.changed_on: day,
            SupportOfferStatusChange.changed_at: datetime(day.year, day.month, day.day, tzinfo=UTC),
        }
    ).where(
        (SupportOfferStatusChange.offer == offer_id)
        & (SupportOfferStatusChange.to_status == OfferStatus.started)
    )


async def _named(offer_id: int, method_id: int | None) -> None:
    await SupportOffer.update({SupportOffer.method: method_id}).where(SupportOffer.id == offer_id)


def _rows(report: Any) -> list[tuple[Any, ...]]:
    keys = ("municipality", "year", "started", "scientific", "unnamed", "share")
    return [tuple(r[k] for k in keys) for r in report.rows]


async def test_the_figure_counts_started_interventions_with_scientific_support(
    db: None,
) -> None:
    world = await build_world(logins=False)
    mst = await make_method(world, "MST", Method.Evidence.scientific)
    fft = await make_method(world, "FFT", Method.Evidence.scientific, unit=SOC_SIGTUNA)
    mentor = await make_method(world, "Mentorskap", Method.Evidence.promising)
    # Sollentuna, 2024: four started (MST, FFT, Mentorskap, none), one only offered.
    for method_id in (mst, fft, mentor, None):
        await _named(await offer_of(world, history=STARTED), method_id)
    await _named(await offer_of(world, history=(OfferStatus.offered,)), mst)
    # Sollentuna: started in 2024 and completed since: counted once, in 2024.
    done = await offer_of(world, history=(*STARTED, OfferStatus.completed))
    await _named(done, mst)
    # Sollentuna, 2025: one started with MST.
    later = await offer_of(world, history=STARTED)
    await _named(later, mst)
    await _started_on(later, date(2025, 2, 1))
    # Järfälla, 2024: one started with Mentorskap.
    jar = await offer_of(world, person="jarfalla", municipality="0123", history=STARTED)
    await _named(jar, mentor)
    # Sigtuna is outside the reader's municipalities.
    sig = await offer_of(world, person="sigtuna", municipality="0191", history=STARTED)
    await _named(sig, fft)
    reader = Principal(
        user_id=world.user["jonna"],
        username="jonna",
        role=Role.outreach,
        unit_id=world.unit[SOC_JARFALLA],
        municipality_ids=frozenset({world.municipality["0123"], world.municipality["0163"]}),
        unit_ids=frozenset({world.unit[SOC_JARFALLA]}),
    )
    report = await reports.build(reader, "methods", reports.Filters())
    assert _rows(report) == [
        ("Järfälla", 2024, 1, 0, 0, 0.0),
        ("Sollentuna", 2024, 5, 3, 1, 0.6),
        ("Sollentuna", 2025, 1, 1, 0, 1.0),
    ]
    in_2025 = await reports.build(reader, "methods", reports.Filters(year=2025))
    assert _rows(in_2025) == [("Sollentuna", 2025, 1, 1, 0, 1.0)]
    # In an export (and for analysts) counts under five are suppressed.
    exported = await reports.build(reader, "methods", reports.Filters(), export=True)
    hidden = reports.SUPPRESSED
    assert [(r["started"], r["scientific"], r["share"]) for r in exported.rows] == [
        (hidden, hidden, hidden),
        (5, hidden, hidden),  # five is shown; the share rests on three
        (hidden, hidden, hidden),
    ]
