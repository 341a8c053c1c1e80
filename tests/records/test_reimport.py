"""A second upload of the same records (the same external references) updates them
fully: the case's status history (its dates and its new steps), its dated lists
(what the file no longer holds is archived, not deleted) and the person's
identity; an unchanged file is skipped; a file that rewrites a step is refused.
And the progress of a background import moves while the final write runs."""

from __future__ import annotations

import asyncio
from datetime import date

from gvi.core.clock import local_day
from gvi.defectors.tables import CaseNeed, CaseStatusChange, DefectorCase
from gvi.jobs import runner
from gvi.people.tables import Person, PersonIdentity
from gvi.records import jobs, services
from gvi.security.crypto import aad, get_keyring
from tests.records.support import build_world, cases_csv, people_csv, upload


async def _history(ref: str) -> list[tuple[str, date]]:
    case = (
        await DefectorCase.select(DefectorCase.id).where(DefectorCase.external_ref == ref).first()
    )
    assert case is not None
    rows = (
        await CaseStatusChange.select(CaseStatusChange.to_status, CaseStatusChange.changed_at)
        .where(CaseStatusChange.case == case["id"])
        .order_by(CaseStatusChange.changed_at)
    )
    return [(r["to_status"], local_day(r["changed_at"])) for r in rows]


async def test_a_reimport_moves_status_dates_adds_steps_and_replaces_lists(db: None) -> None:
    world = await build_world()
    sofia = world.principal("sofia")
    first = await services.import_records(sofia, upload(people_csv(), cases_csv()), dry_run=False)
    assert first.written
    assert await _history("AH-OLD-1") == [
        ("contact", date(2024, 1, 10)),
        ("motivation_assessment", date(2024, 1, 20)),
        ("consent", date(2024, 2, 1)),
    ]
    # The old system moved on: a corrected date, a new step, a need met.
    changed = (
        cases_csv()
        .replace(
            '"contact:2024-01-10; motivation_assessment:2024-01-20; consent:2024-02-01"',
            '"contact:2024-01-10; motivation_assessment:2024-01-22; consent:2024-02-01; '
            'risk_assessment:2024-02-15"',
        )
        .replace('"housing:2024-01-15; debt:2024-01-20"', '"housing:2024-01-15/2024-03-01"')
    )
    dry = await services.import_records(sofia, upload(people_csv(), changed), dry_run=True)
    assert dry.problems == []
    assert dry.counts["cases"] == {"create": 0, "update": 1, "skip": 1}
    again = await services.import_records(sofia, upload(people_csv(), changed), dry_run=False)
    assert again.written
    assert again.counts["cases"] == {"create": 0, "update": 1, "skip": 1}
    assert await DefectorCase.count() == 2
    assert await _history("AH-OLD-1") == [
        ("contact", date(2024, 1, 10)),
        ("motivation_assessment", date(2024, 1, 22)),
        ("consent", date(2024, 2, 1)),
        ("risk_assessment", date(2024, 2, 15)),
    ]
    case = (
        await DefectorCase.select(DefectorCase.id, DefectorCase.status)
        .where(DefectorCase.external_ref == "AH-OLD-1")
        .first()
    )
    assert case is not None
    assert case["status"] == "risk_assessment"
    needs = await CaseNeed.select(CaseNeed.need, CaseNeed.met_on, CaseNeed.archived_at).where(
        CaseNeed.case == case["id"]
    )
    live = {(n["need"], n["met_on"]) for n in needs if n["archived_at"] is None}
    assert live == {("housing", date(2024, 3, 1))}
    # The needs the file no longer holds are archived, not deleted.
    assert sum(1 for n in needs if n["archived_at"] is not None) == 2
    # The same file once more changes nothing.
    third = await services.import_records(sofia, upload(people_csv(), changed), dry_run=False)
    assert not third.written
    assert third.counts["cases"] == {"create": 0, "update": 0, "skip": 2}


