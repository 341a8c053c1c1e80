"""Retention (gallring): closed defector cases and the person data behind them
are anonymised a configurable number of years after the case's last entry
(default five, as for social-services records under SoL).

A dry run lists what would go and writes nothing but an audit event. Applying
clears the case's free text (case notes, follow-up notes, offer notes), and —
when the person has no other activity inside the window — deletes the
encrypted identity and clears the pseudonymous person's details. Statistics
stay possible: statuses, dates and outcomes are kept. Every anonymised case
writes an audit event with ids and counts only. Derived data that could carry
person-level results (finished analysis jobs, cached layouts) is cleared too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gvi.access.principal import SYSTEM
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.callins.tables import Invitation, Notification
from gvi.db import write_transaction
from gvi.defectors.tables import (
    CaseAssessmentChange,
    CaseFollowUp,
    CaseStatus,
    CaseStatusChange,
    DefectorCase,
)
from gvi.groups.tables import Membership
from gvi.incidents.tables import IncidentPerson
from gvi.people.tables import Person, PersonIdentity, Protection
from gvi.support.tables import SupportOffer

DEFAULT_YEARS = 5


@dataclass(frozen=True)
class Candidate:
    case_id: int
    person_id: int
    last_entry: date
    person_kept: bool  # True when the person has other activity inside the window


@dataclass(frozen=True)
class RetentionReport:
    as_of: date
    years: int
    candidates: list[Candidate]
    applied: bool


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def _last_entries(case_ids: list[int]) -> dict[int, date]:
    """The latest dated entry per case: the case row, status changes, follow-ups, offers."""
    last: dict[int, date] = {}

    def bump(case_id: int, value: Any) -> None:
        d = _as_date(value)
        if d and (case_id not in last or d > last[case_id]):
            last[case_id] = d

    for row in await DefectorCase.select(
        DefectorCase.id, DefectorCase.updated_at, DefectorCase.closed_on
    ).where(DefectorCase.id.is_in(case_ids)):
        bump(row["id"], row["updated_at"])
        bump(row["id"], row["closed_on"])
    for table, fk, col in (
        (CaseStatusChange, CaseStatusChange.case, CaseStatusChange.changed_at),
        (CaseAssessmentChange, CaseAssessmentChange.case, CaseAssessmentChange.changed_at),
        (CaseFollowUp, CaseFollowUp.case, CaseFollowUp.follow_up_on),
        (SupportOffer, SupportOffer.defector_case, SupportOffer.updated_at),
    ):
        rows = await table.select(fk.as_alias("case_id"), col.as_alias("at")).where(
            fk.is_in(case_ids)
        )
        for row in rows:
            bump(row["case_id"], row["at"])
    return last


async def _person_active_since(person_id: int, since: date, excluding_cases: set[int]) -> bool:
    since_dt = datetime.combine(since, datetime.min.time(), tzinfo=UTC)
    checks = [
        DefectorCase.exists().where(
            (DefectorCase.person == person_id)
            & DefectorCase.id.not_in(list(excluding_cases) or [-1])
            & ((DefectorCase.status != CaseStatus.closed) | (DefectorCase.updated_at >= since_dt))
        ),
        SupportOffer.exists().where(
            (SupportOffer.person == person_id) & (SupportOffer.offered_on >= since)
        ),
        Notification.exists().where(
            (Notification.person == person_id) & (Notification.delivered_on >= since)
        ),
        Membership.exists().where(
            (Membership.person == person_id)
            & (Membership.valid_to.is_null() | (Membership.valid_to >= since))
            & Membership.archived_at.is_null()
        ),
        IncidentPerson.exists().where(
            (IncidentPerson.person == person_id) & (IncidentPerson.incident.occurred_at >= since_dt)
        ),
        Invitation.exists().where(
            (Invitation.person == person_id) & (Invitation.call_in.starts_at >= since_dt)
        ),
    ]
    for check in checks:
        if await check:
            return True
    return False


async def find_candidates(*, as_of: date, years: int = DEFAULT_YEARS) -> list[Candidate]:
    cutoff = as_of - timedelta(days=round(365.25 * years))
    closed = await DefectorCase.select(DefectorCase.id, DefectorCase.person).where(
        (DefectorCase.status == CaseStatus.closed) & DefectorCase.closed_on.is_not_null()
    )
    if not closed:
        return []
    last = await _last_entries([r["id"] for r in closed])
    expired = [r for r in closed if last.get(r["id"], as_of) < cutoff]
    by_person: dict[int, set[int]] = {}
    for r in expired:
        by_person.setdefault(r["person"], set()).add(r["id"])
    out = []
    for r in expired:
        kept = await _person_active_since(r["person"], cutoff, by_person[r["person"]])
        out.append(Candidate(r["id"], r["person"], last[r["id"]], kept))
    return sorted(out, key=lambda c: c.case_id)


async def run(*, as_of: date, years: int = DEFAULT_YEARS, dry_run: bool = True) -> RetentionReport:
    candidates = await find_candidates(as_of=as_of, years=years)
    engine = DefectorCase._meta.db
    if dry_run:
        await record(
            AuditAction.retention_dry_run,
            actor=SYSTEM,
            target_type="retention",
            details={"years": years, "cases": len(candidates)},
        )
        return RetentionReport(as_of, years, candidates, applied=False)
    for c in candidates:
        async with write_transaction(engine):
            await DefectorCase.update({DefectorCase.notes: ""}).where(DefectorCase.id == c.case_id)
            await CaseFollowUp.update({CaseFollowUp.notes: ""}).where(
                CaseFollowUp.case == c.case_id
            )
            await SupportOffer.update({SupportOffer.notes: ""}).where(
                SupportOffer.defector_case == c.case_id
            )
            identity_deleted = False
            if not c.person_kept:
                identity_deleted = bool(
                    await PersonIdentity.delete()
                    .where(PersonIdentity.person == c.person_id)
                    .returning(PersonIdentity.id)
                )
                await Person.update(
                    {
                        Person.notes: "",
                        Person.birth_year: None,
                        Person.protection: Protection.none,
                        Person.archived_at: datetime.now(tz=UTC),
                    }
                ).where(Person.id == c.person_id)
            await record(
                AuditAction.retention_apply,
                actor=SYSTEM,
                target_type="defector_case",
                target_id=c.case_id,
                person_id=c.person_id,
                details={
                    "years": years,
                    "identity_deleted": identity_deleted,
                    "person_kept": c.person_kept,
                },
            )
    await _clear_derived_data()
    return RetentionReport(as_of, years, candidates, applied=True)


async def _clear_derived_data() -> None:
    """Analysis job results and cached layouts can hold person-level results;
    they are derived and recomputable, so all of them go."""
    import importlib

    try:
        network_tables = importlib.import_module("gvi.networks.tables")
    except ImportError:  # no derived-data tables in this build
        return
    for name in ("AnalysisJob", "LayoutCache"):
        table = getattr(network_tables, name, None)
        if table is not None:
            await table.delete(force=True)
