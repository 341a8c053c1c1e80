"""Imported records are first-class: the case page renders them, the figures count
them like cases typed by hand; identities are encrypted at rest; the import is
one audit event with counts only; a large upload runs in the background."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar

from gvi.audit.events import AuditAction
from gvi.audit.tables import AuditEvent
from gvi.defectors import services as cases
from gvi.defectors.schemas import CaseIn
from gvi.defectors.tables import DefectorCase
from gvi.people.services import read_identity
from gvi.people.tables import Person, PersonIdentity
from gvi.records import services
from gvi.records.tables import ImportJob
from gvi.reports import services as reports
from gvi.reports.services import Filters
from gvi.security.crypto import get_keyring
from tests.admin.support import head_seq
from tests.conftest import DATABASE_URL, engines_only
from tests.records.support import (
    JOINT,
    PEOPLE_HEADER,
    build_world,
    cases_csv,
    offers_csv,
    people_csv,
    signed_in,
    token,
    upload,
)

SECRETS = ("Åsa Öberg", "19010101-1234", "Storgatan 1", "070-1234567", "Per Ärlig")


async def test_the_case_page_and_a_figure_show_an_imported_case(app: Litestar) -> None:
    world = await build_world()
    sofia = world.principal("sofia")
    await services.import_records(
        sofia, upload(people_csv(), cases_csv(), offers_csv()), dry_run=False
    )
    # One case typed by hand, in the same municipality and year as the imported one.
    hand = await Person.select(Person.code).where(Person.external_ref == "EXT-1").first()
    assert hand is not None
    hand_case = await cases.create_case(
        sofia,
        CaseIn(
            person_code=hand["code"],
            unit_id=world.unit[JOINT],
            referral_source=DefectorCase.ReferralSource.police,
            opened_on=None,
        ),
    )
    imported = (
        await DefectorCase.select(DefectorCase.id, DefectorCase.reference)
        .where(DefectorCase.external_ref == "AH-OLD-1")
        .first()
    )
    assert imported is not None
    assert imported["reference"].startswith("AH-2024-")
    led = await cases.led_to_intervention([imported["id"], hand_case])
    assert led == {imported["id"]: True, hand_case: False}  # the imported offer was started

    report = await reports.build(sofia, "cases", Filters(year=2024))
    row = next(r for r in report.rows if r["year"] == 2024)
    assert (row["cases"], row["led"]) == (1, 1)
    this_year = cases.today().year
    both = await reports.build(sofia, "cases", Filters())
    counted = {r["year"]: r["cases"] for r in both.rows}
    assert counted[2024] == 1
    assert counted[2023] == 1
    assert counted[this_year] == 1  # the hand-made one, counted alike

    async with signed_in(app, world, "sofia") as c:
        page = await c.get(f"/cases/{imported['id']}")
        assert page.status_code == 200, page.text
        assert imported["reference"] in page.text
        assert "Motivationsbedömning" in page.text  # its status history
        listing = await c.get("/cases")
        assert imported["reference"] in listing.text


@engines_only("sqlite")
async def test_identities_are_not_in_the_database_file_in_plain_text(
    db: None, no_job_worker: None, caplog: pytest.LogCaptureFixture
) -> None:
    world = await build_world()
    caplog.set_level(logging.DEBUG)
    start = await head_seq()
    result = await services.import_records(
        world.principal("sofia"), upload(people_csv(), cases_csv(), offers_csv()), dry_run=False
    )
    assert result.written
    path = Path(DATABASE_URL.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    for secret in SECRETS:
        for encoding in ("utf-8", "utf-16-le", "cp1252"):
            assert secret.encode(encoding) not in raw, secret
        assert secret not in caplog.text
    # Encrypted, with the blind index: the service reads them back.
    person = await Person.select(Person.id).where(Person.external_ref == "EXT-1").first()
    assert person is not None
    identity = await PersonIdentity.select().where(PersonIdentity.person == person["id"]).first()
    assert identity is not None
    assert identity["pin_index"] == get_keyring().blind_index("19010101-1234")
    read = await read_identity(world.principal("sofia"), person["id"])
    assert (read.name, read.pin, read.phone) == ("Åsa Öberg", "19010101-1234", "070-1234567")
    events = await AuditEvent.select().where(
        (AuditEvent.seq > start) & (AuditEvent.action == AuditAction.records_import)
    )
    assert len(events) == 1


async def test_the_import_is_one_audit_event_with_counts_only(db: None) -> None:
    world = await build_world()
    start = await head_seq()
    await services.import_records(
        world.principal("sofia"), upload(people_csv(), cases_csv(), offers_csv()), dry_run=False
    )
    events = await AuditEvent.select().where(AuditEvent.seq > start).output(load_json=True)
    imports = [e for e in events if e["action"] == AuditAction.records_import]
    assert len(imports) == 1
    event = imports[0]
    assert event["person_id"] is None
    assert event["details"]["people_create"] == 2
    assert event["details"]["cases_create"] == 2
    assert event["details"]["offers_create"] == 2
    assert all(isinstance(v, int) for v in event["details"].values())
    text = str(event)
    assert not any(s in text for s in SECRETS)
    # A second upload of the same file writes nothing, so it records nothing.
    again = await head_seq()
    await services.import_records(
        world.principal("sofia"), upload(people_csv(), cases_csv(), offers_csv()), dry_run=False
    )
    assert await head_seq() == again


async def test_a_changed_row_is_updated_not_duplicated(db: None) -> None:
    world = await build_world()
    sofia = world.principal("sofia")
    await services.import_records(sofia, upload(people_csv(), cases_csv()), dry_run=False)
    changed_people = people_csv().replace(",2001,", ",2002,")
    changed_cases = cases_csv().replace(
        "police,criminal_network,nej,high", "police,criminal_network,nej,medium"
    )
    result = await services.import_records(
        sofia, upload(changed_people, changed_cases), dry_run=False
    )
    assert result.counts["people"] == {"create": 0, "update": 1, "skip": 1}
    assert result.counts["cases"] == {"create": 0, "update": 1, "skip": 1}
    assert await Person.count() == 2
    assert await DefectorCase.count() == 2
    person = await Person.select(Person.birth_year).where(Person.external_ref == "EXT-1").first()
    assert person == {"birth_year": 2002}


async def _wait_done(client: Any, job_id: int) -> tuple[dict[str, Any], list[int]]:
    seen: list[int] = []
    for _ in range(600):
        r = await client.get(f"/api/v1/records/import/jobs/{job_id}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        seen.append(body["progress"])
        if body["done"]:
            return body, seen
        await asyncio.sleep(0.1)
    raise AssertionError("the import job did not finish")


async def test_a_large_upload_runs_in_the_background_with_progress(app: Litestar) -> None:
    world = await build_world()
    rows = "".join(f"BIG-{i},,0123,{1980 + i % 30},,Namn {i},,,,\n" for i in range(10_000))
    data = (PEOPLE_HEADER + rows).encode("utf-8")
    async with signed_in(app, world, "sofia") as c:
        r = await c.post(
            "/records/import",
            files={"people": ("stor.csv", data, "text/csv")},
            data={"csrf_token": await token(c)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        job_id = int(r.headers["location"].rsplit("/", 1)[-1])
        page = await c.get(r.headers["location"])
        assert page.status_code == 200
        assert "/static/js/jobs.js" in page.text
        body, seen = await _wait_done(c, job_id)
        assert body["status"] == "done", body
        assert body["progress"] == 100
        assert body["result"]["written"] is True
        assert body["result"]["counts"]["people"]["create"] == 10_000
        assert seen == sorted(seen)  # never backwards
        done = await c.get(f"/records/import/jobs/{job_id}")
        assert "10000" in done.text
        # Someone else's job is a 404 like a missing one.
    async with signed_in(app, world, "sigge") as c:
        assert (await c.get(f"/api/v1/records/import/jobs/{job_id}")).status_code == 404
    assert await Person.count() == 10_000
    job = await ImportJob.select(ImportJob.payload).where(ImportJob.id == job_id).first()
    assert job == {"payload": None}  # the upload is gone once the job ends


async def test_a_queued_upload_is_encrypted_at_rest(db: None) -> None:
    from gvi.records import jobs

    world = await build_world()
    job_id = await jobs.queue_import(world.principal("sofia"), upload(people_csv()), dry_run=True)
    row = await ImportJob.select(ImportJob.payload).where(ImportJob.id == job_id).first()
    assert row is not None
    blob = bytes(row["payload"])
    assert not any(s.encode() in blob for s in SECRETS)
    assert b"EXT-1" not in blob