async def test_a_reimport_that_rewrites_a_step_is_refused(db: None) -> None:
    world = await build_world()
    sofia = world.principal("sofia")
    await services.import_records(sofia, upload(people_csv(), cases_csv()), dry_run=False)
    rewritten = (
        cases_csv()
        .replace(
            '"contact:2024-01-10; motivation_assessment:2024-01-20; consent:2024-02-01"',
            '"contact:2024-01-10; motivation_assessment:2024-01-20; closed:2024-02-01"',
        )
        .replace("imp-sofia,2024-01-10,,,", "imp-sofia,2024-01-10,,dropped_out,")
    )
    result = await services.import_records(sofia, upload(people_csv(), rewritten), dry_run=False)
    assert not result.written
    assert [(p.line, p.field) for p in result.problems] == [(2, "status_history")]
    assert "inte byta" in result.problems[0].message
    assert len(await _history("AH-OLD-1")) == 3


async def test_a_reimport_rewrites_a_changed_identity_and_skips_an_unchanged_one(
    db: None,
) -> None:
    world = await build_world()
    sofia = world.principal("sofia")
    await services.import_records(sofia, upload(people_csv()), dry_run=False)
    same = await services.import_records(sofia, upload(people_csv()), dry_run=False)
    assert same.counts["people"] == {"create": 0, "update": 0, "skip": 2}
    moved = people_csv().replace("Storgatan 1", "Lillgatan 9")
    # A person who had no identity on file gets one as well.
    moved = moved.replace("Per Ärlig,,,,", "Per Ärlig,,Torget 2,,")
    result = await services.import_records(sofia, upload(moved), dry_run=False)
    assert result.written
    assert result.counts["people"] == {"create": 0, "update": 2, "skip": 0}
    keyring = get_keyring()
    for ref, name, address in (
        ("EXT-1", "Åsa Öberg", "Lillgatan 9"),
        ("EXT-2", "Per Ärlig", "Torget 2"),
    ):
        person = await Person.select(Person.id).where(Person.external_ref == ref).first()
        assert person is not None
        rows = await PersonIdentity.select().where(PersonIdentity.person == person["id"])
        assert len(rows) == 1
        row = rows[0]
        pid = person["id"]
        assert keyring.decrypt(row["name_enc"], aad("person_identity", "name", pid)) == name
        assert (
            keyring.decrypt(row["address_enc"], aad("person_identity", "address", pid)) == address
        )
    # Encrypted at rest still: the new address is nowhere in plain text.
    raw = await PersonIdentity.select(PersonIdentity.address_enc)
    assert all(b"Lillgatan" not in bytes(r["address_enc"]) for r in raw)
    again = await services.import_records(sofia, upload(moved), dry_run=False)
    assert again.counts["people"] == {"create": 0, "update": 0, "skip": 2}


async def test_background_progress_moves_while_the_records_are_written(
    db: None, no_job_worker: None
) -> None:
    world = await build_world()
    sofia = world.principal("sofia")
    header = people_csv().splitlines()[0]
    rows = "".join(f"BAR-{i},,0123,{1980 + i % 30},,Namn {i},,,,\n" for i in range(15_000))
    job_id = await jobs.queue_import(sofia, upload(header + "\n" + rows), dry_run=False)
    # Run here rather than in a worker process: this process's page shows the live step.
    run = asyncio.create_task(runner.execute(jobs.KIND, job_id, "test-worker"))
    seen: list[tuple[int, str]] = []
    while not run.done():
        view = await jobs.get_job(sofia, job_id)
        seen.append((view.progress, view.message))
        await asyncio.sleep(0)
    await run
    view = await jobs.get_job(sofia, job_id)
    assert view.status == "done"
    assert view.result is not None
    assert view.result.counts["people"]["create"] == 15_000
    saving = sorted({p for p, message in seen if message == "Sparar"})
    # 30,000 rows in batches of 5,000: the bar moved past "Sparar" at 60 % while writing.
    assert len(saving) >= 3, seen[-20:]
    assert saving[-1] > 60
    progress = [p for p, _ in seen]
    assert progress == sorted(progress)  # never backwards
