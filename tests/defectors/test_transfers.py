"""Transfers of defector cases between units (issue 22, part 3): offered by the
case's unit, seen by the receiving unit without the person until accepted,
accepted (unit, caseworker and version move; the sender loses the case) or
declined with a reason, withdrawn by the sender; one pending offer per case; a
third unit sees nothing; the police track re-checked; the figures unchanged."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from litestar import Litestar

from gvi.audit.events import AuditAction
from gvi.core.failures import FormErrors, NotVisible
from gvi.defectors import services
from gvi.defectors.services import CaseError
from gvi.defectors.tables import CaseConsent, CaseTransfer, ConsentAgency, DefectorCase
from gvi.defectors.transfer_schemas import TransferAcceptIn, TransferDeclineIn, TransferOfferIn
from gvi.reports import services as reports
from gvi.reports.services import Filters
from gvi.tasks.tables import Task
from tests.clients import csrf_from, signed_in
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import (
    SOC_JARFALLA,
    SOC_SIGTUNA,
    SOC_SOLLENTUNA,
    build_world,
    make_case,
)
from tests.factories import make_user

REASON = "Personen har flyttat till Sigtuna och behöver stöd där."
NOTES = "Fritext från socialtjänsten"


async def _jarfalla_case(world: Any, **kwargs: Any) -> int:
    return await make_case(
        world,
        person="jarfalla",
        municipality="0123",
        unit=SOC_JARFALLA,
        caseworker="jonna",
        **kwargs,
    )


async def _offer(client: Any, case_id: int, to_unit: int, reason: str = REASON) -> Any:
    token = csrf_from((await client.get("/")).text)
    return await client.post(
        f"/api/v1/cases/{case_id}/transfers",
        json={"to_unit_id": to_unit, "reason": reason},
        headers={"X-CSRF-Token": token},
    )


async def _post(client: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    token = csrf_from((await client.get("/")).text)
    return await client.post(url, json=body or {}, headers={"X-CSRF-Token": token})


async def test_offer_accept_moves_the_case_and_the_sender_loses_it(app: Litestar) -> None:
    world = await build_world()
    case_id = await _jarfalla_case(world)
    version = (await DefectorCase.select(DefectorCase.version).where(DefectorCase.id == case_id))[
        0
    ]["version"]
    task = Task(
        title="Ring personen",
        kind=Task.Kind.follow_up,
        due_on=date(2024, 5, 1),
        municipality=world.municipality["0123"],
        assignee=world.user["jonna"],
        unit=world.unit[SOC_JARFALLA],
        person=world.person["jarfalla"],
        defector_case=case_id,
    )
    await task.save()
    sigtuna = world.unit[SOC_SIGTUNA]
    async with signed_in(app, world, "jonna") as jonna:
        r = await _offer(jonna, case_id, sigtuna)
        assert r.status_code == 201, r.text
        transfer_id = r.json()["id"]
        assert r.headers["location"] == f"/api/v1/transfers/{transfer_id}"
        assert r.headers["etag"] == '"1"'
        assert r.json()["state"] == "pending"
        # The case stays with the sender until the answer.
        assert (await jonna.get(f"/cases/{case_id}")).status_code == 200

    async with signed_in(app, world, "sigge") as sigge:
        # Before accepting: the reference, the sending unit, the reason; not the case.
        listed = (await sigge.get("/api/v1/transfers?direction=incoming")).json()["items"]
        assert [t["id"] for t in listed] == [transfer_id]
        offer = listed[0]
        assert offer["case_reference"] == "AH-T-0001"
        assert offer["from_unit"] == SOC_JARFALLA
        assert offer["reason"] == REASON
        assert offer["case_id"] is None
        page = await sigge.get("/cases/transfers")
        assert page.status_code == 200
        assert "AH-T-0001" in page.text
        assert REASON in page.text
        assert world.code["jarfalla"] not in page.text
        assert NOTES not in page.text
        assert (await sigge.get(f"/cases/{case_id}")).status_code == 404
        assert (await sigge.get(f"/api/v1/cases/{case_id}/transfers")).status_code == 404

        seq = await last_seq()
        r = await _post(
            sigge,
            f"/api/v1/transfers/{transfer_id}/accept",
            {"caseworker_id": world.user["sigge"]},
        )
        assert r.status_code == 200, r.text
        assert r.json()["case_id"] == case_id
        events = await events_since(seq)
        transfer_events = [e for e in events if e["action"] == AuditAction.case_transfer]
        assert len(transfer_events) == 1
        assert transfer_events[0]["person_id"] == world.person["jarfalla"]
        assert transfer_events[0]["target_id"] == str(case_id)

        # The receiver now holds the case, sees the person and the timeline entry.
        row = await DefectorCase.select(
            DefectorCase.unit,
            DefectorCase.caseworker,
            DefectorCase.version,
            DefectorCase.municipality,
        ).where(DefectorCase.id == case_id)
        assert row[0]["unit"] == sigtuna
        assert row[0]["caseworker"] == world.user["sigge"]
        assert row[0]["version"] == version + 1
        assert row[0]["municipality"] == world.municipality["0123"]  # the home municipality stays
        page = await sigge.get(f"/cases/{case_id}")
        assert page.status_code == 200
        assert world.code["jarfalla"] in page.text
        timeline = (await sigge.get(f"/api/v1/cases/{case_id}/timeline")).json()
        titles = [e["title"] for e in timeline if e["kind"] == "transfer"]
        assert titles == [
            f"Erbjuden för överföring: {SOC_JARFALLA} → {SOC_SIGTUNA}",
            f"Överföring godtagen: {SOC_JARFALLA} → {SOC_SIGTUNA}",
        ]
        # The person of a case in the receiver's unit, although registered in Järfälla.
        person = await sigge.get(f"/api/v1/people/{world.person['jarfalla']}")
        assert person.status_code == 200
        # A record added after the transfer.
        r = await _post(sigge, f"/api/v1/cases/{case_id}/needs", {"need": "housing"})
        assert r.status_code == 201, r.text
        r = await _post(
            sigge, f"/api/v1/cases/{case_id}/status", {"to_status": "motivation_assessment"}
        )
        assert r.status_code == 200, r.text

    tasks = await Task.select(Task.unit, Task.assignee).where(Task.id == task.id)
    assert tasks[0] == {"unit": sigtuna, "assignee": world.user["sigge"]}

    async with signed_in(app, world, "jonna") as jonna:
        for url in (
            f"/cases/{case_id}",
            f"/api/v1/cases/{case_id}",
            f"/api/v1/cases/{case_id}/timeline",
            f"/api/v1/cases/{case_id}/transfers",
        ):
            r = await jonna.get(url)
            assert r.status_code == 404, url
        # The outgoing list: reference, receiving unit and outcome only.
        out = (await jonna.get("/api/v1/transfers?direction=outgoing")).json()["items"]
        assert len(out) == 1
        assert out[0]["case_reference"] == "AH-T-0001"
        assert out[0]["to_unit"] == SOC_SIGTUNA
        assert out[0]["state"] == "accepted"
        assert out[0]["case_id"] is None
        assert out[0]["reason"] is None
        assert out[0]["caseworker_after"] is None
        shown = await jonna.get(f"/api/v1/transfers/{transfer_id}")
        assert shown.status_code == 200
        assert shown.json()["case_id"] is None
        # No later record reaches the sender: not through tasks, offers or searches.
        for url in ("/api/v1/tasks", "/tasks", "/api/v1/offers", "/cases", "/cases/transfers"):
            r = await jonna.get(url)
            assert r.status_code == 200, url
            assert "Motivationsbedömning" not in r.text or url == "/cases", url
            assert "Ring personen" not in r.text, url
            assert f'/cases/{case_id}"' not in r.text, url
        listed = (await jonna.get("/api/v1/cases")).json()["items"]
        assert listed == []
        r = await _post(jonna, f"/api/v1/cases/{case_id}/needs", {"need": "debt"})
        assert r.status_code == 404


async def test_decline_needs_a_reason_and_keeps_what_was_typed(app: Litestar) -> None:
    world = await build_world()
    case_id = await _jarfalla_case(world)
    async with signed_in(app, world, "jonna") as jonna:
        transfer_id = (await _offer(jonna, case_id, world.unit[SOC_SIGTUNA])).json()["id"]
    async with signed_in(app, world, "sigge") as sigge:
        r = await _post(sigge, f"/api/v1/transfers/{transfer_id}/decline", {"decline_reason": " "})
        assert r.status_code == 400
        assert "Skriv varför ni tackar nej" in r.text
        token = csrf_from((await sigge.get("/cases/transfers")).text)
        # The page form: the caseworker choice typed stays, the error is shown in Swedish.
        r = await sigge.post(
            f"/cases/transfers/{transfer_id}/decline",
            data={"csrf_token": token, "decline_reason": ""},
        )
        assert r.status_code == 400
        assert "Skriv varför ni tackar nej" in r.text
        r = await sigge.post(
            f"/cases/transfers/{transfer_id}/decline",
            data={"csrf_token": token, "decline_reason": "Vi har ingen plats just nu."},
            follow_redirects=False,
        )
        assert r.status_code == 303
        shown = (await sigge.get(f"/api/v1/transfers/{transfer_id}")).json()
        assert shown["state"] == "declined"
        assert shown["decline_reason"] == "Vi har ingen plats just nu."
        assert (await sigge.get(f"/cases/{case_id}")).status_code == 404
    async with signed_in(app, world, "jonna") as jonna:
        page = await jonna.get(f"/cases/{case_id}")
        assert page.status_code == 200
        assert "Vi har ingen plats just nu." in page.text
        timeline = (await jonna.get(f"/api/v1/cases/{case_id}/timeline")).json()
        assert any(e["title"].startswith("Överföring avböjd") for e in timeline)
        # Declined: a new offer may be made.
        assert (await _offer(jonna, case_id, world.unit[SOC_SIGTUNA])).status_code == 201


async def test_decline_page_form_keeps_the_text_typed(app: Litestar) -> None:
    world = await build_world()
    case_id = await _jarfalla_case(world)
    async with signed_in(app, world, "jonna") as jonna:
        token = csrf_from((await jonna.get(f"/cases/{case_id}")).text)
        # The offer form on the case page: a missing reason keeps the unit chosen.
        r = await jonna.post(
            f"/cases/{case_id}/transfers",
            data={"csrf_token": token, "to_unit_id": str(world.unit[SOC_SIGTUNA]), "reason": ""},
        )
        assert r.status_code == 400
        assert "Skriv varför ärendet ska föras över." in r.text
        assert f'value="{world.unit[SOC_SIGTUNA]}" selected' in r.text
        r = await jonna.post(
            f"/cases/{case_id}/transfers",
            data={
                "csrf_token": token,
                "to_unit_id": str(world.unit[SOC_SIGTUNA]),
                "reason": REASON,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        page = await jonna.get(f"/cases/{case_id}")
        assert "Återkalla erbjudandet" in page.text


async def test_one_pending_offer_and_withdrawal(app: Litestar) -> None:
    world = await build_world()
    case_id = await _jarfalla_case(world)
    async with signed_in(app, world, "jonna") as jonna:
        first = await _offer(jonna, case_id, world.unit[SOC_SIGTUNA])
        assert first.status_code == 201
        second = await _offer(jonna, case_id, world.unit[SOC_SOLLENTUNA])
        assert second.status_code == 400
        assert "väntar på svar" in second.json()["detail"]
        transfer_id = first.json()["id"]
        r = await _post(jonna, f"/api/v1/transfers/{transfer_id}/withdraw")
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "withdrawn"
        # Withdrawn: no longer pending, cannot be withdrawn again, a new offer may follow.
        again = await _post(jonna, f"/api/v1/transfers/{transfer_id}/withdraw")
        assert again.status_code == 400
        assert (await _offer(jonna, case_id, world.unit[SOC_SOLLENTUNA])).status_code == 201
        # Its own unit is no receiving unit; neither is a police unit.
        other = await _jarfalla_case(world, reference="AH-T-0002")
        for unit in (SOC_JARFALLA, "Lokalpolisområde Nordväst (test)"):
            r = await _offer(jonna, other, world.unit[unit])
            assert r.status_code == 400, unit
    async with signed_in(app, world, "sigge") as sigge:
        r = await _post(
            sigge, f"/api/v1/transfers/{transfer_id}/accept", {"caseworker_id": world.user["sigge"]}
        )
        assert r.status_code == 400  # withdrawn: nothing to accept


async def test_a_third_unit_neither_sees_nor_decides(app: Litestar) -> None:
    world = await build_world()
    case_id = await _jarfalla_case(world)
    solveig, secret = await make_user(
        "solveig", "outreach", municipality_codes=["0163"], unit_name=SOC_SOLLENTUNA
    )
    async with signed_in(app, world, "jonna") as jonna:
        transfer_id = (await _offer(jonna, case_id, world.unit[SOC_SIGTUNA])).json()["id"]
    async with signed_in(app, "solveig", secret) as other:
        assert (await other.get(f"/api/v1/transfers/{transfer_id}")).status_code == 404
        assert (await other.get("/api/v1/transfers")).json()["items"] == []
        assert "AH-T-0001" not in (await other.get("/cases/transfers")).text
        for action, body in (
            ("accept", {"caseworker_id": solveig}),
            ("decline", {"decline_reason": "Nej"}),
            ("withdraw", {}),
        ):
            r = await _post(other, f"/api/v1/transfers/{transfer_id}/{action}", body)
            assert r.status_code == 404, action
        token = csrf_from((await other.get("/")).text)
        r = await other.post(
            f"/cases/transfers/{transfer_id}/accept",
            data={"csrf_token": token, "caseworker_id": str(solveig)},
        )
        assert r.status_code == 404
    async with signed_in(app, world, "sigge") as sigge:
        # The receiver cannot withdraw, and cannot accept for a caseworker of another unit.
        r = await _post(sigge, f"/api/v1/transfers/{transfer_id}/withdraw")
        assert r.status_code == 404
        r = await _post(
            sigge, f"/api/v1/transfers/{transfer_id}/accept", {"caseworker_id": world.user["jonna"]}
        )
        assert r.status_code == 400
        assert "Handläggaren måste arbeta i den ansvariga enheten." in r.text
    assert (await CaseTransfer.select(CaseTransfer.state))[0]["state"] == "pending"


@pytest.mark.usefixtures("db")
async def test_acceptance_rechecks_the_police_track_consents() -> None:
    """A police-track case whose police consent is no longer in force (withdrawn where
    the track was not recomputed, e.g. in the system it came from): acceptance is not
    refused, the track ends there, as a withdrawal ends it, and the consent is named."""
    world = await build_world(logins=False)
    case_id = await _jarfalla_case(world, police_ready=True)
    jonna, sigge = world.principal("jonna"), world.principal("sigge")
    transfer_id = await services.offer_transfer(
        jonna, case_id, TransferOfferIn(to_unit_id=world.unit[SOC_SIGTUNA], reason=REASON)
    )
    await CaseConsent.update({CaseConsent.withdrawn_on: date(2024, 3, 1)}).where(
        (CaseConsent.case == case_id) & (CaseConsent.agency == ConsentAgency.police)
    )
    seq = await last_seq()
    outcome = await services.accept_transfer(
        sigge, transfer_id, TransferAcceptIn(caseworker_id=world.user["sigge"])
    )
    assert outcome.police_track_ended
    assert not outcome.police_track_active
    assert outcome.missing_consents == ["police"]
    row = await DefectorCase.select(DefectorCase.police_track_active).where(
        DefectorCase.id == case_id
    )
    assert row[0]["police_track_active"] is False
    events = [e for e in await events_since(seq) if e["action"] == AuditAction.case_transfer]
    details = events[0]["details"]
    details = details if isinstance(details, dict) else json.loads(details)
    assert details["op"] == "accept"
    assert details["police_track_ended"] is True
    assert details["missing_consents"] == ["police"]


@pytest.mark.usefixtures("db")
async def test_acceptance_keeps_a_police_track_whose_consents_are_in_force() -> None:
    world = await build_world(logins=False)
    case_id = await _jarfalla_case(world, police_ready=True)
    transfer_id = await services.offer_transfer(
        world.principal("jonna"),
        case_id,
        TransferOfferIn(to_unit_id=world.unit[SOC_SIGTUNA], reason=REASON),
    )
    outcome = await services.accept_transfer(
        world.principal("sigge"), transfer_id, TransferAcceptIn(caseworker_id=world.user["sigge"])
    )
    assert outcome.police_track_active
    assert not outcome.police_track_ended
    assert outcome.missing_consents == []


@pytest.mark.usefixtures("db")
async def test_services_refuse_outside_the_parties() -> None:
    world = await build_world(logins=False)
    case_id = await _jarfalla_case(world)
    jonna, sigge = world.principal("jonna"), world.principal("sigge")
    with pytest.raises(NotVisible):
        await services.offer_transfer(
            sigge, case_id, TransferOfferIn(to_unit_id=world.unit[SOC_SOLLENTUNA], reason=REASON)
        )
    transfer_id = await services.offer_transfer(
        jonna, case_id, TransferOfferIn(to_unit_id=world.unit[SOC_SIGTUNA], reason=REASON)
    )
    with pytest.raises(FormErrors):
        await services.decline_transfer(sigge, transfer_id, TransferDeclineIn(decline_reason=""))
    with pytest.raises(NotVisible):
        await services.decline_transfer(jonna, transfer_id, TransferDeclineIn(decline_reason="x"))
    await services.decline_transfer(sigge, transfer_id, TransferDeclineIn(decline_reason="Nej."))
    with pytest.raises(CaseError):
        await services.accept_transfer(
            sigge, transfer_id, TransferAcceptIn(caseworker_id=world.user["sigge"])
        )


@pytest.mark.usefixtures("db")
async def test_figures_count_the_case_where_it_was_opened() -> None:
    world = await build_world(logins=False)
    case_id = await _jarfalla_case(world)
    analyst_view = world.principal("sofia")

    async def counted() -> list[tuple[str, int, int]]:
        report = await reports.build(analyst_view, "cases", Filters())
        return [(r["municipality"], r["year"], r["cases"]) for r in report.rows]

    before = await counted()
    assert before == [("Järfälla", 2024, 1)]
    transfer_id = await services.offer_transfer(
        world.principal("jonna"),
        case_id,
        TransferOfferIn(to_unit_id=world.unit[SOC_SIGTUNA], reason=REASON),
    )
    await services.accept_transfer(
        world.principal("sigge"), transfer_id, TransferAcceptIn(caseworker_id=world.user["sigge"])
    )
    assert await counted() == before
    # Sigtuna's own figures do not gain the case either.
    sigtuna = await reports.build(world.principal("sigge"), "cases", Filters())
    assert [r["municipality"] for r in sigtuna.rows] == []
    report = await reports.build(analyst_view, "cases", Filters())
    assert any("det år det öppnades" in n for n in report.notes)
