"""Defector cases: unit scoping, both eligibility tracks, the case's history,
and the police view only through a recorded disclosure.

Social services see the cases of their units: the own unit and any joint
defector unit the user works in (``UserUnit``), plus the cases they are
caseworker for. A case belongs to its home municipality; the joint unit that
runs it sees it, other units do not. Police see a few facts of a case only
while a disclosure to them is in force: with consent as the legal ground that
also needs the police track active and the police consent in force
(withdrawn consent ends it at once, and for good: the track's end also ends
the case's consent-based disclosures, so consent given again later needs a
new disclosure).

The police track (``police_track_active``) is derived, never typed in: it is
recomputed in the same transaction as every change to its inputs (assessments,
consents, closing), see :func:`_refresh_police_track`. A person who fails the
police definition stays a social-services case.

Every read and write of a case writes its audit row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar.exceptions import NotFoundException
from msgspec import UNSET

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.access.tables import Disclosure, LegalGround
from gvi.accounts.tables import Role, User, UserUnit
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.versioning import bump_version
from gvi.core.web import translated
from gvi.db import write_transaction
from gvi.defectors import transitions
from gvi.defectors.forms import (
    AGENCY_LABELS,
    DECISION_LABELS,
    LEGAL_GROUND_LABELS,
    NEED_LABELS,
    PERSON_CODE,
    PHASE_LABELS,
    THREAT_LABELS,
    FormErrors,
    money,
    normalise_code,
)
from gvi.defectors.schemas import (
    CaseIn,
    CaseStatusIn,
    CaseSummary,
    CaseUpdateIn,
    CaseView,
    ChangeResult,
    ConsentIn,
    ConsentView,
    FollowUpIn,
    FollowUpView,
    GrantDecisionIn,
    GrantIn,
    GrantView,
    InterventionView,
    NeedIn,
    NeedView,
    StatusChangeView,
    TimelineEntry,
)
from gvi.defectors.tables import (
    CaseAssessmentChange,
    CaseConsent,
    CaseFollowUp,
    CaseNeed,
    CaseStatus,
    CaseStatusChange,
    ConsentAgency,
    DefectorCase,
    GrantApplication,
)
from gvi.i18n import N_, gettext
from gvi.municipalities.tables import Agency, Municipality, Unit, UnitMunicipality
from gvi.people.tables import Person
from gvi.support import transitions as offer_rules
from gvi.support.forms import CATEGORY_LABELS
from gvi.support.tables import SupportOffer, SupportOfferStatusChange

CONFLICT_MESSAGE = N_("Någon annan har ändrat ärendet under tiden. Ladda om sidan och försök igen.")
STATUS_CONFLICT_MESSAGE = N_(
    "Ärendets status har ändrats av någon annan under tiden. Ladda om sidan och försök igen."
)
PERSON_NOT_FOUND = N_("Ingen person med den koden finns i de kommuner du arbetar för.")
# Serialises case numbering on PostgreSQL ("gvi_case"); SQLite's immediate transaction already does.
_PG_REFERENCE_LOCK = 0x6776695F63617365

_LOCAL_TZ = clock.STOCKHOLM


class CaseError(Exception):
    """A refusal a person can act on; the message is safe to show."""


class Conflict(CaseError):
    """The record changed since the page was shown (HTTP 409)."""


class TransitionRefused(CaseError):
    """A status change the rules do not allow; the message says why."""


class GateRefused(TransitionRefused):
    """A step forward while consent, threat assessment or eligibility decision is missing;
    ``gate`` names what is missing (an override with a reason can pass it)."""

    def __init__(self, message: str, gate: str) -> None:
        super().__init__(message)
        self.gate = gate


class GrantRefused(CaseError):
    """A grant application while the police definition is not met."""


class DisclosureError(Exception):
    """A disclosure that cannot be made; the message says why."""


def _engine() -> Any:
    return DefectorCase._meta.db


today = clock.today


def _local_date(moment: datetime) -> date:
    return clock.local_day(moment)


def _require(principal: Principal, permission: Permission) -> None:
    # The guard checked already; this keeps a service safe when called from elsewhere.
    if not principal.can(permission) or principal.role is not Role.outreach:
        raise NotFoundException()


# --- scoping -------------------------------------------------------------------------


def _disclosed_to_police(principal: Principal) -> Any:
    now = clock.now()
    police_consent = DefectorCase.id.is_in(
        CaseConsent.select(CaseConsent.case).where(
            (CaseConsent.agency == ConsentAgency.police)
            & CaseConsent.withdrawn_on.is_null()
            & CaseConsent.archived_at.is_null()
        )
    )
    return DefectorCase.id.is_in(
        Disclosure.select(Disclosure.defector_case).where(
            (Disclosure.to_agency == Agency.police)
            & (Disclosure.disclosed_to == principal.user_id)
            & (Disclosure.expires_at.is_null() | (Disclosure.expires_at > now))
            & (
                (Disclosure.legal_ground != LegalGround.consent)
                | ((DefectorCase.police_track_active == True) & police_consent)  # noqa: E712
            )
        )
    )


def case_scope(principal: Principal) -> Any:
    """The WHERE clause of every case query for this principal."""
    live = DefectorCase.archived_at.is_null()
    if principal.role is Role.outreach:
        # The user's units (own and joint), and any case the user is caseworker for.
        return live & (
            DefectorCase.unit.is_in(list(principal.unit_ids) or [-1])
            | (DefectorCase.caseworker == principal.user_id)
        )
    if principal.role is Role.police:
        return (
            live
            & DefectorCase.municipality.is_in(list(principal.municipality_ids) or [-1])
            & (_disclosed_to_police(principal))
        )
    return DefectorCase.id == -1


def visible_case_ids(principal: Principal) -> Any:
    """A sub-select of the ids of the cases this principal may see."""
    return DefectorCase.select(DefectorCase.id).where(case_scope(principal))


async def _served_municipalities(unit_ids: Iterable[int]) -> set[int]:
    ids = list(unit_ids) or [-1]
    homes = await Unit.select(Unit.municipality).where(Unit.id.is_in(ids))
    served = await UnitMunicipality.select(UnitMunicipality.municipality).where(
        UnitMunicipality.unit.is_in(ids)
    )
    return {r["municipality"] for r in homes} | {r["municipality"] for r in served}


async def _reach(principal: Principal) -> set[int]:
    """Municipalities whose people this user may open a case for: their own, and
    those their units (a joint unit) serve."""
    return set(principal.municipality_ids) | await _served_municipalities(principal.unit_ids)


# --- the police track ----------------------------------------------------------------


@dataclass(frozen=True)
class _ConsentState:
    in_force: frozenset[str]
    excluded: frozenset[str]


async def _consent_state(case_id: int) -> _ConsentState:
    rows = await CaseConsent.select(CaseConsent.agency, CaseConsent.withdrawn_on).where(
        (CaseConsent.case == case_id) & CaseConsent.archived_at.is_null()
    )
    in_force = frozenset(r["agency"] for r in rows if r["withdrawn_on"] is None)
    # An agency whose every consent is withdrawn is excluded from the exchange.
    excluded = frozenset(r["agency"] for r in rows) - in_force
    return _ConsentState(in_force=in_force, excluded=excluded)


def _definition(row: dict[str, Any], consents: _ConsentState) -> transitions.PoliceDefinition:
    return transitions.police_definition(
        motivated=row["motivated"],
        police_consent_in_force=ConsentAgency.police in consents.in_force,
        threat_level=row["threat_level"],
        is_witness=bool(row["is_witness"]),
        social_services_eligible=row["social_services_eligible"],
    )


_TRACK_INPUTS = (
    DefectorCase.motivated,
    DefectorCase.is_witness,
    DefectorCase.threat_level,
    DefectorCase.social_services_eligible,
    DefectorCase.status,
    DefectorCase.police_track_active,
)


async def _refresh_police_track(case_id: int) -> ChangeResult:
    """Recompute the police track from its inputs; in the caller's transaction."""
    row = await DefectorCase.select(*_TRACK_INPUTS).where(DefectorCase.id == case_id).first()
    assert row is not None
    consents = await _consent_state(case_id)
    active = transitions.police_track_active(
        _definition(row, consents),
        excluded_agencies=len(consents.excluded),
        closed=row["status"] == CaseStatus.closed,
    )
    was = bool(row["police_track_active"])
    if active != was:
        # Derived state: no version bump, so an open edit form is not made stale by it.
        await DefectorCase.update({DefectorCase.police_track_active: active}).where(
            DefectorCase.id == case_id
        )
    if not active:
        # case_scope already hides them; ending them here makes it final, so a consent
        # given again later does not revive an old disclosure (a new one must be made).
        now = clock.now()
        await Disclosure.update({Disclosure.expires_at: now}).where(
            (Disclosure.defector_case == case_id)
            & (Disclosure.legal_ground == LegalGround.consent)
            & (Disclosure.expires_at.is_null() | (Disclosure.expires_at > now))
        )
    return ChangeResult(police_track_active=active, police_track_ended=was and not active)


