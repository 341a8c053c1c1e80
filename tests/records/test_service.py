"""The record import through the service: a valid upload writes people (identities
encrypted), cases and offers the way the services do; a second upload of the
same file updates or skips; bad and out-of-scope rows are errors and nothing is
written."""

from __future__ import annotations

from gvi.defectors.tables import CaseStatusChange, DefectorCase
from gvi.people.tables import Person, PersonIdentity
from gvi.records import services
from gvi.support.tables import SupportOffer, SupportOfferStatusChange
from tests.records.support import (
    CASES_HEADER,
    JOINT,
    PEOPLE_HEADER,
    build_world,
    cases_csv,
    offers_csv,
    people_csv,
    upload,
)


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


async def test_a_history_passes_the_case_pages_gates_or_is_refused(db: None) -> None:
    world = await build_world()
    sofia = world.principal("sofia")
    steps = (
        "contact:2024-01-10; motivation_assessment:2024-01-20; consent:2024-02-01; "
        "risk_assessment:2024-02-10; investigation:2024-02-20; agreement:2024-03-01"
    )

    def case(consents: str, threat: str, threat_on: str, eligible: str) -> str:
        return CASES_HEADER + (
            f"AH-GATE-1,EXT-1,,,{JOINT},imp-sofia,2024-01-10,,,"
            f'"{steps}",police,criminal_network,nej,{threat},{threat_on},ja,nej,{eligible},'
            f'"{consents}",,,,\n'
        )

    refusals = {
        "Samtycke": case("", "high", "2024-02-05", "ja"),
        # The consent came only after the case left Samtycke.
        "samtycke som gäller den dagen": case("police:2024-02-15", "high", "2024-02-05", "ja"),
        "hotbildsbedömning": case("police:2024-02-01", "unknown", "", "ja"),
        "Socialtjänstens bedömning": case("police:2024-02-01", "high", "2024-02-05", ""),
    }
    for words, cases in refusals.items():
        result = await services.import_records(sofia, upload(people_csv(), cases), dry_run=False)
        assert not result.written
        assert [p.field for p in result.problems] == ["status_history"], words
        assert words in result.problems[0].message
    assert await DefectorCase.count() == 0
    ok = await services.import_records(
        sofia,
        upload(people_csv(), case("police:2024-02-01", "high", "2024-02-05", "ja")),
        dry_run=False,
    )
    assert ok.problems == []
    assert await DefectorCase.count() == 1


async def test_control_characters_in_a_cell_are_refused_like_in_a_form(db: None) -> None:
    world = await build_world()
    sofia = world.principal("sofia")
    people = PEOPLE_HEADER + (
        "EXT-9,,0123,2001,none,Åsa\x01Öberg,,,,\n"
        'EXT-8,,0123,2002,none,"Per\nÄrlig",,,,"rad ett\nrad två"\n'
    )
    result = await services.import_records(sofia, upload(people), dry_run=False)
    assert not result.written
    assert [(p.line, p.field) for p in result.problems] == [(2, "name"), (3, "name")]
    assert "styrtecken" in result.problems[0].message
    assert "en rad" in result.problems[1].message
    for p in result.problems:
        assert "Åsa" not in p.message
        assert "Ärlig" not in p.message
    assert await Person.count() == 0
