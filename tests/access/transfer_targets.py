"""What the role × route matrix (tests/access/test_matrix.py) needs for transfers
of defector cases between units: pending transfers to aim at, and the bodies
that make an allowed call succeed.

"own", "other_partition" and "protected" transfers are pending offers that
involve the outreach user's unit: incoming ones (from another municipality's
social services to the user's unit) for reading, accepting and declining;
outgoing ones (from the user's unit) for withdrawing. "protected" ones are of
the protected person's cases. "other_municipality" is an offer between two
units the user does not work in. Each (path, target) gets a row of its own,
since every decision changes its transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gvi.core import clock
from gvi.defectors.tables import CaseTransfer, DefectorCase, TransferState
from gvi.municipalities.tables import Agency, Unit
from tests import factories

PARAMS = {"transfer_id"}
POOL = {"incoming": 6, "outgoing": 3}
MISSING = 987654
POOLED = ("own", "other_partition", "protected")
REASON = "Matrisskäl: personen har flyttat"

ALLOWED: dict[str, dict[str, set[str]]] = {
    "transfers.list": {"outreach": {"own"}},
    "api.transfers.list": {"outreach": {"own"}},
    **{
        name: {"outreach": {"own", "other_partition", "protected"}}
        for name in (
            "api.transfers.show",
            "transfers.accept",
            "api.transfers.accept",
            "transfers.decline",
            "api.transfers.decline",
            "transfers.withdraw",
            "api.transfers.withdraw",
            # The case's own transfers and the offer (case ids from support_targets).
            "api.cases.transfers",
            "api.cases.transfer",
            "cases.transfer",
        )
    },
}


@dataclass
class TransferTargets:
    incoming: dict[str, list[int]]
    outgoing: dict[str, list[int]]
    other_unit: int
    caseworker: int
    _handed: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def ids(self, path: str, param: str, target: str) -> int:
        if target == "missing":
            return MISSING
        kind = "outgoing" if path.endswith("/withdraw") else "incoming"
        pool = (self.outgoing if kind == "outgoing" else self.incoming)[target]
        if len(pool) == 1:
            return pool[0]
        key = (kind, target, path)
        if key not in self._handed:
            taken = sum(1 for k in self._handed if k[:2] == (kind, target))
            assert taken < POOL[kind], f"more paths than {kind} transfers: raise POOL"
            self._handed[key] = taken
        return pool[self._handed[key]]

    def bodies(self) -> dict[str, dict[str, Any]]:
        offer = {"to_unit_id": self.other_unit, "reason": REASON}
        return {
            "api.cases.transfer": offer,
            "cases.transfer": {k: str(v) for k, v in offer.items()},
            "api.transfers.accept": {"caseworker_id": self.caseworker},
            "transfers.accept": {"caseworker_id": str(self.caseworker)},
            "api.transfers.decline": {"decline_reason": "Matrisskäl till nej"},
            "transfers.decline": {"decline_reason": "Matrisskäl till nej"},
        }


async def _transfer(
    n: int, person: int, municipality: int, from_unit: int, to_unit: int, caseworker: int | None
) -> int:
    case = DefectorCase(
        reference=f"AH-TR-{n:04d}",
        person=person,
        municipality=municipality,
        unit=from_unit,
        caseworker=caseworker,
        referral_source=DefectorCase.ReferralSource.self_referral,
        opened_on=date(2024, 1, 10),
    )
    await case.save()
    transfer = CaseTransfer(
        case=case.id,
        from_unit=from_unit,
        to_unit=to_unit,
        offered_at=clock.now(),
        reason=REASON,
        state=TransferState.pending,
    )
    await transfer.save()
    return transfer.id


async def build_transfer_targets(
    *,
    own: int,
    other: int,
    own_unit: int,
    other_unit: int,
    person_own: int,
    person_other: int,
    person_protected: int,
    outreach: int,
) -> TransferTargets:
    third = await factories.unit(
        "Socialtjänst Tredjeby", Unit.Kind.social_services, Agency.social_services, other
    )
    people = {"own": person_own, "other_partition": person_own, "protected": person_protected}
    incoming: dict[str, list[int]] = {}
    outgoing: dict[str, list[int]] = {}
    n = 0
    for target in POOLED:
        incoming[target] = []
        outgoing[target] = []
        for _ in range(POOL["incoming"]):
            n += 1
            incoming[target].append(
                await _transfer(n, people[target], own, other_unit, own_unit, None)
            )
        for _ in range(POOL["outgoing"]):
            n += 1
            outgoing[target].append(
                await _transfer(n, people[target], own, own_unit, other_unit, outreach)
            )
    n += 1
    elsewhere = await _transfer(n, person_other, other, other_unit, third, None)
    incoming["other_municipality"] = [elsewhere]
    outgoing["other_municipality"] = [elsewhere]
    return TransferTargets(
        incoming=incoming, outgoing=outgoing, other_unit=other_unit, caseworker=outreach
    )