# --- "led to an intervention" ----------------------------------------------------------


async def led_to_intervention(case_ids: Sequence[int]) -> dict[int, bool]:
    """For each case: did at least one linked offer reach "started" (now or in its
    history)? Unscoped: callers pass ids they may see (or only count them)."""
    if not case_ids:
        return {}
    offers = await SupportOffer.select(
        SupportOffer.id, SupportOffer.defector_case, SupportOffer.status
    ).where(SupportOffer.defector_case.is_in(list(case_ids)) & SupportOffer.archived_at.is_null())
    history = await _offer_histories([o["id"] for o in offers])
    result = dict.fromkeys(case_ids, False)
    for offer in offers:
        if offer_rules.reached_start(offer["status"], history.get(offer["id"], ())):
            result[offer["defector_case"]] = True
    return result


async def _offer_histories(offer_ids: Sequence[int]) -> dict[int, list[str]]:
    if not offer_ids:
        return {}
    rows = await SupportOfferStatusChange.select(
        SupportOfferStatusChange.offer, SupportOfferStatusChange.to_status
    ).where(SupportOfferStatusChange.offer.is_in(list(offer_ids)))
    out: dict[int, list[str]] = {}
    for r in rows:
        out.setdefault(r["offer"], []).append(r["to_status"])
    return out


@dataclass(frozen=True)
class InterventionFigure:
    municipality: str
    year: int
    cases: int
    led_to_intervention: int


async def intervention_figures(principal: Principal) -> list[InterventionFigure]:
    """Defector cases per municipality and year, and how many led to an
    intervention (DESIGN §5), over the cases this user may see. Counts only;
    small-cell suppression is the figures page's job."""
    _require(principal, Permission.cases_read)
    async with write_transaction(_engine()):
        rows = await DefectorCase.select(
            DefectorCase.id, DefectorCase.opened_on, DefectorCase.municipality.name
        ).where(case_scope(principal))
        led = await led_to_intervention([r["id"] for r in rows])
        await record(
            AuditAction.case_list,
            actor=principal,
            target_type="defector_case",
            details={"count": len(rows), "figures": True},
        )
    cells: dict[tuple[str, int], list[int]] = {}
    for r in rows:
        cell = cells.setdefault((r["municipality.name"], r["opened_on"].year), [0, 0])
        cell[0] += 1
        cell[1] += int(led[r["id"]])
    return [
        InterventionFigure(municipality=m, year=y, cases=c, led_to_intervention=n)
        for (m, y), (c, n) in sorted(cells.items())
    ]


# --- reading -----------------------------------------------------------------------


_CASE_COLUMNS = (
    *DefectorCase.all_columns(),
    DefectorCase.municipality.name.as_alias("municipality_name"),
    DefectorCase.person.code.as_alias("person_code"),
    DefectorCase.unit.name.as_alias("unit_name"),
    DefectorCase.caseworker.display_name.as_alias("caseworker_name"),
)


async def _case_row(principal: Principal, case_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await DefectorCase.select(*_CASE_COLUMNS)
        .where(case_scope(principal) & (DefectorCase.id == case_id))
        .first()
    )
    if row is None:
        raise NotFoundException()
    return row


def _facts(row: dict[str, Any], consents: _ConsentState) -> transitions.CaseFacts:
    return transitions.CaseFacts(
        consent_in_force=bool(consents.in_force),
        threat_level=row["threat_level"],
        threat_assessed_on=row["threat_assessed_on"],
        social_services_eligible=row["social_services_eligible"],
    )


def _missing(row: dict[str, Any], consents: _ConsentState) -> str | None:
    following = transitions.FLOW.index(row["status"]) + 1
    if following >= len(transitions.FLOW):
        return None
    target = transitions.FLOW[following]
    if transitions.gate(row["status"], target, _facts(row, consents)) is None:
        return None
    return transitions.gate_message(row["status"])


def _police_view(row: dict[str, Any]) -> CaseView:
    return CaseView(
        id=row["id"],
        reference=row["reference"],
        status=row["status"],
        municipality=row["municipality_name"],
        person_code=row["person_code"],
        threat_level=row["threat_level"],
        police_track_active=row["police_track_active"],
    )


