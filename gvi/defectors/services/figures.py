""" "Led to an intervention" (architecture §3.1, §3.3): a case led to one when at least one
of its linked offers reached "started", now or earlier in its history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.db import write_transaction
from gvi.defectors.services.common import case_scope
from gvi.defectors.tables import DefectorCase
from gvi.support import transitions as offer_rules
from gvi.support.tables import SupportOffer, SupportOfferStatusChange


async def led_to_intervention(case_ids: Sequence[int]) -> dict[int, bool]:
    """For each case: did at least one linked offer reach "started" (now or in its
    history)? Unscoped: callers pass ids they may see (or only count them)."""
    if not case_ids:
        return {}
    offers = await SupportOffer.select(
        SupportOffer.id, SupportOffer.defector_case, SupportOffer.status
    ).where(SupportOffer.defector_case.is_in(list(case_ids)) & SupportOffer.archived_at.is_null())
    history = await offer_histories([o["id"] for o in offers])
    result = dict.fromkeys(case_ids, False)
    for offer in offers:
        if offer_rules.reached_start(offer["status"], history.get(offer["id"], ())):
            result[offer["defector_case"]] = True
    return result


async def offer_histories(offer_ids: Sequence[int]) -> dict[int, list[str]]:
    """Offer id → the statuses it has been moved to, oldest first."""
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
    intervention (architecture §3.3), over the cases this user may see. Counts only;
    small-cell suppression is the figures page's job."""
    require(principal, Permission.cases_read)
    async with write_transaction(DefectorCase._meta.db):
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
