"""Retention (gallring): a dry run lists and changes nothing; applying anonymises
exactly the closed cases past the period, keeps people with recent activity,
and audits what it did."""

from __future__ import annotations

from datetime import UTC, date, datetime

from gvi.audit.tables import AuditEvent
from gvi.defectors.tables import CaseFollowUp, CaseStatus, DefectorCase
from gvi.municipalities.tables import Agency, Unit
from gvi.ops.retention import run
from gvi.people.services import Identity, create_person
from gvi.people.tables import Person, PersonIdentity
from gvi.support.tables import SupportOffer
from tests import factories
from tests.database import reference_municipality

AS_OF = date(2026, 6, 1)


async def _world() -> dict[str, int]:
    m = await reference_municipality("0125")
    unit_id = await factories.unit(
        "Soc Gallringsby", Unit.Kind.social_services, Agency.social_services, m.id
    )
    writer = factories.writer(1, m.id, username="t")
    ids: dict[str, int] = {"municipality": m.id}
    for key in ("old", "old_but_active", "recent", "open"):
        p = await create_person(
            writer, municipality_id=m.id, identity=Identity(f"Namn {key}", None, None, None)
        )
        ids[f"person_{key}"] = p.id
    old = datetime(2019, 1, 10, tzinfo=UTC)
    for key, status, closed_on, stamp in (
        ("old", CaseStatus.closed, date(2019, 1, 10), old),
        ("old_but_active", CaseStatus.closed, date(2019, 1, 10), old),
        ("recent", CaseStatus.closed, date(2025, 5, 1), datetime(2025, 5, 1, tzinfo=UTC)),
        ("open", CaseStatus.interventions, None, old),
    ):
        case = DefectorCase(
            reference=f"AH-R-{key}",
            person=ids[f"person_{key}"],
            municipality=m.id,
            unit=unit_id,
            referral_source=DefectorCase.ReferralSource.self_referral,
            opened_on=date(2018, 1, 1),
            status=status,
            closed_on=closed_on,
            notes="Känslig fritext",
            created_at=stamp,
            updated_at=stamp,
        )
        await case.save()
        ids[f"case_{key}"] = case.id
        await CaseFollowUp(
            case=case.id,
            phase=CaseFollowUp.Phase.after,
            follow_up_on=closed_on or date(2018, 6, 1),
            notes="Uppföljning fritext",
            created_at=stamp,
            updated_at=stamp,
        ).save()
    # The person of one old case has a recent offer elsewhere: keep their identity.
    await SupportOffer(
        person=ids["person_old_but_active"],
        municipality=m.id,
        category=SupportOffer.Category.housing,
        context=SupportOffer.Context.street_outreach,
        offered_on=date(2025, 9, 1),
    ).save()
    # Rows written by save() get updated_at=now; put the old cases back in the past.
    for key in ("old", "old_but_active", "open"):
        await DefectorCase.raw(
            "UPDATE defector_case SET updated_at = {} WHERE id = {}", old, ids[f"case_{key}"]
        )
    return ids


async def test_dry_run_lists_and_changes_nothing(db: None) -> None:
    ids = await _world()
    before = await PersonIdentity.count()
    report = await run(as_of=AS_OF, dry_run=True)
    assert [c.case_id for c in report.candidates] == sorted(
        [ids["case_old"], ids["case_old_but_active"]]
    )
    kept = {c.case_id: c.person_kept for c in report.candidates}
    assert kept == {ids["case_old"]: False, ids["case_old_but_active"]: True}
    assert await PersonIdentity.count() == before
    notes = await DefectorCase.select(DefectorCase.notes).where(DefectorCase.id == ids["case_old"])
    assert notes[0]["notes"] == "Känslig fritext"


async def test_apply_anonymises_exactly_the_expired_cases_and_audits(db: None) -> None:
    ids = await _world()
    seq_before = (
        await AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.seq, ascending=False).first()
        or {"seq": 0}
    )["seq"]
    report = await run(as_of=AS_OF, dry_run=False)
    assert report.applied
    # The old case's person: identity gone, person archived, free text cleared.
    assert not await PersonIdentity.exists().where(PersonIdentity.person == ids["person_old"])
    person = await Person.objects().where(Person.id == ids["person_old"]).first()
    assert person is not None
    assert person.archived_at is not None
    for key in ("old", "old_but_active"):
        case = await DefectorCase.objects().where(DefectorCase.id == ids[f"case_{key}"]).first()
        assert case is not None
        assert case.notes == ""
        assert case.status == CaseStatus.closed  # statistics survive
        fu = await CaseFollowUp.objects().where(CaseFollowUp.case == case.id).first()
        assert fu is not None
        assert fu.notes == ""
    # Recent activity elsewhere keeps the identity; recent and open cases are untouched.
    assert await PersonIdentity.exists().where(
        PersonIdentity.person == ids["person_old_but_active"]
    )
    for key in ("recent", "open"):
        case = await DefectorCase.objects().where(DefectorCase.id == ids[f"case_{key}"]).first()
        assert case is not None
        assert case.notes == "Känslig fritext"
        assert await PersonIdentity.exists().where(PersonIdentity.person == ids[f"person_{key}"])
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.person_id).where(
        (AuditEvent.seq > seq_before) & (AuditEvent.action == "retention:apply")
    )
    assert sorted(e["person_id"] for e in events) == sorted(
        [ids["person_old"], ids["person_old_but_active"]]
    )
    # Applying again finds nothing new: the anonymised cases now have a fresh entry.
    again = await run(as_of=AS_OF, dry_run=True)
    assert again.candidates == []