async def _full_view(row: dict[str, Any]) -> CaseView:
    """Social services' view: the case and everything that hangs off it."""
    case_id = row["id"]
    consents_rows = (
        await CaseConsent.select()
        .where((CaseConsent.case == case_id) & CaseConsent.archived_at.is_null())
        .order_by(CaseConsent.given_on)
    )
    consent_state = await _consent_state(case_id)
    definition = _definition(row, consent_state)
    needs = (
        await CaseNeed.select()
        .where((CaseNeed.case == case_id) & CaseNeed.archived_at.is_null())
        .order_by(CaseNeed.assessed_on)
    )
    grants = (
        await GrantApplication.select()
        .where((GrantApplication.case == case_id) & GrantApplication.archived_at.is_null())
        .order_by(GrantApplication.applied_on)
    )
    follow_ups = (
        await CaseFollowUp.select()
        .where((CaseFollowUp.case == case_id) & CaseFollowUp.archived_at.is_null())
        .order_by(CaseFollowUp.follow_up_on)
    )
    offers = (
        await SupportOffer.select(
            SupportOffer.id,
            SupportOffer.category,
            SupportOffer.status,
            SupportOffer.offered_on,
            SupportOffer.provider.name.as_alias("provider_name"),
            SupportOffer.provider.kind.as_alias("provider_kind"),
        )
        .where((SupportOffer.defector_case == case_id) & SupportOffer.archived_at.is_null())
        .order_by(SupportOffer.offered_on)
    )
    history = await _offer_histories([o["id"] for o in offers])
    interventions = [
        InterventionView(
            id=o["id"],
            category=o["category"],
            provider=o["provider_name"],
            provider_kind=o["provider_kind"],
            status=o["status"],
            offered_on=o["offered_on"],
            reached_start=offer_rules.reached_start(o["status"], history.get(o["id"], ())),
        )
        for o in offers
    ]
    status_rows = (
        await CaseStatusChange.select(
            *CaseStatusChange.all_columns(),
            CaseStatusChange.changed_by.display_name.as_alias("by_name"),
        )
        .where(CaseStatusChange.case == case_id)
        .order_by(CaseStatusChange.changed_at)
    )
    return CaseView(
        id=case_id,
        reference=row["reference"],
        status=row["status"],
        municipality=row["municipality_name"],
        person_code=row["person_code"],
        threat_level=row["threat_level"],
        police_track_active=row["police_track_active"],
        referral_source=row["referral_source"],
        environment=row["environment"],
        is_child=row["is_child"],
        notes=row["notes"],
        person_id=row["person"],
        municipality_id=row["municipality"],
        unit_id=row["unit"],
        unit=row["unit_name"],
        caseworker_id=row["caseworker"],
        caseworker=row["caseworker_name"],
        opened_on=row["opened_on"],
        closed_on=row["closed_on"],
        closure_outcome=row["closure_outcome"],
        motivated=row["motivated"],
        is_witness=row["is_witness"],
        threat_assessed_on=row["threat_assessed_on"],
        social_services_eligible=row["social_services_eligible"],
        psychiatric_collaboration=row["psychiatric_collaboration"],
        police_definition_met=definition.met,
        police_definition_failing=list(definition.failing),
        led_to_intervention=any(i.reached_start for i in interventions),
        version=row["version"],
        allowed_statuses=sorted(transitions.ALLOWED[row["status"]], key=transitions.FLOW.index),
        next_step_missing=_missing(row, consent_state),
        status_history=[
            StatusChangeView(
                from_status=s["from_status"],
                to_status=s["to_status"],
                changed_at=s["changed_at"],
                changed_by=s["by_name"],
                reason=s["reason"],
                overridden_gate=s["overridden_gate"] or None,
            )
            for s in status_rows
        ],
        consents=[
            ConsentView(
                id=c["id"],
                agency=c["agency"],
                given_on=c["given_on"],
                withdrawn_on=c["withdrawn_on"],
                in_force=c["withdrawn_on"] is None,
            )
            for c in consents_rows
        ],
        needs=[
            NeedView(id=n["id"], need=n["need"], assessed_on=n["assessed_on"], met_on=n["met_on"])
            for n in needs
        ],
        grants=[
            GrantView(
                id=g["id"],
                applied_on=g["applied_on"],
                amount_applied=g["amount_applied"],
                decision=g["decision"],
                decided_on=g["decided_on"],
                amount_granted=g["amount_granted"],
            )
            for g in grants
        ],
        follow_ups=[
            FollowUpView(
                id=f["id"],
                phase=f["phase"],
                follow_up_on=f["follow_up_on"],
                months_since_start=f["months_since_start"],
                housing=f["housing"],
                occupation=f["occupation"],
                criminality=f["criminality"],
                substance_use=f["substance_use"],
                safety=f["safety"],
                notes=f["notes"],
            )
            for f in follow_ups
        ],
        interventions=interventions,
    )


async def get_case(principal: Principal, case_id: int) -> CaseView:
    """A case as this user may see it: all of it for its unit, a few facts for
    an officer holding a disclosure, 404 for everyone else."""
    if not principal.can(Permission.cases_read) and principal.role is not Role.police:
        raise NotFoundException()
    async with write_transaction(_engine()):
        row = await _case_row(principal, case_id)
        view = await _full_view(row) if principal.role is Role.outreach else _police_view(row)
        await record(
            AuditAction.case_read
            if principal.role is Role.outreach
            else AuditAction.disclosure_read,
            actor=principal,
            target_type="defector_case",
            target_id=case_id,
            person_id=row["person"],
        )
    return view


async def get_case_page(principal: Principal, case_id: int) -> tuple[CaseView, list[TimelineEntry]]:
    """The case page: the case and its timeline, read and audited together."""
    _require(principal, Permission.cases_read)
    async with write_transaction(_engine()):
        row = await _case_row(principal, case_id)
        view = await _full_view(row)
        timeline = await _timeline(view)
        await record(
            AuditAction.case_read,
            actor=principal,
            target_type="defector_case",
            target_id=case_id,
            person_id=row["person"],
            details={"timeline": len(timeline), "offers": len(view.interventions or [])},
        )
    return view, timeline


async def get_timeline(principal: Principal, case_id: int) -> list[TimelineEntry]:
    _require(principal, Permission.cases_read)
    async with write_transaction(_engine()):
        row = await _case_row(principal, case_id)
        timeline = await _timeline(await _full_view(row))
        await record(
            AuditAction.case_read,
            actor=principal,
            target_type="defector_case",
            target_id=case_id,
            person_id=row["person"],
            details={"timeline": len(timeline)},
        )
    return timeline


