"""Issue 16, rule 5: the case timeline orders by the moment things happened (not the
date only) and shows assessment changes (a changed threat assessment, among others)."""

from __future__ import annotations

from datetime import time, timedelta

from gvi.core import clock
from gvi.defectors import services
from gvi.defectors.schemas import CaseStatusIn, CaseUpdateIn, ConsentIn, NeedIn
from gvi.defectors.tables import (
    CaseAssessmentChange,
    CaseNeed,
    CaseStatus,
    ConsentAgency,
    DefectorCase,
)
from tests.conftest import MovableClock
from tests.defectors.factories import build_world, make_case


async def _version(case_id: int) -> int:
    row = await DefectorCase.select(DefectorCase.version).where(DefectorCase.id == case_id).first()
    assert row is not None
    return int(row["version"])


async def test_same_day_entries_in_the_order_they_happened(db: None) -> None:
    # The real clock: rows' created_at (the moment a dated entry was recorded) is the
    # database's own now, so this test does not move the app's clock.
    world = await build_world(logins=False)
    sofia = world.principal("sofia")
    case = await make_case(world, status=CaseStatus.contact)
    day = clock.today()
    await services.change_status(
        sofia, case, CaseStatusIn(to_status=CaseStatus.motivation_assessment)
    )
    await services.give_consent(
        sofia, case, ConsentIn(agency=ConsentAgency.social_services, given_on=day)
    )
    await services.update_case(
        sofia,
        case,
        CaseUpdateIn(
            version=await _version(case),
            threat_level=DefectorCase.Threat.high,
            threat_assessed_on=day,
        ),
    )
    await services.change_status(sofia, case, CaseStatusIn(to_status=CaseStatus.consent))
    await services.add_need(sofia, case, NeedIn(need=CaseNeed.Need.housing, assessed_on=day))
    await services.update_case(
        sofia,
        case,
        CaseUpdateIn(version=await _version(case), threat_level=DefectorCase.Threat.medium),
    )
    timeline = [e for e in await services.get_timeline(sofia, case) if e.on == day]
    titles = [e.title for e in timeline]
    assert titles == [
        "Status: Kontakt → Motivationsbedömning",
        "Samtycke: Socialtjänsten",
        "Hotbild: ej bedömd → hög",
        f"Hotbilden bedömd: – → {day.isoformat()}",
        "Status: Motivationsbedömning → Samtycke",
        "Behov: Boende",
        "Hotbild: hög → medel",
    ], titles
    assert all(e.at is not None for e in timeline)
    assert [e.at for e in timeline] == sorted(e.at for e in timeline if e.at)
    # Re-saving the same values writes no change.
    await services.update_case(
        sofia,
        case,
        CaseUpdateIn(version=await _version(case), threat_level=DefectorCase.Threat.medium),
    )
    assert await CaseAssessmentChange.count().where(CaseAssessmentChange.case == case) == 3


async def test_a_backdated_entry_comes_first_on_its_day(db: None, move_clock: MovableClock) -> None:
    world = await build_world(logins=False)
    sofia = world.principal("sofia")
    case = await make_case(world, status=CaseStatus.contact)
    yesterday = clock.today() - timedelta(days=1)
    move_clock.set(clock.local_moment(yesterday, time(9, 0)))
    await services.change_status(
        sofia, case, CaseStatusIn(to_status=CaseStatus.motivation_assessment)
    )
    move_clock.set(None)
    # Recorded today, about yesterday: its moment is not known, only its date.
    await services.add_need(sofia, case, NeedIn(need=CaseNeed.Need.debt, assessed_on=yesterday))
    timeline = [e for e in await services.get_timeline(sofia, case) if e.on == yesterday]
    assert [(e.kind, e.at is None) for e in timeline] == [("need", True), ("status", False)]
