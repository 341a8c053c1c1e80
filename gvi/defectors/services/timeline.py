"""A case's timeline: everything that happened in it, in the order it happened,
and the case page that shows it beside the case (read and audited together)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.access.tables import Disclosure
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.db import write_transaction
from gvi.defectors import transitions
from gvi.defectors.forms import (
    AGENCY_LABELS,
    DECISION_LABELS,
    LEGAL_GROUND_LABELS,
    NEED_LABELS,
    PHASE_LABELS,
    THREAT_LABELS,
    money,
)
from gvi.defectors.schemas import CaseView, TimelineEntry
from gvi.defectors.services.views import case_row, full_view
from gvi.defectors.tables import (
    CaseAssessmentChange,
    CaseConsent,
    CaseFollowUp,
    CaseNeed,
    CaseTransfer,
    ConsentAgency,
    DefectorCase,
    GrantApplication,
)
from gvi.i18n import N_, gettext
from gvi.support import transitions as offer_rules
from gvi.support.forms import CATEGORY_LABELS
from gvi.support.tables import SupportOffer, SupportOfferStatusChange


async def get_case_page(principal: Principal, case_id: int) -> tuple[CaseView, list[TimelineEntry]]:
    """The case page: the case and its timeline, read and audited together."""
    return await _read(principal, case_id, page=True)


async def get_timeline(principal: Principal, case_id: int) -> list[TimelineEntry]:
    return (await _read(principal, case_id, page=False))[1]


async def _read(
    principal: Principal, case_id: int, *, page: bool
) -> tuple[CaseView, list[TimelineEntry]]:
    require(principal, Permission.cases_read)
    async with write_transaction(DefectorCase._meta.db):
        row = await case_row(principal, case_id)
        view = await full_view(row)
        timeline = await _timeline(view)
        details = {"timeline": len(timeline)}
        if page:
            details["offers"] = len(view.interventions or [])
        await record(
            AuditAction.case_read,
            actor=principal,
            target_type="defector_case",
            target_id=case_id,
            person_id=row["person"],
            details=details,
        )
    return view, timeline


def _translated(labels: Mapping[str, str]) -> dict[str, str]:
    return {key: gettext(label) for key, label in labels.items()}


async def _timeline(view: CaseView) -> list[TimelineEntry]:
    """Everything that happened in the case, in the order it happened: status changes,
    assessment changes, offers and their status changes, follow-ups, consents, needs,
    grants, disclosures, transfers between units. A dated entry recorded on its own day
    takes the moment it was recorded; one recorded later (backdated) has only its date and
    comes first that day."""
    labels = _translated(transitions.STATUS_LABELS)
    category_labels = _translated(CATEGORY_LABELS)
    phase_labels = _translated(PHASE_LABELS)
    agency_labels = _translated(AGENCY_LABELS)
    need_labels = _translated(NEED_LABELS)
    decision_labels = _translated(DECISION_LABELS)
    ground_labels = _translated(LEGAL_GROUND_LABELS)
    entries: list[TimelineEntry] = []
    stamps = await _recorded_moments(view)

    def dated(
        kind: str, row_id: int, on: date, title: str, *, updated: bool = False, **more: Any
    ) -> TimelineEntry:
        """A dated entry; its moment is when it was recorded, if that was on its own day."""
        created, changed = stamps.get((kind, row_id), (None, None))
        stamp = changed if updated else created
        at = stamp if stamp is not None and clock.local_day(stamp) == on else None
        return TimelineEntry(on=on, at=at, kind=kind, title=title, **more)

    for s in view.status_history or []:
        title = (
            gettext("Ärendet öppnades: %(n)s") % {"n": labels[s.to_status]}
            if s.from_status is None
            else gettext("Status: %(old)s → %(new)s")
            % {"old": labels.get(s.from_status, s.from_status), "new": labels[s.to_status]}
        )
        entries.append(
            TimelineEntry(
                on=clock.local_day(s.changed_at),
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
    statuses = _translated(offer_rules.STATUS_LABELS)
    for i in view.interventions or []:
        title = gettext("Erbjudande: %(n)s") % {"n": category_labels.get(i.category, i.category)}
        entries.append(
            dated("offer", i.id, i.offered_on, title, detail=i.provider or "", offer_id=i.id)
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
        title = gettext("Uppföljning (%(n)s), %(months_since_start)s mån") % {
            "n": phase_labels.get(f.phase, f.phase).lower(),
            "months_since_start": f.months_since_start,
        }
        entries.append(dated("follow_up", f.id, f.follow_up_on, title, detail=f.notes))
    for consent in view.consents or []:
        agency = {"agency": agency_labels.get(consent.agency, consent.agency)}
        entries.append(
            dated("consent", consent.id, consent.given_on, gettext("Samtycke: %(agency)s") % agency)
        )
        if consent.withdrawn_on is not None:
            ends = consent.agency == ConsentAgency.police
            entries.append(
                dated(
                    "consent",
                    consent.id,
                    consent.withdrawn_on,
                    gettext("Samtycke återkallat: %(agency)s") % agency,
                    updated=True,
                    detail=gettext("Polisspåret avslutas.") if ends else "",
                )
            )
    for n in view.needs or []:
        need = {"need": need_labels.get(n.need, n.need)}
        entries.append(dated("need", n.id, n.assessed_on, gettext("Behov: %(need)s") % need))
        if n.met_on is not None:
            title = gettext("Behov tillgodosett: %(need)s") % need
            entries.append(dated("need", n.id, n.met_on, title, updated=True))
    for g in view.grants or []:
        title = gettext("Ansökan om statsbidrag: %(n)s") % {"n": money(g.amount_applied)}
        entries.append(dated("grant", g.id, g.applied_on, title))
        if g.decided_on is not None:
            title = gettext("Beslut om statsbidrag: %(n)s") % {
                "n": decision_labels.get(g.decision, g.decision)
            }
            granted = money(g.amount_granted) if g.amount_granted is not None else ""
            entries.append(dated("grant", g.id, g.decided_on, title, updated=True, detail=granted))
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
            gettext(", gäller till %(n)s") % {"n": clock.local_day(d["expires_at"])}
            if d["expires_at"]
            else ""
        )
        entries.append(
            TimelineEntry(
                on=clock.local_day(d["disclosed_at"]),
                at=d["disclosed_at"],
                kind="disclosure",
                title=gettext("Utlämnande till polisen (%(ground)s%(until)s)")
                % {"ground": ground, "until": until},
                detail=" · ".join(x for x in (d["to_name"] or "", d["summary"]) if x),
            )
        )
    entries.extend(await _assessment_entries(view.id))
    from gvi.plans.services import timeline_entries as plan_entries  # plans build on cases

    entries.extend(await plan_entries(view.id))
    entries.extend(await _transfer_entries(view.id))
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
            on=clock.local_day(r["changed_at"]),
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


async def _transfer_entries(case_id: int) -> list[TimelineEntry]:
    """Each transfer offered, and its answer: accepted, declined (with why) or withdrawn."""
    rows = await CaseTransfer.select(
        CaseTransfer.offered_at,
        CaseTransfer.decided_at,
        CaseTransfer.state,
        CaseTransfer.reason,
        CaseTransfer.decline_reason,
        CaseTransfer.from_unit.name.as_alias("from_name"),
        CaseTransfer.to_unit.name.as_alias("to_name"),
        CaseTransfer.offered_by.display_name.as_alias("by_name"),
        CaseTransfer.decided_by.display_name.as_alias("decided_name"),
        CaseTransfer.caseworker_after.display_name.as_alias("worker_name"),
    ).where((CaseTransfer.case == case_id) & CaseTransfer.archived_at.is_null())
    answers: Mapping[str, str] = {
        "accepted": N_("Överföring godtagen: %(old)s → %(new)s"),
        "declined": N_("Överföring avböjd: %(old)s → %(new)s"),
        "withdrawn": N_("Erbjudande om överföring återkallat: %(old)s → %(new)s"),
    }
    entries: list[TimelineEntry] = []
    for r in rows:
        units = {"old": r["from_name"], "new": r["to_name"]}
        entries.append(
            TimelineEntry(
                on=clock.local_day(r["offered_at"]),
                at=r["offered_at"],
                kind="transfer",
                title=gettext("Erbjuden för överföring: %(old)s → %(new)s") % units,
                detail=" · ".join(x for x in (r["reason"], r["by_name"] or "") if x),
            )
        )
        if r["state"] in answers and r["decided_at"] is not None:
            detail = (r["worker_name"] if r["state"] == "accepted" else r["decline_reason"]) or ""
            entries.append(
                TimelineEntry(
                    on=clock.local_day(r["decided_at"]),
                    at=r["decided_at"],
                    kind="transfer",
                    title=gettext(answers[r["state"]]) % units,
                    detail=" · ".join(x for x in (detail, r["decided_name"] or "") if x),
                )
            )
    return entries
