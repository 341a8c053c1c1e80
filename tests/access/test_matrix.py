"""The role × route matrix, built from the app's route table.

Every non-public route is called by each of the five roles against five kinds
of target: own municipality, other municipality, the other agency partition,
a person under protected personal data, and a missing id. What may succeed is
listed in ``ALLOWED`` by route name; everything else must answer 404 (the same
body as a missing record) and leak no identity. A new route that is not listed
here fails the test until someone decides who may use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from litestar import Litestar

from gvi.access.guards import route_permission
from gvi.access.permissions import Permission
from gvi.defectors.tables import DefectorCase
from gvi.incidents.tables import Incident
from gvi.municipalities.tables import Agency, Unit
from gvi.people.services import Identity, create_person
from gvi.people.tables import Protection
from tests import factories
from tests.access.operations_targets import ALLOWED as OPERATIONS_ALLOWED
from tests.access.operations_targets import PARAMS as OPERATIONS_PARAMS
from tests.access.operations_targets import OpsTargets, build_ops_targets
from tests.access.support_targets import PARAMS as SUPPORT_PARAMS
from tests.access.support_targets import SupportTargets, build_support_targets
from tests.access.transfer_targets import ALLOWED as TRANSFERS_ALLOWED
from tests.access.transfer_targets import PARAMS as TRANSFER_PARAMS
from tests.access.transfer_targets import TransferTargets, build_transfer_targets
from tests.clients import NOT_FOUND, csrf_from, signed_in
from tests.database import reference_municipality
from tests.factories import make_user
from tests.groups.targets import MULTIPART_ROUTES, GroupTargets, build_group_targets
from tests.groups.targets import PARAMS as GROUP_PARAMS

ROLES = ("admin", "coordinator", "outreach", "police", "analyst")
TARGETS = ("own", "other_municipality", "other_partition", "protected", "missing")
MISSING = 987654

OWN_NAME = "Matrisa Ägandesson"
OWN_PIN = "19900101-2383"
OTHER_NAME = "Annanstad Främlingsdotter"
OTHER_PIN = "19910202-2382"
PROT_NAME = "Skyddad Hemligsson"
PROT_PIN = "19920303-2381"
PROT_ADDRESS = "Gömdavägen 7, 000 00 Ingenstans"
SECRETS = (OWN_NAME, OTHER_NAME, PROT_NAME, PROT_ADDRESS, OTHER_PIN, PROT_PIN)

# Which roles' dashboards carry each figure (gvi/reports/services.py SECTIONS).
REPORT_SECTIONS: dict[str, tuple[str, ...]] = {
    "cases": ("outreach", "analyst"),
    "grants": ("outreach", "analyst"),
    "applicants": ("outreach", "analyst"),
    "offers": ("outreach", "analyst"),
    "methods": ("outreach", "analyst"),
    "goals": ("outreach", "analyst"),
    "reach": ("outreach", "analyst"),
    "providers": ("outreach", "analyst"),
    "outcomes": ("outreach", "analyst"),
    "callins": ("coordinator", "analyst"),
    "notifications": ("coordinator", "analyst"),
    "promises": ("coordinator", "police", "analyst"),
    "incidents": ("coordinator", "police"),
    "incident_groups": ("coordinator", "police"),
    "offer_lead": ("outreach", "coordinator", "analyst"),
}

# route name → {role: targets that may succeed}. Routes without path ids use "own".
ALL = set(TARGETS) - {"missing"}
IN_SCOPE = {"own", "other_partition", "protected"}
ALLOWED: dict[str, dict[str, set[str]]] = {
    "home": {r: {"own"} for r in ROLES},
    # The search answers every signed-in user; what it searches is the role's own.
    "search.form": {r: {"own"} for r in ROLES},
    "search.run": {r: {"own"} for r in ROLES},
    "api.people.list": {r: {"own"} for r in ("coordinator", "outreach", "police")},
    "people.list": {r: {"own"} for r in ("coordinator", "outreach", "police")},
    "api.people.show": {r: IN_SCOPE for r in ("coordinator", "outreach", "police")},
    "people.show": {r: IN_SCOPE for r in ("coordinator", "outreach", "police")},
    # Protected people answer with the break-the-glass prompt, never the identity.
    "api.people.identity": {r: IN_SCOPE for r in ("outreach", "police")},
    "people.identity": {r: IN_SCOPE for r in ("outreach", "police")},
    "api.people.break_glass": {r: IN_SCOPE for r in ("outreach", "police")},
    "people.break_glass": {r: IN_SCOPE for r in ("outreach", "police")},
    "api.people.search_pin": {r: {"own"} for r in ("outreach", "police")},
    # Social services see their unit's cases; police only through a disclosure (none
    # here). The "other partition" case is the police's view of a social-services case,
    # which for social services themselves is their own.
    "api.cases.show": {"outreach": IN_SCOPE},
    "api.cases.disclose": {"outreach": IN_SCOPE},
    # Likewise the "other partition" incident is social services' view of a police record.
    "api.incidents.show": {"police": IN_SCOPE},
    # Offers, providers and the defector-case pages are social services' alone: police
    # reach a case only through api.cases.show and a disclosure; coordinators and
    # analysts nothing. Providers are a register without person data: every outreach
    # worker reads all of it, and changes only their own municipality's.
    **{
        name: {"outreach": {"own"}}
        for name in (
            "offers.list",
            "api.offers.list",
            "offers.new",
            "offers.create",
            "api.offers.create",
            "providers.list",
            "api.providers.list",
            "providers.new",
            "providers.create",
            "api.providers.create",
            "methods.list",
            "api.methods.list",
            "methods.new",
            "methods.create",
            "api.methods.create",
            "outreach.list",
            "api.outreach.list",
            "outreach.new",
            "outreach.create",
            "api.outreach.create",
            "cases.list",
            "api.cases.list",
            "cases.new",
            "cases.create",
            "api.cases.create",
        )
    },
    **{
        name: {"outreach": IN_SCOPE}
        for name in (
            "offers.show",
            "api.offers.show",
            "offers.update",
            "api.offers.update",
            "offers.status",
            "api.offers.status",
            "offers.link",
            "api.offers.link",
            "providers.update",
            "api.providers.update",
            "methods.update",
            "api.methods.update",
            "outreach.show",
            "api.outreach.show",
            "outreach.update",
            "api.outreach.update",
            "outreach.archive",
            "api.outreach.archive",
            "providers.check",
            "api.providers.check",
            "providers.requirement",
            "api.providers.requirement",
            "providers.deviation",
            "api.providers.deviation",
            "providers.deviation_close",
            "api.providers.deviation_close",
            "cases.show",
            "api.cases.timeline",
            "cases.update",
            "api.cases.update",
            "cases.status",
            "api.cases.status",
            "cases.consent",
            "api.cases.consent",
            "cases.consent_withdraw",
            "api.cases.consent_withdraw",
            "cases.need",
            "api.cases.need",
            "cases.need_met",
            "api.cases.need_met",
            "cases.grant",
            "api.cases.grant",
            "cases.grant_decision",
            "api.cases.grant_decision",
            "cases.follow_up",
            "api.cases.follow_up",
            "cases.plan",
            "api.cases.plan",
            "cases.plan.item",
            "api.cases.plan.items.create",
            "cases.plan.item_status",
            "api.cases.plan.items.status",
            "cases.plan.owner",
            "api.cases.plan.owner",
            "cases.plan.sip",
            "api.cases.plan.sip",
            "cases.plan.ratings",
            "api.cases.plan.ratings",
        )
    },
    # Approving a plan is a unit lead's (User.unit_lead), and no matrix user is one:
    # 404 for every role here; tests/plans shows the lead's success.
    "cases.plan.approve": {},
    "api.cases.plan.approve": {},
    "providers.show": {"outreach": ALL},
    "api.providers.show": {"outreach": ALL},
    # The method catalogue, likewise without person data: read by every outreach
    # worker, changed only by the unit that keeps the method.
    "methods.show": {"outreach": ALL},
    "api.methods.show": {"outreach": ALL},
    # The group register. Coordinators, police and analysts read groups (analysts never
    # free text: checked below); coordinators write groups; police write memberships and
    # relations. Groups and relations have no partition or protection: those targets point
    # outside the scope. "protected" memberships belong to the protected person.
    **{
        name: {r: {"own"} for r in ("coordinator", "police", "analyst")}
        for name in (
            "groups.list",
            "api.groups.list",
            "groups.show",
            "api.groups.show",
            "api.memberships.list",
            "api.relations.list",
            "api.relations.show",
        )
    },
    "api.memberships.show": {r: {"own", "protected"} for r in ("coordinator", "police", "analyst")},
    **{
        name: {"coordinator": {"own"}}
        for name in (
            "groups.new",
            "groups.create",
            "api.groups.create",
            "groups.edit_form",
            "groups.edit",
            "api.groups.update",
            "groups.archive",
            "api.groups.archive",
            "groups.aliases.add",
            "api.groups.aliases.add",
            "groups.aliases.remove",
            "api.groups.aliases.remove",
        )
    },
    # Each file of an upload is then checked against groups:write, memberships:write and
    # relations:write; analysts write nothing.
    **{
        name: {r: {"own"} for r in ("coordinator", "police")}
        for name in ("groups.import_form", "groups.import", "api.groups.import")
    },
    **{
        name: {"police": {"own"}}
        for name in (
            "memberships.new",
            "memberships.create",
            "api.memberships.create",
            "relations.new",
            "relations.create",
            "api.relations.create",
        )
    },
    **{
        name: {"police": {"own", "protected"}}
        for name in (
            "memberships.edit_form",
            "memberships.edit",
            "memberships.archive",
            "api.memberships.update",
            "api.memberships.archive",
            "api.memberships.confirm",
            "api.memberships.end",
            "review.memberships.confirm",
            "review.memberships.end",
        )
    },
    **{
        name: {"police": {"own"}}
        for name in (
            "relations.edit_form",
            "relations.edit",
            "relations.archive",
            "api.relations.update",
            "api.relations.archive",
            "api.relations.confirm",
            "api.relations.end",
            "review.relations.confirm",
            "review.relations.end",
        )
    },
    # The review queue shows sources and person codes: police and coordinators.
    "review.list": {r: {"own"} for r in ("coordinator", "police")},
    "api.review.list": {r: {"own"} for r in ("coordinator", "police")},
    "people.new": {r: {"own"} for r in ("outreach", "police")},
    "people.create": {r: {"own"} for r in ("outreach", "police")},
    # The group network (gvi/networks): network:read roles; people by code only.
    **{
        name: {r: {"own"} for r in ("coordinator", "police", "analyst")}
        for name in (
            "network.show",
            "api.network.groups",
            "network.analyses",
            "api.network.analyses",
            "api.network.export_graphml",
            "api.network.export_gexf",
            "api.network.export_csv",
            "api.network.export_nodes_csv",
            "network.jobs",
            "network.jobs_create",
            "api.network.jobs_create",
            "network.timeline",
            "api.network.timeline",
        )
    },
    **{
        name: {r: IN_SCOPE for r in ("coordinator", "police", "analyst")}
        for name in ("network.person", "api.network.person")
    },
    # Saved views (views:write): analysts; a view is its owner's alone, and the
    # ids here are nobody's view.
    **{
        name: {"analyst": {"own"}}
        for name in ("network.views", "network.views_new", "network.views_create")
    },
    "network.views_open": {},
    "network.views_delete": {},
    # A job is seen by its requester only, and the ids here are nobody's job.
    "network.job": {},
    "api.network.jobs_show": {},
    "network.job_cancel": {},
    "api.network.jobs_cancel": {},
    # Figures (gvi/reports): the dashboard for figures:read roles; each figure's JSON and
    # exports only for the roles whose dashboard has that section; follow-ups: outreach.
    "reports.dashboard": {r: {"own"} for r in ("coordinator", "outreach", "police", "analyst")},
    **{
        f"api.reports.{figure}{fmt}": {r: {"own"} for r in roles}
        for figure, roles in REPORT_SECTIONS.items()
        for fmt in ("", "_csv", "_xlsx")
    },
    "api.reports.follow_ups_csv": {"outreach": {"own"}},
    "api.reports.follow_ups_xlsx": {"outreach": {"own"}},
    # Incidents, call-ins, notifications, enforcement, the promise ledger and tasks:
    # see tests/access/operations_targets.py for who may reach what.
    **OPERATIONS_ALLOWED,
    # Transfers of cases between units: see tests/access/transfer_targets.py.
    **TRANSFERS_ALLOWED,
    # The record import (people, cases, offers): outreach only. The CSV template's kind
    # is a path word the matrix cannot fill, and the ids here are nobody's import job:
    # tests/records covers both (the owner sees the job; anyone else gets 404).
    **{
        name: {"outreach": {"own"}}
        for name in (
            "records.import_form",
            "records.import",
            "api.records.import",
            "records.template_xlsx",
        )
    },
    # Everyone signed in has a page of their own API tokens; the calendar feeds
    # are for those who read call-ins.
    "tokens.list": {r: {"own"} for r in ROLES},
    "api.tokens.list": {r: {"own"} for r in ROLES},
    # Everyone signed in sets their own digest address and opt-out (gvi/notify).
    "notify.account": {r: {"own"} for r in ROLES},
    "notify.account_submit": {r: {"own"} for r in ROLES},
    "api.feeds.list": {r: {"own"} for r in ("coordinator", "outreach", "police")},
    "records.template_csv": {},
    "records.import_job": {},
    "api.records.import_job": {},
    "records.import_job_cancel": {},
    "api.records.import_job_cancel": {},
}
# The record import takes a multipart upload: a header-only people file, as a dry run.
RECORD_UPLOAD = {
    "people": ("personer.csv", b"external_ref,municipality_code\n", "text/csv"),
}
RECORD_MULTIPART = {"records.import": {"dry_run": "yes"}, "api.records.import": {}}
# Routes that change the caller's own session are exercised elsewhere, and so
# are the token routes that make or revoke a token (tests/tokens: who may, with what).
SKIP = {
    "accounts.logout",
    "tokens.create",
    "tokens.revoke",
    "feeds.create",
    "api.tokens.create",
    "api.tokens.revoke",
    "api.feeds.create",
    "admin.service_accounts.show",
    "admin.service_accounts.create_token",
    "api.admin.service_accounts.tokens",
    "api.admin.service_accounts.create_token",
}


@dataclass
class World:
    person: dict[str, int]
    case: dict[str, int]
    incident: dict[str, int]
    police_id: int
    secrets: dict[str, str | None]
    unit: int = 0
    groups: GroupTargets | None = None
    support: SupportTargets | None = None
    operations: OpsTargets | None = None
    transfers: TransferTargets | None = None


async def _build_world() -> World:
    own = await reference_municipality("0123")
    other = await reference_municipality("0191")
    units = {}
    for name, kind, agency, muni in (
        ("Socialtjänst Egenby", Unit.Kind.social_services, Agency.social_services, own),
        ("Polis Egenby", Unit.Kind.police, Agency.police, own),
        ("Socialtjänst Annanby", Unit.Kind.social_services, Agency.social_services, other),
    ):
        units[name] = await factories.unit(name, kind, agency, muni.id)
    secrets: dict[str, str | None] = {}
    ids: dict[str, int] = {}
    for role, unit in (
        ("admin", None),
        ("coordinator", None),
        ("outreach", "Socialtjänst Egenby"),
        ("police", "Polis Egenby"),
        ("analyst", None),
    ):
        ids[role], secrets[role] = await make_user(
            f"m-{role}", role, municipality_codes=["0123"], unit_name=unit
        )
    writer = factories.writer(ids["police"], own.id, other.id, username="m-police")
    p_own = await create_person(
        writer, municipality_id=own.id, identity=Identity(OWN_NAME, OWN_PIN, None, None)
    )
    p_other = await create_person(
        writer, municipality_id=other.id, identity=Identity(OTHER_NAME, OTHER_PIN, None, None)
    )
    p_prot = await create_person(
        writer,
        municipality_id=own.id,
        protection=Protection.skyddad_folkbokforing,
        identity=Identity(PROT_NAME, PROT_PIN, PROT_ADDRESS, None),
    )
    cases = {}
    for key, person, muni, unit in (
        ("own", p_own, own, "Socialtjänst Egenby"),
        ("other", p_other, other, "Socialtjänst Annanby"),
        ("protected", p_prot, own, "Socialtjänst Egenby"),
    ):
        case = DefectorCase(
            reference=f"AH-T-{key}",
            person=person.id,
            municipality=muni.id,
            unit=units[unit],
            referral_source=DefectorCase.ReferralSource.self_referral,
            opened_on=date(2024, 1, 10),
            notes="Fritext som bara socialtjänsten får se",
        )
        await case.save()
        cases[key] = case.id
    incidents = {}
    for key, muni in (("own", own), ("other", other)):
        inc = Incident(
            occurred_at=datetime(2024, 2, 1, 21, 0, tzinfo=UTC),
            municipality=muni.id,
            kind=Incident.Kind.shooting,
        )
        await inc.save()
        incidents[key] = inc.id
    return World(
        person={
            "own": p_own.id,
            "other_municipality": p_other.id,
            "other_partition": p_own.id,
            "protected": p_prot.id,
            "missing": MISSING,
        },
        case={
            "own": cases["own"],
            "other_municipality": cases["other"],
            # For police, a social-services case in their own municipality is the other partition.
            "other_partition": cases["own"],
            "protected": cases["protected"],
            "missing": MISSING,
        },
        incident={
            "own": incidents["own"],
            "other_municipality": incidents["other"],
            # For social services, a police incident is the other partition.
            "other_partition": incidents["own"],
            "protected": incidents["own"],
            "missing": MISSING,
        },
        police_id=ids["police"],
        secrets=secrets,
        unit=units["Socialtjänst Egenby"],
        support=await build_support_targets(
            own=own.id,
            other=other.id,
            own_unit=units["Socialtjänst Egenby"],
            other_unit=units["Socialtjänst Annanby"],
            person_own=p_own.id,
            person_own_code=p_own.code,
            person_other=p_other.id,
            person_protected=p_prot.id,
        ),
        groups=await build_group_targets(
            own=own.id,
            other=other.id,
            person_own=p_own.id,
            person_own_code=p_own.code,
            person_other=p_other.id,
            person_protected=p_prot.id,
            writer=writer,
        ),
        operations=await build_ops_targets(
            own=own.id,
            other=other.id,
            person_own=p_own.id,
            person_own_code=p_own.code,
            person_other=p_other.id,
            person_protected=p_prot.id,
            police_unit=units["Polis Egenby"],
        ),
        transfers=await build_transfer_targets(
            own=own.id,
            other=other.id,
            own_unit=units["Socialtjänst Egenby"],
            other_unit=units["Socialtjänst Annanby"],
            person_own=p_own.id,
            person_other=p_other.id,
            person_protected=p_prot.id,
            outreach=ids["outreach"],
        ),
    )


def _target_id(world: World, path: str, target: str) -> dict[str, int]:
    params = re.findall(r"\{(\w+):int\}", path)
    out = {}
    for p in params:
        table = {"person_id": world.person, "case_id": world.case, "incident_id": world.incident}
        if p in TRANSFER_PARAMS and world.transfers is not None:
            out[p] = world.transfers.ids(path, p, target)
        elif p in SUPPORT_PARAMS and world.support is not None:
            out[p] = world.support.ids(path, p, target)
        elif p in OPERATIONS_PARAMS and world.operations is not None:
            out[p] = world.operations.ids(path, p, target)
        elif p in table:
            out[p] = table[p][target]
        elif p in GROUP_PARAMS and world.groups is not None:
            out[p] = world.groups.ids(path, p, target)
        elif p == "unit_id":
            out[p] = world.unit if target != "missing" else MISSING
        else:
            # Other ids (users, alerts…): a real row for "own", nothing otherwise.
            out[p] = world.police_id if target != "missing" else MISSING
    return out


def _body(name: str, world: World) -> dict[str, Any]:
    return {
        "api.people.break_glass": {"reason": "Akut hotbild mot personen, behöver adress nu"},
        "people.break_glass": {"reason": "Akut hotbild mot personen, behöver adress nu"},
        "api.people.search_pin": {"pin": OWN_PIN},
        "api.cases.disclose": {
            "to_user_id": world.police_id,
            "legal_ground": "osl_10_18a",
            "summary": "Uppgift om pågående hotbild lämnad",
        },
        **(world.groups.bodies() if world.groups else {}),
        **(world.support.bodies() if world.support else {}),
        **(world.operations.bodies() if world.operations else {}),
        **(world.transfers.bodies() if world.transfers else {}),
        "api.network.jobs_create": {"kind": "person_centrality"},
        "network.jobs_create": {"kind": "person_centrality"},
        "search.run": {"q": "AH"},
        "network.views_create": {"name": "Matrisvy"},
    }.get(name, {})


@pytest.mark.parametrize("role", ROLES)
async def test_role_route_matrix(app: Litestar, role: str) -> None:
    world = await _build_world()
    unauthorised_successes: list[str] = []
    missing_expectations: list[str] = []
    async with signed_in(app, f"m-{role}", world.secrets[role]) as c:
        token = csrf_from((await c.get("/")).text)
        calls = []
        for route in app.routes:
            for handler in getattr(route, "route_handlers", []):
                permission = route_permission(handler)
                methods = set(getattr(handler, "http_methods", ())) - {"OPTIONS", "HEAD"}
                if permission is None or permission is Permission.public or not methods:
                    continue
                name = handler.name or route.path
                if name in SKIP or route.path.startswith("/api/v1/schema"):
                    continue
                if name not in ALLOWED and not name.startswith(("admin.", "api.admin.")):
                    missing_expectations.append(name)
                    continue
                calls.append((route.path, handler, name, methods.pop()))
        assert missing_expectations == [], "routes without a matrix entry"
        # Reads before writes: a break-the-glass grant changes later answers;
        # archiving (DELETE) last, after the updates of the same record.
        calls.sort(key=lambda c: {"GET": 0, "DELETE": 2}.get(c[3], 1))
        for path, _handler, name, method in calls:
            has_ids = "{" in path
            if name.startswith(("admin.", "api.admin.")):
                allowed = {"admin": ALL} if role == "admin" else {}
                if role == "admin" and method != "GET":
                    continue  # admin actions change accounts; tests/admin covers them
            else:
                allowed = ALLOWED[name]
            for target in TARGETS if has_ids else ("own",):
                url = path
                # An archive (DELETE) gets rows of its own, as …/archive did.
                slot = f"DELETE {path}" if method == "DELETE" else path
                for param, value in _target_id(world, slot, target).items():
                    url = re.sub(r"\{" + param + r":int\}", str(value), url)
                if method == "GET":
                    r = await c.get(url, follow_redirects=False)
                elif name in RECORD_MULTIPART:
                    r = await c.post(
                        url,
                        files=RECORD_UPLOAD,
                        data={**RECORD_MULTIPART[name], "csrf_token": token},
                        headers={"X-CSRF-Token": token},
                        follow_redirects=False,
                    )
                elif name in MULTIPART_ROUTES and world.groups is not None:
                    upload = world.groups.multipart()
                    r = await c.post(
                        url,
                        files=upload["files"],
                        data={**upload["data"], "csrf_token": token},
                        follow_redirects=False,
                    )
                elif path.startswith("/api/"):
                    body = dict(_body(name, world))
                    headers = {"X-CSRF-Token": token}
                    if method in ("PATCH", "DELETE"):
                        # The version travels in If-Match (gvi/core/rest.py).
                        headers["If-Match"] = f'"{body.pop("version", 1)}"'
                    content = None if method == "DELETE" else body
                    r = await c.request(method, url, json=content, headers=headers)
                else:
                    data = {**_body(name, world), "csrf_token": token}
                    r = await c.post(url, data=data, follow_redirects=False)
                may = target in allowed.get(role, set())
                label = f"{role} {method} {url} ({name}, {target}) → {r.status_code}"
                if may:
                    assert r.status_code < 400 or (
                        target == "protected" and r.status_code == 403
                    ), label
                elif r.status_code < 400 and r.status_code != 303:
                    unauthorised_successes.append(label)
                else:
                    assert r.status_code == 404, label
                    if path.startswith("/api/"):
                        assert r.json() == NOT_FOUND, label
                # No identity leaks except the one the route is for.
                body = r.text
                allowed_identity = (
                    may
                    and name in ("api.people.identity", "people.identity")
                    and target != "protected"
                )
                for secret in SECRETS:
                    if secret in body:
                        assert allowed_identity, label
                        assert secret == OWN_NAME, label
                if role == "analyst":
                    assert OWN_NAME not in body, label
                    assert OWN_PIN not in body, label
                    assert "Fritext" not in body, label
    assert unauthorised_successes == []
