"""What the role × route matrix (tests/access/test_matrix.py) needs for defector
cases, offers and providers: rows to aim at, and the bodies that make an
allowed call succeed.

Writes change state (a status moves on, a version goes up, a consent is
withdrawn), so every path gets rows of its own: a row is handed out per
(path, target) the first time it is asked for. Cases meet the police
definition (a grant may be applied for) and carry a consent that may be
withdrawn without failing it, a need and a pending grant application.

Targets: "own" and "other_partition" are social-services rows of the
outreach user's municipality and unit (for police, a social-services case in
their municipality is the other partition), "protected" belongs to the person
under protected personal data, "other_municipality" to another municipality.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from gvi.defectors.tables import (
    CaseConsent,
    CaseFollowUp,
    CaseNeed,
    ConsentAgency,
    DefectorCase,
    GrantApplication,
)
from gvi.outreach.tables import Channel, OutreachActivity
from gvi.plans.tables import CasePlan, Party, PlanItem
from gvi.support.tables import (
    Method,
    OfferStatus,
    Provider,
    ProviderDeviation,
    SupportOffer,
    SupportOfferStatusChange,
)

PARAMS = {
    "case_id",
    "consent_id",
    "need_id",
    "grant_id",
    "offer_id",
    "provider_id",
    "method_id",
    "activity_id",
    "deviation_id",
    "item_id",
}
# Rows per kind and target: at least the paths that take an id of that kind
# (22 for cases, 6 for offers, 12 for providers).
POOL = {"case": 40, "offer_id": 8, "provider_id": 14, "method_id": 4, "activity_id": 8}
MISSING = 987654
POOLED = ("own", "other_partition", "protected")


@dataclass
class _CaseRows:
    case: int
    consent: int  # a school consent: withdrawing it ends the track, not the definition
    need: int
    grant: int
    item: int  # a plan item (the case's plan at version 1, healthcare consent in force)
    follow_up: int  # for the goal ratings


@dataclass
class SupportTargets:
    own_municipality: int
    own_unit: int
    own_person_code: str
    cases: dict[str, list[_CaseRows]]
    offers: dict[str, list[int]]
    providers: dict[str, list[int]]
    # Methods of the outreach user's unit; "other_municipality": another unit's.
    methods: dict[str, list[int]]
    # Outreach activities of the outreach user's municipality; "other_municipality":
    # another municipality's.
    activities: dict[str, list[int]]
    # Each provider's one open deviation.
    deviation_of: dict[int, int]
    _handed: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # The case row handed out last: the goal-rating bodies name its follow-up and item
    # (the matrix asks for a path's ids before its body).
    _last: _CaseRows | None = None

    def _slot(self, kind: str, path: str, target: str) -> int:
        key = (kind, target, path)
        if key not in self._handed:
            taken = sum(1 for k in self._handed if k[:2] == (kind, target))
            assert taken < POOL[kind], f"more paths than {kind} rows: raise POOL"
            self._handed[key] = taken
        return self._handed[key]

    def ids(self, path: str, param: str, target: str) -> int:
        if target == "missing":
            return MISSING
        if param == "deviation_id":
            # The open deviation of the provider this path was handed.
            return self.deviation_of[self.ids(path, "provider_id", target)]
        if param in ("offer_id", "provider_id", "method_id", "activity_id"):
            rows = {
                "offer_id": self.offers,
                "provider_id": self.providers,
                "method_id": self.methods,
                "activity_id": self.activities,
            }[param]
            pool = rows[target]
            return pool[0] if len(pool) == 1 else pool[self._slot(param, path, target)]
        pool_rows = self.cases[target]
        row = pool_rows[0] if len(pool_rows) == 1 else pool_rows[self._slot("case", path, target)]
        self._last = row
        return {
            "case_id": row.case,
            "consent_id": row.consent,
            "need_id": row.need,
            "grant_id": row.grant,
            "item_id": row.item,
        }[param]

    def bodies(self) -> dict[str, dict[str, Any]]:
        code = self.own_person_code
        forms: dict[str, dict[str, Any]] = {
            "offers.create": {
                "person_code": code,
                "category": "housing",
                "link": "street_outreach",
                "confirm_duplicate": "true",  # the world already has an open housing offer
            },
            "offers.update": {"version": "1", "notes": "Matris"},
            "offers.status": {"from_status": "offered", "to_status": "accepted"},
            "offers.link": {"version": "1", "link": "notification:"},
            "providers.create": {"name": "Matrisutföraren (sida)", "kind": "private"},
            "providers.update": {"version": "1", "services": "Matris"},
            "providers.check": {"what": "Registerutdrag", "result": "approved"},
            "providers.requirement": {"requirement": "Matriskrav"},
            "providers.deviation": {"severity": "minor", "description": "Matrisavvikelse"},
            "providers.deviation_close": {"version": "1", "measures": "Åtgärdat"},
            "methods.create": {
                "unit_id": str(self.own_unit),
                "name": "Matrismetod (sida)",
                "evidence": "promising",
            },
            "methods.update": {"version": "1", "description": "Matris"},
            "outreach.create": {
                "unit_id": str(self.own_unit),
                "municipality_id": str(self.own_municipality),
                "channel": "school",
                "people_reached": "12",
            },
            "outreach.update": {"version": "1", "people_reached": "3"},
            "outreach.archive": {"version": "1"},
            "cases.create": {
                "person_code": code,
                "unit_id": str(self.own_unit),
                "referral_source": "self",
            },
            "cases.update": {"version": "1", "notes": "Matris"},
            "cases.status": {"from_status": "contact", "to_status": "motivation_assessment"},
            "cases.consent": {"agency": "probation"},
            "cases.consent_withdraw": {},
            "cases.need": {"need": "debt"},
            "cases.need_met": {},
            "cases.grant": {"applied_on": "2024-03-01", "amount_applied": "150000"},
            "cases.grant_decision": {"decision": "rejected", "decided_on": "2024-04-01"},
            "cases.follow_up": {"phase": "before", "follow_up_on": "2024-02-01"},
            "cases.plan.item": {"goal": "Matrismål (sida)", "party": "school"},
            "cases.plan.item_status": {"version": "1", "status": "ongoing"},
            "cases.plan.owner": {"version": "1", "owner": "psychiatry"},
            "cases.plan.sip": {"version": "1", "sip": "true"},
            "cases.plan.approve": {"version": "1"},
        }
        last = self._last
        if last is not None:
            forms["cases.plan.ratings"] = {
                "follow_up_id": str(last.follow_up),
                f"rating_{last.item}": "met",
            }
        api: dict[str, dict[str, Any]] = {
            "api.offers.create": {
                "person_code": code,
                "category": "housing",
                "confirm_duplicate": True,
            },
            "api.offers.update": {"version": 1, "notes": "Matris"},
            "api.offers.status": {"to_status": "accepted"},
            "api.offers.link": {"version": 1, "target": "notification", "target_id": None},
            "api.providers.create": {"name": "Matrisutföraren (api)", "kind": "private"},
            "api.providers.update": {"version": 1, "services": "Matris"},
            "api.providers.check": {"what": "Registerutdrag", "result": "approved"},
            "api.providers.requirement": {"requirement": "Matriskrav"},
            "api.providers.deviation": {"severity": "minor", "description": "Matrisavvikelse"},
            "api.providers.deviation_close": {"version": 1, "measures": "Åtgärdat"},
            "api.methods.create": {
                "unit_id": self.own_unit,
                "name": "Matrismetod (api)",
                "evidence": "promising",
            },
            "api.methods.update": {"version": 1, "description": "Matris"},
            "api.outreach.create": {
                "unit_id": self.own_unit,
                "municipality_id": self.own_municipality,
                "channel": "school",
                "people_reached": 12,
            },
            "api.outreach.update": {"version": 1, "people_reached": 3},
            "api.outreach.archive": {"version": 1},
            "api.cases.create": {
                "person_code": code,
                "unit_id": self.own_unit,
                "referral_source": "self",
            },
            "api.cases.update": {"version": 1, "notes": "Matris"},
            "api.cases.status": {"to_status": "motivation_assessment"},
            "api.cases.consent": {"agency": "probation"},
            "api.cases.consent_withdraw": {},
            "api.cases.need": {"need": "debt"},
            "api.cases.need_met": {},
            "api.cases.grant": {"applied_on": "2024-03-01", "amount_applied": "150000"},
            "api.cases.grant_decision": {"decision": "rejected", "decided_on": "2024-04-01"},
            "api.cases.follow_up": {"phase": "before", "follow_up_on": "2024-02-01"},
            "api.cases.plan.items.create": {"goal": "Matrismål (api)", "party": "school"},
            "api.cases.plan.items.status": {"version": 1, "status": "ongoing"},
            "api.cases.plan.owner": {"version": 1, "owner": "psychiatry"},
            "api.cases.plan.sip": {"version": 1, "sip": True},
            "api.cases.plan.approve": {"version": 1},
        }
        if last is not None:
            api["api.cases.plan.ratings"] = {
                "follow_up_id": last.follow_up,
                "ratings": [{"item_id": last.item, "rating": "met"}],
            }
        return {**forms, **api}


async def _case(person: int, municipality: int, unit: int, n: int) -> _CaseRows:
    case = DefectorCase(
        reference=f"AH-M-{n:04d}",
        person=person,
        municipality=municipality,
        unit=unit,
        referral_source=DefectorCase.ReferralSource.self_referral,
        opened_on=date(2024, 1, 10),
        notes="Fritext som bara socialtjänsten får se",
        motivated=True,
        threat_level=DefectorCase.Threat.high,
        social_services_eligible=True,
        police_track_active=True,
    )
    await case.save()
    consents = await CaseConsent.insert(
        *(
            CaseConsent(case=case.id, agency=agency, given_on=date(2024, 1, 12))
            for agency in (
                ConsentAgency.police,
                ConsentAgency.social_services,
                ConsentAgency.healthcare,
                ConsentAgency.school,
            )
        )
    )
    need = CaseNeed(case=case.id, need=CaseNeed.Need.housing, assessed_on=date(2024, 1, 20))
    await need.save()
    grant = GrantApplication(
        case=case.id, applied_on=date(2024, 2, 1), amount_applied=Decimal("200000")
    )
    await grant.save()
    await CasePlan(case=case.id).save()
    item = PlanItem(
        case=case.id, goal="Matrismål", party=Party.social_services, starts_on=date(2024, 1, 20)
    )
    await item.save()
    follow_up = CaseFollowUp(
        case=case.id, phase=CaseFollowUp.Phase.before, follow_up_on=date(2024, 2, 1)
    )
    await follow_up.save()
    return _CaseRows(
        case=case.id,
        consent=consents[-1]["id"],
        need=need.id,
        grant=grant.id,
        item=item.id,
        follow_up=follow_up.id,
    )


async def _offer(person: int, municipality: int) -> int:
    offer = SupportOffer(
        person=person,
        municipality=municipality,
        category=SupportOffer.Category.mentor,
        context=SupportOffer.Context.street_outreach,
        offered_on=date(2024, 3, 1),
        notes="Fritext om erbjudandet",
    )
    await offer.save()
    await SupportOfferStatusChange(
        offer=offer.id,
        to_status=OfferStatus.offered,
        changed_on=date(2024, 3, 1),
        changed_at=offer.created_at,
    ).save()
    return offer.id


async def _deviation(provider: int) -> int:
    deviation = ProviderDeviation(
        provider=provider,
        reported_on=date(2024, 3, 1),
        severity=ProviderDeviation.Severity.minor,
        description="Matrisavvikelse (öppen)",
    )
    await deviation.save()
    return deviation.id


async def _activity(unit: int, municipality: int) -> int:
    activity = OutreachActivity(
        unit=unit,
        municipality=municipality,
        held_on=date(2024, 3, 1),
        channel=Channel.school,
        people_reached=20,
    )
    await activity.save()
    return activity.id


async def build_support_targets(
    *,
    own: int,
    other: int,
    own_unit: int,
    other_unit: int,
    person_own: int,
    person_own_code: str,
    person_other: int,
    person_protected: int,
) -> SupportTargets:
    n = 0
    cases: dict[str, list[_CaseRows]] = {}
    offers: dict[str, list[int]] = {}
    providers: dict[str, list[int]] = {}
    methods: dict[str, list[int]] = {}
    activities: dict[str, list[int]] = {}
    people = {"own": person_own, "other_partition": person_own, "protected": person_protected}
    for target in POOLED:
        cases[target] = []
        offers[target] = []
        providers[target] = []
        methods[target] = []
        activities[target] = [await _activity(own_unit, own) for _ in range(POOL["activity_id"])]
        for i in range(POOL["method_id"]):
            method = Method(
                unit=own_unit,
                name=f"Matrismetod {target} {i}",
                evidence=Method.Evidence.not_evaluated,
            )
            await method.save()
            methods[target].append(method.id)
        for _ in range(POOL["case"]):
            n += 1
            cases[target].append(await _case(people[target], own, own_unit, n))
        for _ in range(POOL["offer_id"]):
            offers[target].append(await _offer(people[target], own))
        for i in range(POOL["provider_id"]):
            kind = (Provider.Kind.private, Provider.Kind.non_profit, Provider.Kind.municipal)[i % 3]
            provider = Provider(
                name=f"Matrisutförare {target} {i}",
                kind=kind,
                municipality=own if kind == Provider.Kind.municipal else None,
            )
            await provider.save()
            providers[target].append(provider.id)
    n += 1
    cases["other_municipality"] = [await _case(person_other, other, other_unit, n)]
    offers["other_municipality"] = [await _offer(person_other, other)]
    elsewhere = Provider(
        name="Matrisutförare i annan kommun", kind=Provider.Kind.municipal, municipality=other
    )
    await elsewhere.save()
    providers["other_municipality"] = [elsewhere.id]
    theirs = Method(unit=other_unit, name="Matrismetod i annan enhet", evidence="promising")
    await theirs.save()
    methods["other_municipality"] = [theirs.id]
    activities["other_municipality"] = [await _activity(other_unit, other)]
    return SupportTargets(
        own_municipality=own,
        own_unit=own_unit,
        own_person_code=person_own_code,
        cases=cases,
        offers=offers,
        providers=providers,
        methods=methods,
        activities=activities,
        deviation_of={
            provider_id: await _deviation(provider_id)
            for pool in providers.values()
            for provider_id in pool
        },
    )