async def _timeline(view: CaseView) -> list[TimelineEntry]:
    """Everything that happened in the case, in the order it happened: status changes,
    assessment changes, offers and their status changes, follow-ups, consents, needs,
    grants, disclosures. A dated entry recorded on its own day takes the moment it was
    recorded; one recorded later (backdated) has only its date and comes first that day."""
    labels = translated(transitions.STATUS_LABELS)
    category_labels = translated(CATEGORY_LABELS)
    phase_labels = translated(PHASE_LABELS)
    agency_labels = translated(AGENCY_LABELS)
    need_labels = translated(NEED_LABELS)
    decision_labels = translated(DECISION_LABELS)
    ground_labels = translated(LEGAL_GROUND_LABELS)
    entries: list[TimelineEntry] = []
    stamps = await _recorded_moments(view)

    def moment(table: str, row_id: int, on: date, *, updated: bool = False) -> datetime | None:
        """When a dated entry was recorded, if that was on its own day."""
        created, changed = stamps.get((table, row_id), (None, None))
        stamp = changed if updated else created
        return stamp if stamp is not None and _local_date(stamp) == on else None

    for s in view.status_history or []:
        title = (
            gettext("Ärendet öppnades: %(n)s") % {"n": labels[s.to_status]}
            if s.from_status is None
            else gettext("Status: %(old)s → %(new)s")
            % {"old": labels.get(s.from_status, s.from_status), "new": labels[s.to_status]}
        )
        entries.append(
            TimelineEntry(
                on=_local_date(s.changed_at),
                at=s.changed_at,
                kind="status",
                title=title,
                detail=" · ".join(
                    x
                    for x in (
                        gettext("Undantag från kravet på %(what)s")
                        % {"what": gettext(transitions.GATE_LABELS[s.overridden_gate])}
                        if s.overridden_gate is not None
                        and s.overridden_gate in transitions.GATE_LABELS
                        else "",
                        s.reason,
                        s.changed_by or "",
                    )
                    if x
                ),
            )
        )
    offer_ids = [i.id for i in view.interventions or []]
    by_offer = {i.id: i for i in view.interventions or []}
    changes = (
        await SupportOfferStatusChange.select(
            *SupportOfferStatusChange.all_columns(),
            SupportOfferStatusChange.changed_by.display_name.as_alias("by_name"),
        )
        .where(SupportOfferStatusChange.offer.is_in(offer_ids or [-1]))
        .order_by(SupportOfferStatusChange.changed_at)
    )
    statuses = translated(offer_rules.STATUS_LABELS)
    for i in view.interventions or []:
        entries.append(
            TimelineEntry(
                on=i.offered_on,
                at=moment("offer", i.id, i.offered_on),
                kind="offer",
                title=gettext("Erbjudande: %(n)s")
                % {"n": category_labels.get(i.category, i.category)},
                detail=i.provider or "",
                offer_id=i.id,
            )
        )
    for c in changes:
        if c["from_status"] is None:
            continue  # the offer itself is on the timeline already
        offer = by_offer[c["offer"]]
        entries.append(
            TimelineEntry(
                on=c["changed_on"],
                at=c["changed_at"],
                kind="offer_status",
                title=(
                    f"{category_labels.get(offer.category, offer.category)}: "
                    f"{statuses.get(c['to_status'], c['to_status']).lower()}"
                ),
                detail=c["note"],
                offer_id=offer.id,
            )
        )
    for f in view.follow_ups or []:
        entries.append(
            TimelineEntry(
                on=f.follow_up_on,
                at=moment("follow_up", f.id, f.follow_up_on),
                kind="follow_up",
                title=(
                    gettext("Uppföljning (%(n)s), %(months_since_start)s mån")
                    % {
                        "n": phase_labels.get(f.phase, f.phase).lower(),
                        "months_since_start": f.months_since_start,
                    }
                ),
                detail=f.notes,
            )
        )
    for consent in view.consents or []:
        agency = agency_labels.get(consent.agency, consent.agency)
        entries.append(
            TimelineEntry(
                on=consent.given_on,
                at=moment("consent", consent.id, consent.given_on),
                kind="consent",
                title=gettext("Samtycke: %(agency)s") % {"agency": agency},
            )
        )
        if consent.withdrawn_on is not None:
            entries.append(
                TimelineEntry(
                    on=consent.withdrawn_on,
                    at=moment("consent", consent.id, consent.withdrawn_on, updated=True),
                    kind="consent",
                    title=gettext("Samtycke återkallat: %(agency)s") % {"agency": agency},
                    detail=(
                        gettext("Polisspåret avslutas.")
                        if consent.agency == ConsentAgency.police
                        else ""
                    ),
                )
            )
    for n in view.needs or []:
        need = need_labels.get(n.need, n.need)
        entries.append(
            TimelineEntry(
                on=n.assessed_on,
                at=moment("need", n.id, n.assessed_on),
                kind="need",
                title=gettext("Behov: %(need)s") % {"need": need},
            )
        )
        if n.met_on is not None:
            entries.append(
                TimelineEntry(
                    on=n.met_on,
                    at=moment("need", n.id, n.met_on, updated=True),
                    kind="need",
                    title=gettext("Behov tillgodosett: %(need)s") % {"need": need},
                )
            )
    for g in view.grants or []:
        entries.append(
            TimelineEntry(
                on=g.applied_on,
                at=moment("grant", g.id, g.applied_on),
                kind="grant",
                title=gettext("Ansökan om statsbidrag: %(n)s") % {"n": money(g.amount_applied)},
            )
        )
        if g.decided_on is not None:
            entries.append(
                TimelineEntry(
                    on=g.decided_on,
                    at=moment("grant", g.id, g.decided_on, updated=True),
                    kind="grant",
                    title=gettext("Beslut om statsbidrag: %(n)s")
                    % {"n": decision_labels.get(g.decision, g.decision)},
                    detail=money(g.amount_granted) if g.amount_granted is not None else "",
                )
            )
    disclosures = await Disclosure.select(
        Disclosure.disclosed_at,
        Disclosure.legal_ground,
        Disclosure.summary,
        Disclosure.expires_at,
        Disclosure.disclosed_to.display_name.as_alias("to_name"),
    ).where(Disclosure.defector_case == view.id)
    for d in disclosures:
        ground = ground_labels.get(d["legal_ground"], d["legal_ground"])
        until = (
            gettext(", gäller till %(n)s") % {"n": _local_date(d["expires_at"])}
            if d["expires_at"]
            else ""
        )
        entries.append(
            TimelineEntry(
                on=_local_date(d["disclosed_at"]),
                at=d["disclosed_at"],
                kind="disclosure",
                title=gettext("Utlämnande till polisen (%(ground)s%(until)s)")
                % {"ground": ground, "until": until},
                detail=" · ".join(x for x in (d["to_name"] or "", d["summary"]) if x),
            )
        )
    entries.extend(await _assessment_entries(view.id))
    # By day, then by moment; an entry with only a date comes first on its day. The sort
    # is stable, so ties keep the order above.
    start = datetime.min.replace(tzinfo=UTC)
    entries.sort(key=lambda e: (e.on, e.at or start))
    return entries


async def _recorded_moments(view: CaseView) -> dict[tuple[str, int], tuple[Any, Any]]:
    """(kind, id) → (created_at, updated_at) of the case's dated rows."""
    found: dict[tuple[str, int], tuple[Any, Any]] = {}
    for kind, table, ids in (
        ("offer", SupportOffer, [i.id for i in view.interventions or []]),
        ("follow_up", CaseFollowUp, [f.id for f in view.follow_ups or []]),
        ("consent", CaseConsent, [c.id for c in view.consents or []]),
        ("need", CaseNeed, [n.id for n in view.needs or []]),
        ("grant", GrantApplication, [g.id for g in view.grants or []]),
    ):
        if not ids:
            continue
        for r in await table.select(table.id, table.created_at, table.updated_at).where(
            table.id.is_in(ids)
        ):
            found[(kind, r["id"])] = (r["created_at"], r["updated_at"])
    return found


ASSESSMENT_LABELS: Mapping[str, str] = {
    "threat_level": N_("Hotbild"),
    "threat_assessed_on": N_("Hotbilden bedömd"),
    "motivated": N_("Motiverad"),
    "is_witness": N_("Vittne"),
    "social_services_eligible": N_("Socialtjänstens beslut om stöd"),
}


