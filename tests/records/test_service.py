"""The record import through the service: a valid upload writes people (identities
encrypted), cases and offers the way the services do; a second upload of the
same file updates or skips; bad and out-of-scope rows are errors and nothing is
written."""

from __future__ import annotations

from gvi.defectors.tables import CaseStatusChange, DefectorCase
from gvi.people.tables import Person, PersonIdentity
from gvi.records import services
from gvi.support.tables import SupportOffer, SupportOfferStatusChange
from tests.records.support import build_world, cases_csv, offers_csv, people_csv, upload


async def test_a_valid_upload_writes_everything(db: None) -> None:
    world = await build_world()
    sofia = world.principal("sofia")
    files = upload(people_csv(), cases_csv(), offers_csv())
    dry = await services.import_records(sofia, files, dry_run=True)
    assert dry.problems == []
    assert dry.counts["people"]["create"] == 2
    assert await Person.count() == 0
    result = await services.import_records(sofia, files, dry_run=False)
    assert result.problems == []
    assert result.written
    assert result.counts == {
        "people": {"create": 2, "update": 0, "skip": 0},
        "cases": {"create": 2, "update": 0, "skip": 0},
        "offers": {"create": 2, "update": 0, "skip": 0},
    }
    assert await Person.count() == 2
    assert await PersonIdentity.count() == 2
    assert await DefectorCase.count() == 2
    assert await CaseStatusChange.count() == 3 + 2
    assert await SupportOffer.count() == 2
    assert await SupportOfferStatusChange.count() == 4
    # The police track is derived as by hand: AH-OLD-1 meets the definition, the
    # closed AH-OLD-2 does not.
    tracks = {
        r["external_ref"]: r["police_track_active"]
        for r in await DefectorCase.select(
            DefectorCase.external_ref, DefectorCase.police_track_active
        )
    }
    assert tracks == {"AH-OLD-1": True, "AH-OLD-2": False}
    again = await services.import_records(sofia, files, dry_run=False)
    assert again.problems == []
    assert not again.written
    assert again.counts["people"] == {"create": 0, "update": 0, "skip": 2}
    assert again.counts["cases"] == {"create": 0, "update": 0, "skip": 2}
    assert again.counts["offers"] == {"create": 0, "update": 0, "skip": 2}
    assert await Person.count() == 2
    assert await DefectorCase.count() == 2