def _assessment_value(field: str, value: str) -> str:
    if value == "":
        return "–"
    if value in ("yes", "no"):
        return gettext("ja") if value == "yes" else gettext("nej")
    if field == "threat_level":
        return gettext(THREAT_LABELS.get(value, value)).lower()
    return value


async def _assessment_entries(case_id: int) -> list[TimelineEntry]:
    rows = (
        await CaseAssessmentChange.select(
            *CaseAssessmentChange.all_columns(),
            CaseAssessmentChange.changed_by.display_name.as_alias("by_name"),
        )
        .where(CaseAssessmentChange.case == case_id)
        .order_by(CaseAssessmentChange.changed_at)
        .order_by(CaseAssessmentChange.id)
    )
    return [
        TimelineEntry(
            on=_local_date(r["changed_at"]),
            at=r["changed_at"],
            kind="assessment",
            title=gettext("%(what)s: %(old)s → %(new)s")
            % {
                "what": gettext(ASSESSMENT_LABELS.get(r["field"], r["field"])),
                "old": _assessment_value(r["field"], r["old_value"]),
                "new": _assessment_value(r["field"], r["new_value"]),
            },
            detail=r["by_name"] or "",
        )
        for r in rows
    ]


async def list_cases(
    principal: Principal,
    *,
    search: str = "",
    status: str = "",
    track: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CaseSummary], int]:
    """The user's cases, newest first; search by case number or person code."""
    _require(principal, Permission.cases_read)
    where = case_scope(principal)
    term = search.strip().upper().replace("%", "").replace("_", "")
    if term:
        where = where & (
            # References and codes are stored upper-case, like the term.
            DefectorCase.reference.like(term + "%") | DefectorCase.person.code.like(term + "%")
        )
    if status in transitions.FLOW:
        where = where & (DefectorCase.status == status)
    elif status == "open":
        where = where & (DefectorCase.status != CaseStatus.closed)
    if track == "police":
        where = where & (DefectorCase.police_track_active == True)  # noqa: E712
    elif track == "social":
        where = where & (DefectorCase.police_track_active == False)  # noqa: E712
    async with write_transaction(_engine()):
        rows = (
            await DefectorCase.select(
                DefectorCase.id,
                DefectorCase.reference,
                DefectorCase.status,
                DefectorCase.police_track_active,
                DefectorCase.opened_on,
                DefectorCase.person.code.as_alias("person_code"),
                DefectorCase.municipality.name.as_alias("municipality_name"),
                DefectorCase.unit.name.as_alias("unit_name"),
                DefectorCase.caseworker.display_name.as_alias("caseworker_name"),
            )
            .where(where)
            .order_by(DefectorCase.opened_on, ascending=False)
            .order_by(DefectorCase.id, ascending=False)
            .limit(limit)
            .offset(offset)
        )
        total = await DefectorCase.count().where(where)
        await record(
            AuditAction.case_list,
            actor=principal,
            target_type="defector_case",
            details={"count": len(rows), "offset": offset},
        )
    return [
        CaseSummary(
            id=r["id"],
            reference=r["reference"],
            person_code=r["person_code"],
            municipality=r["municipality_name"],
            unit=r["unit_name"],
            status=r["status"],
            police_track_active=r["police_track_active"],
            opened_on=r["opened_on"],
            caseworker=r["caseworker_name"],
        )
        for r in rows
    ], total


# --- choices for the forms -----------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class CaseChoices:
    units: list[Choice]
    municipalities: list[Choice]
    caseworkers: list[Choice]


async def _members(unit_ids: Iterable[int]) -> list[dict[str, Any]]:
    ids = list(unit_ids) or [-1]
    extra = UserUnit.select(UserUnit.user).where(UserUnit.unit.is_in(ids))
    rows: list[dict[str, Any]] = (
        await User.select(User.id, User.display_name)
        .where(
            (User.role == Role.outreach)
            & (User.is_active == True)  # noqa: E712
            & User.archived_at.is_null()
            & (User.unit.is_in(ids) | User.id.is_in(extra))
        )
        .order_by(User.display_name)
    )
    return rows


async def case_choices(principal: Principal) -> CaseChoices:
    """Units the user may make responsible (their own and joint units), the
    municipalities those serve, and the caseworkers who work in them."""
    _require(principal, Permission.cases_write)
    units = (
        await Unit.select(Unit.id, Unit.name)
        .where(
            Unit.id.is_in(list(principal.unit_ids) or [-1])
            & Unit.archived_at.is_null()
            & (Unit.is_active == True)  # noqa: E712
            & (Unit.agency == Agency.social_services)
        )
        .order_by(Unit.name)
    )
    served = await _served_municipalities(u["id"] for u in units)
    municipalities = (
        await Municipality.select(Municipality.id, Municipality.name)
        .where(Municipality.id.is_in(list(served) or [-1]))
        .order_by(Municipality.name)
    )
    workers = await _members(u["id"] for u in units)
    return CaseChoices(
        units=[Choice(u["id"], u["name"]) for u in units],
        municipalities=[Choice(m["id"], m["name"]) for m in municipalities],
        caseworkers=[Choice(w["id"], w["display_name"]) for w in workers],
    )


# --- writing -------------------------------------------------------------------------


async def _unit_serves(unit_id: int, municipality_id: int) -> bool:
    return municipality_id in await _served_municipalities([unit_id])


async def _caseworker_ok(user_id: int, unit_id: int) -> bool:
    return any(m["id"] == user_id for m in await _members([unit_id]))


def _not_future(value: date | None, field: str, errors: dict[str, str]) -> date:
    now = today()
    if value is None:
        return now
    if value > now:
        errors[field] = gettext("Datumet kan inte ligga i framtiden.")
    return value


async def _next_reference(year: int) -> str:
    engine = _engine()
    if engine.engine_type == "postgres":
        await DefectorCase.raw("SELECT pg_advisory_xact_lock({})", _PG_REFERENCE_LOCK)
    prefix = f"AH-{year}-"
    # Numbering is national (the reference is unique), so this one query is unscoped;
    # it hands out a number, nothing else.
    rows = await DefectorCase.select(DefectorCase.reference).where(
        DefectorCase.reference.like(prefix + "%")
    )
    numbers = [
        int(r["reference"][len(prefix) :]) for r in rows if r["reference"][len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


async def create_case(principal: Principal, data: CaseIn) -> int:
    """Open a case: person by code, home municipality, responsible unit (own or a
    joint unit serving the municipality), caseworker, referral, environment."""
    _require(principal, Permission.cases_write)
    errors: dict[str, str] = {}
    code = normalise_code(data.person_code)
    if not PERSON_CODE.fullmatch(code):
        errors["person_code"] = gettext("Skriv personens kod, till exempel P-7Q4K.")
    opened_on = _not_future(data.opened_on, "opened_on", errors)
    if data.unit_id not in principal.unit_ids:
        errors["unit_id"] = gettext("Välj en av dina enheter.")
    async with write_transaction(_engine()):
        person = None
        if "person_code" not in errors:
            person = (
                await Person.select(Person.id, Person.home_municipality)
                .where(
                    (Person.code == code)
                    & Person.archived_at.is_null()
                    & Person.home_municipality.is_in(list(await _reach(principal)) or [-1])
                )
                .first()
            )
            if person is None:
                errors["person_code"] = gettext(PERSON_NOT_FOUND)
        municipality_id = data.municipality_id or (person["home_municipality"] if person else None)
        if (
            "unit_id" not in errors
            and municipality_id is not None
            and not await _unit_serves(data.unit_id, municipality_id)
        ):
            errors["municipality_id"] = gettext(
                "Enheten arbetar inte för den kommunen. Välj en gemensam enhet som gör det."
            )
        caseworker = data.caseworker_id or principal.user_id
        if "unit_id" not in errors and not await _caseworker_ok(caseworker, data.unit_id):
            errors["caseworker_id"] = gettext("Handläggaren måste arbeta i den ansvariga enheten.")
        if errors:
            raise FormErrors(errors)
        assert person is not None
        assert municipality_id is not None
        case = DefectorCase(
            reference=await _next_reference(opened_on.year),
            person=person["id"],
            municipality=municipality_id,
            unit=data.unit_id,
            caseworker=caseworker,
            status=CaseStatus.contact,
            referral_source=data.referral_source,
            environment=data.environment,
            is_child=data.is_child,
            opened_on=opened_on,
            notes=data.notes.strip(),
        )
        await case.save()
        await CaseStatusChange(
            case=case.id,
            from_status=None,
            to_status=CaseStatus.contact,
            changed_at=clock.now(),
            changed_by=principal.user_id,
        ).save()
        await record(
            AuditAction.case_write,
            actor=principal,
            target_type="defector_case",
            target_id=case.id,
            person_id=person["id"],
            details={"op": "create", "unit_id": data.unit_id},
        )
    return case.id


async def _writable_case(principal: Principal, case_id: int) -> dict[str, Any]:
    _require(principal, Permission.cases_write)
    row: dict[str, Any] | None = (
        await DefectorCase.select(
            DefectorCase.id,
            DefectorCase.person,
            DefectorCase.status,
            DefectorCase.version,
            DefectorCase.unit,
            DefectorCase.opened_on,
            DefectorCase.police_track_active,
        )
        .where(case_scope(principal) & (DefectorCase.id == case_id))
        .first()
    )
    if row is None:
        raise NotFoundException()
    return row


async def _audit_write(principal: Principal, case: dict[str, Any], op: str, **details: Any) -> None:
    await record(
        AuditAction.case_write,
        actor=principal,
        target_type="defector_case",
        target_id=case["id"],
        person_id=case["person"],
        details={"op": op, **details},
    )


_UPDATABLE = (
    "caseworker_id",
    "referral_source",
    "environment",
    "is_child",
    "notes",
    "motivated",
    "is_witness",
    "threat_level",
    "threat_assessed_on",
    "social_services_eligible",
    "psychiatric_collaboration",
)


# The assessments whose changes the timeline shows (DESIGN §2: the threat assessment,
# motivation, witness status and the social services' decision decide the tracks).
ASSESSMENT_COLUMNS = (
    DefectorCase.threat_level,
    DefectorCase.threat_assessed_on,
    DefectorCase.motivated,
    DefectorCase.is_witness,
    DefectorCase.social_services_eligible,
)


def _assessment_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


async def _record_assessments(
    principal: Principal, case_id: int, before: dict[str, Any], changes: dict[str, Any]
) -> None:
    now = clock.now()
    for column in ASSESSMENT_COLUMNS:
        name = column._meta.name
        if name not in changes:
            continue
        old, new = _assessment_text(before[name]), _assessment_text(changes[name])
        if old != new:
            await CaseAssessmentChange(
                case=case_id,
                field=name,
                old_value=old,
                new_value=new,
                changed_at=now,
                changed_by=principal.user_id,
            ).save()


async def update_case(principal: Principal, case_id: int, data: CaseUpdateIn) -> ChangeResult:
    """Change the case's facts and assessments (optimistic lock on ``version``).
    The police track follows the new assessments at once."""
    errors: dict[str, str] = {}
    changes = {name: getattr(data, name) for name in _UPDATABLE if getattr(data, name) is not UNSET}
    if changes.get("threat_assessed_on") is not None:
        _not_future(changes["threat_assessed_on"], "threat_assessed_on", errors)
    if isinstance(changes.get("notes"), str):
        changes["notes"] = changes["notes"].strip()
    async with write_transaction(_engine()):
        case = await _writable_case(principal, case_id)
        if "caseworker_id" in changes:
            worker = changes.pop("caseworker_id")
            if worker is not None and not await _caseworker_ok(worker, case["unit"]):
                errors["caseworker_id"] = gettext(
                    "Handläggaren måste arbeta i den ansvariga enheten."
                )
            changes["caseworker"] = worker
        if (
            changes.get("threat_level") not in (None, DefectorCase.Threat.unknown)
            and "threat_assessed_on" in changes
            and changes["threat_assessed_on"] is None
        ):
            changes["threat_assessed_on"] = today()
        if errors:
            raise FormErrors(errors)
        values: dict[Any, Any] = {
            DefectorCase._meta.get_column_by_name(name): value for name, value in changes.items()
        }
        before = (
            await DefectorCase.select(*(c for c in ASSESSMENT_COLUMNS))
            .where(DefectorCase.id == case_id)
            .first()
        )
        if not await bump_version(DefectorCase, case_id, data.version, values):
            raise Conflict(gettext(CONFLICT_MESSAGE))
        assert before is not None
        await _record_assessments(principal, case_id, before, changes)
        result = await _refresh_police_track(case_id)
        await _audit_write(
            principal,
            case,
            "update",
            fields=sorted(changes),
            police_track=result.police_track_active,
            police_track_ended=result.police_track_ended,
        )
    return result


async def change_status(principal: Principal, case_id: int, data: CaseStatusIn) -> ChangeResult:
    """Move the case along the allowed transitions; closing needs an outcome and
    ends the police track. Refused moves raise :class:`TransitionRefused`."""
    async with write_transaction(_engine()):
        case = await _writable_case(principal, case_id)
        current = case["status"]
        if data.from_status is not None and data.from_status != current:
            raise Conflict(gettext(STATUS_CONFLICT_MESSAGE))
        outcome = data.outcome.value if data.outcome is not None else None
        reason = transitions.refusal(current, data.to_status, outcome)
        if reason is not None:
            raise TransitionRefused(reason)
        facts = (
            await DefectorCase.select(
                DefectorCase.threat_level,
                DefectorCase.threat_assessed_on,
                DefectorCase.social_services_eligible,
            )
            .where(DefectorCase.id == case_id)
            .first()
        )
        assert facts is not None
        gate = transitions.gate(
            current, data.to_status, _facts(facts, await _consent_state(case_id))
        )
        if gate is not None and not data.override:
            raise GateRefused(transitions.gate_message(current), gate)
        if gate is not None and len(data.reason.strip()) < transitions.OVERRIDE_MIN:
            raise GateRefused(
                gettext(
                    "Ett undantag från kravet på %(what)s behöver ett skäl: skriv varför i "
                    "kommentaren (minst %(n)s tecken)."
                )
                % {"what": gettext(transitions.GATE_LABELS[gate]), "n": transitions.OVERRIDE_MIN},
                gate,
            )
        values: dict[Any, Any] = {DefectorCase.status: data.to_status}
        if data.to_status == CaseStatus.closed:
            values[DefectorCase.closed_on] = today()
            values[DefectorCase.closure_outcome] = outcome
        moved = (
            await DefectorCase.update(values)
            .where((DefectorCase.id == case_id) & (DefectorCase.status == current))
            .returning(DefectorCase.id)
        )
        if not moved:
            raise Conflict(gettext(STATUS_CONFLICT_MESSAGE))
        await CaseStatusChange(
            case=case_id,
            from_status=current,
            to_status=data.to_status,
            changed_at=clock.now(),
            changed_by=principal.user_id,
            reason=data.reason.strip(),
            overridden_gate=gate or "",
        ).save()
        result = await _refresh_police_track(case_id)
        await _audit_write(
            principal,
            case,
            "status",
            **{"from": current, "to": data.to_status.value, "outcome": outcome},
            **({"override": gate} if gate else {}),
            police_track_ended=result.police_track_ended,
        )
    return result


async def give_consent(principal: Principal, case_id: int, data: ConsentIn) -> ChangeResult:
    errors: dict[str, str] = {}
    given_on = _not_future(data.given_on, "given_on", errors)
    async with write_transaction(_engine()):
        case = await _writable_case(principal, case_id)
        if data.agency in (await _consent_state(case_id)).in_force:
            errors["agency"] = gettext("Samtycket till %(n)s gäller redan.") % {
                "n": gettext(AGENCY_LABELS[data.agency]).lower()
            }
        if errors:
            raise FormErrors(errors)
        await CaseConsent(case=case_id, agency=data.agency, given_on=given_on).save()
        result = await _refresh_police_track(case_id)
        await _audit_write(
            principal,
            case,
            "consent_give",
            agency=data.agency.value,
            police_track=result.police_track_active,
        )
    return result


async def withdraw_consent(
    principal: Principal, case_id: int, consent_id: int, withdrawn_on: date | None
) -> ChangeResult:
    """Withdraw (or exclude) one agency's consent. Withdrawing the police consent,
    or excluding any agency while on the police track, ends the track at once:
    consent-based disclosures stop in the same transaction."""
    errors: dict[str, str] = {}
    when = _not_future(withdrawn_on, "withdrawn_on", errors)
    async with write_transaction(_engine()):
        case = await _writable_case(principal, case_id)
        consent = (
            await CaseConsent.select(
                CaseConsent.agency, CaseConsent.given_on, CaseConsent.withdrawn_on
            )
            .where(
                (CaseConsent.id == consent_id)
                & (CaseConsent.case == case_id)
                & CaseConsent.archived_at.is_null()
            )
            .first()
        )
        if consent is None:
            raise NotFoundException()
        if consent["withdrawn_on"] is not None:
            raise CaseError(gettext("Samtycket är redan återkallat."))
        if "withdrawn_on" not in errors and when < consent["given_on"]:
            errors["withdrawn_on"] = gettext("Återkallelsen kan inte ligga före samtycket.")
        if errors:
            raise FormErrors(errors)
        await CaseConsent.update(
            {CaseConsent.withdrawn_on: when, CaseConsent.version: CaseConsent.version + 1}
        ).where(CaseConsent.id == consent_id)
        result = await _refresh_police_track(case_id)
        await _audit_write(
            principal,
            case,
            "consent_withdraw",
            agency=consent["agency"],
            consent_id=consent_id,
            police_track=result.police_track_active,
            police_track_ended=result.police_track_ended,
        )
    return result


async def add_need(principal: Principal, case_id: int, data: NeedIn) -> int:
    errors: dict[str, str] = {}
    assessed_on = _not_future(data.assessed_on, "assessed_on", errors)
    async with write_transaction(_engine()):
        case = await _writable_case(principal, case_id)
        if await CaseNeed.exists().where(
            (CaseNeed.case == case_id)
            & (CaseNeed.need == data.need)
            & CaseNeed.met_on.is_null()
            & CaseNeed.archived_at.is_null()
        ):
            errors["need"] = gettext("Behovet finns redan och är inte tillgodosett.")
        if errors:
            raise FormErrors(errors)
        need = CaseNeed(case=case_id, need=data.need, assessed_on=assessed_on)
        await need.save()
        await _audit_write(principal, case, "need_add", need=data.need.value)
    return need.id


async def mark_need_met(
    principal: Principal, case_id: int, need_id: int, met_on: date | None
) -> None:
    errors: dict[str, str] = {}
    when = _not_future(met_on, "met_on", errors)
    async with write_transaction(_engine()):
        case = await _writable_case(principal, case_id)
        need = (
            await CaseNeed.select(CaseNeed.need, CaseNeed.assessed_on, CaseNeed.met_on)
            .where(
                (CaseNeed.id == need_id)
                & (CaseNeed.case == case_id)
                & CaseNeed.archived_at.is_null()
            )
            .first()
        )
        if need is None:
            raise NotFoundException()
        if need["met_on"] is not None:
            raise CaseError(gettext("Behovet är redan markerat som tillgodosett."))
        if "met_on" not in errors and when < need["assessed_on"]:
            errors["met_on"] = gettext("Datumet kan inte ligga före bedömningen av behovet.")
        if errors:
            raise FormErrors(errors)
        await CaseNeed.update(
            {CaseNeed.met_on: when, CaseNeed.version: CaseNeed.version + 1}
        ).where(CaseNeed.id == need_id)
        await _audit_write(principal, case, "need_met", need_id=need_id)


async def apply_for_grant(principal: Principal, case_id: int, data: GrantIn) -> int:
    """A state-grant application: only while the police definition is met (the
    refusal lists the criteria that fail)."""
    errors: dict[str, str] = {}
    _not_future(data.applied_on, "applied_on", errors)
    if data.amount_applied <= 0:
        errors["amount_applied"] = gettext("Beloppet måste vara större än noll.")
    async with write_transaction(_engine()):
        case = await _writable_case(principal, case_id)
        row = await DefectorCase.select(*_TRACK_INPUTS).where(DefectorCase.id == case_id).first()
        assert row is not None
        definition = _definition(row, await _consent_state(case_id))
        if not definition.met:
            raise GrantRefused(
                gettext(
                    "Statsbidrag kan bara sökas när polisens definition är uppfylld. "
                    "Det som saknas: "
                )
                + " ".join(definition.failing)
            )
        if errors:
            raise FormErrors(errors)
        grant = GrantApplication(
            case=case_id, applied_on=data.applied_on, amount_applied=data.amount_applied
        )
        await grant.save()
        await _audit_write(principal, case, "grant_apply", grant_id=grant.id)
    return grant.id


async def decide_grant(
    principal: Principal, case_id: int, grant_id: int, data: GrantDecisionIn
) -> None:
    """Record the Police Authority's decision on an application."""
    errors: dict[str, str] = {}
    decided_on = _not_future(data.decided_on, "decided_on", errors)
    granted = GrantApplication.Decision.granted
    if data.decision == GrantApplication.Decision.pending:
        errors["decision"] = gettext("Välj beviljad eller avslagen.")
    if data.decision == granted and (data.amount_granted is None or data.amount_granted <= 0):
        errors["amount_granted"] = gettext("Skriv det beviljade beloppet.")
    if data.decision != granted and data.amount_granted is not None:
        errors["amount_granted"] = gettext("Ett avslag har inget beviljat belopp.")
    async with write_transaction(_engine()):
        case = await _writable_case(principal, case_id)
        grant = (
            await GrantApplication.select(
                GrantApplication.applied_on,
                GrantApplication.decision,
                GrantApplication.amount_applied,
            )
            .where(
                (GrantApplication.id == grant_id)
                & (GrantApplication.case == case_id)
                & GrantApplication.archived_at.is_null()
            )
            .first()
        )
        if grant is None:
            raise NotFoundException()
        if grant["decision"] != GrantApplication.Decision.pending:
            raise CaseError(gettext("Ansökan har redan ett beslut."))
        if "decided_on" not in errors and decided_on < grant["applied_on"]:
            errors["decided_on"] = gettext("Beslutet kan inte ligga före ansökan.")
        if (
            "amount_granted" not in errors
            and data.amount_granted is not None
            and data.amount_granted > grant["amount_applied"]
        ):
            errors["amount_granted"] = gettext(
                "Det beviljade beloppet kan inte vara större än det sökta."
            )
        if errors:
            raise FormErrors(errors)
        await GrantApplication.update(
            {
                GrantApplication.decision: data.decision,
                GrantApplication.decided_on: decided_on,
                GrantApplication.amount_granted: data.amount_granted,
                GrantApplication.version: GrantApplication.version + 1,
            }
        ).where(GrantApplication.id == grant_id)
        await _audit_write(
            principal, case, "grant_decide", grant_id=grant_id, decision=data.decision.value
        )


async def add_follow_up(principal: Principal, case_id: int, data: FollowUpIn) -> int:
    """An individual follow-up: the situation before, during or after."""
    errors: dict[str, str] = {}
    on = _not_future(data.follow_up_on, "follow_up_on", errors)
    if data.months_since_start is not None and not 0 <= data.months_since_start <= 600:
        errors["months_since_start"] = gettext("Skriv antal hela månader, till exempel 6.")
    async with write_transaction(_engine()):
        case = await _writable_case(principal, case_id)
        if "follow_up_on" not in errors and on < case["opened_on"]:
            errors["follow_up_on"] = gettext("Uppföljningen kan inte ligga före ärendets start.")
        if errors:
            raise FormErrors(errors)
        months = (
            data.months_since_start
            if data.months_since_start is not None
            else transitions.months_between(case["opened_on"], on)
        )
        follow_up = CaseFollowUp(
            case=case_id,
            phase=data.phase,
            follow_up_on=on,
            months_since_start=months,
            housing=data.housing,
            occupation=data.occupation,
            criminality=data.criminality,
            substance_use=data.substance_use,
            safety=data.safety,
            notes=data.notes.strip(),
        )
        await follow_up.save()
        await _audit_write(principal, case, "follow_up_add", follow_up_id=follow_up.id)
    return follow_up.id


# --- disclosures ---------------------------------------------------------------------


# How long a disclosure may last, per legal ground. The law sets no number; a year is
# the longest the programme's routines allow, after which a new assessment is made.
# A ground that needs a shorter time gets its own entry here.
DISCLOSURE_MIN_DAYS = 1
DISCLOSURE_MAX_DAYS: Mapping[str, int] = dict.fromkeys((g.value for g in LegalGround), 365)
DISCLOSURE_DAYS = N_(
    "Ange hur länge utlämnandet gäller: %(low)s–%(high)s dagar med den här rättsliga grunden. "
    "Ett utlämnande utan slutdatum går inte att göra."
)


def _check_valid_days(legal_ground: LegalGround, valid_days: int | None) -> int:
    high = DISCLOSURE_MAX_DAYS.get(legal_ground.value, 365)
    if valid_days is None or not DISCLOSURE_MIN_DAYS <= valid_days <= high:
        raise DisclosureError(gettext(DISCLOSURE_DAYS) % {"low": DISCLOSURE_MIN_DAYS, "high": high})
    return valid_days


async def record_disclosure(
    principal: Principal,
    case_id: int,
    *,
    to_user_id: int,
    legal_ground: LegalGround,
    summary: str,
    valid_days: int | None = 30,
) -> int:
    """Social services disclose a case's facts to one police officer.

    The crossing is explicit: who assessed it, on what legal ground, what was
    disclosed, to whom and until when. With consent as the ground, the person's
    consent to the police must be in force; withdrawing it later ends the
    sharing at once (see :func:`case_scope`).
    """
    if principal.role is not Role.outreach or not principal.can(Permission.disclosures_write):
        raise NotFoundException()
    summary = summary.strip()
    if len(summary) < 10:
        raise DisclosureError(gettext("Beskriv vad som lämnas ut (minst 10 tecken)."))
    days = _check_valid_days(legal_ground, valid_days)
    now = clock.now()
    async with write_transaction(_engine()):
        case = (
            await DefectorCase.select(
                DefectorCase.id, DefectorCase.person, DefectorCase.police_track_active
            )
            .where(case_scope(principal) & (DefectorCase.id == case_id))
            .first()
        )
        if case is None:
            raise NotFoundException()
        officer = (
            await User.select(User.id)
            .where(
                (User.id == to_user_id) & (User.role == Role.police) & (User.is_active == True)  # noqa: E712
            )
            .first()
        )
        if officer is None:
            raise DisclosureError(gettext("Mottagaren måste vara en aktiv användare hos polisen."))
        if legal_ground is LegalGround.consent:
            consent = await CaseConsent.exists().where(
                (CaseConsent.case == case_id)
                & (CaseConsent.agency == ConsentAgency.police)
                & CaseConsent.withdrawn_on.is_null()
            )
            if not consent or not case["police_track_active"]:
                raise DisclosureError(
                    gettext(
                        "Samtycke till polisen saknas eller är återkallat: välj en annan "
                        "rättslig grund (OSL-bestämmelse) eller avstå."
                    )
                )
        disclosure = Disclosure(
            from_agency=Agency.social_services,
            to_agency=Agency.police,
            person=case["person"],
            defector_case=case_id,
            legal_ground=legal_ground,
            assessed_by=principal.user_id,
            disclosed_to=to_user_id,
            summary=summary,
            disclosed_at=now,
            expires_at=now + timedelta(days=days),
        )
        await disclosure.save()
        await record(
            AuditAction.disclosure_create,
            actor=principal,
            target_type="defector_case",
            target_id=case_id,
            person_id=case["person"],
            details={
                "disclosure_id": disclosure.id,
                "legal_ground": legal_ground.value,
                "to_user_id": to_user_id,
            },
        )
    return disclosure.id
