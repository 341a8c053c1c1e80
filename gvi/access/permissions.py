"""One Permission enum and one role → permissions map (architecture §4.1).

Every route names the permission it needs in ``opt={"permission": ...}``; the
access check in :mod:`gvi.access.guards` reads it. ``Permission.public`` marks the few
routes anyone may reach (login, health, static files).
"""

from __future__ import annotations

from enum import StrEnum

from gvi.accounts.tables import Role


class Permission(StrEnum):
    public = "public"
    authenticated = "authenticated"  # any signed-in user: own account, language, logout

    users_manage = "users:manage"
    audit_read = "audit:read"
    alerts_read = "alerts:read"
    org_manage = "org:manage"  # units and the municipalities they serve

    groups_read = "groups:read"
    groups_write = "groups:write"
    relations_write = "relations:write"
    memberships_write = "memberships:write"
    people_read = "people:read"  # pseudonymous person records
    people_write = "people:write"
    identity_read = "identity:read"  # tier 3: name, personnummer, address, phone
    network_read = "network:read"

    incidents_read = "incidents:read"
    incidents_write = "incidents:write"
    enforcement_read = "enforcement:read"
    enforcement_write = "enforcement:write"

    callins_read = "callins:read"
    callins_write = "callins:write"
    notifications_read = "notifications:read"
    notifications_write = "notifications:write"
    promise_ledger_read = "promises:read"

    offers_read = "offers:read"
    offers_write = "offers:write"
    providers_read = "providers:read"
    providers_write = "providers:write"
    methods_read = "methods:read"  # the method catalogue (no person data)
    methods_write = "methods:write"  # a method of one of the user's units
    outreach_read = "outreach:read"  # the outreach log (counts, no person)
    outreach_write = "outreach:write"
    cases_read = "cases:read"
    cases_write = "cases:write"
    # A few facts of a defector case, only while a disclosure to the user is in force;
    # the users who hold it are the ones a disclosure can be made to.
    cases_read_disclosed = "cases:read-disclosed"
    disclosures_write = "disclosures:write"
    # Approving a case plan and closing a case: a unit lead's (User.unit_lead) right,
    # held besides the role's; see LEAD_PERMISSIONS.
    cases_approve = "cases:approve"
    follow_ups_export = "follow-ups:export"  # the individual follow-up export
    # Importing people, defector cases and offers from spreadsheets: outreach only
    # (their units, their municipalities); each kind also needs its own write permission.
    records_import = "records:import"

    tasks_read = "tasks:read"
    figures_read = "figures:read"
    saved_views_write = "views:write"


P = Permission

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(
        {P.authenticated, P.users_manage, P.audit_read, P.alerts_read, P.org_manage}
    ),
    Role.coordinator: frozenset(
        {
            P.authenticated,
            P.groups_read,
            P.groups_write,
            P.people_read,
            P.network_read,
            P.callins_read,
            P.callins_write,
            P.notifications_read,
            P.notifications_write,
            P.promise_ledger_read,
            P.tasks_read,
            P.figures_read,
        }
    ),
    Role.outreach: frozenset(
        {
            P.authenticated,
            P.people_read,
            P.people_write,
            P.identity_read,
            P.callins_read,
            P.notifications_read,
            P.offers_read,
            P.offers_write,
            P.providers_read,
            P.providers_write,
            P.methods_read,
            P.methods_write,
            P.outreach_read,
            P.outreach_write,
            P.cases_read,
            P.cases_write,
            P.disclosures_write,
            P.follow_ups_export,
            P.records_import,
            P.tasks_read,
            P.figures_read,
        }
    ),
    Role.police: frozenset(
        {
            P.authenticated,
            P.groups_read,
            P.relations_write,
            P.memberships_write,
            P.people_read,
            P.people_write,
            P.identity_read,
            P.network_read,
            P.incidents_read,
            P.incidents_write,
            P.enforcement_read,
            P.enforcement_write,
            P.cases_read_disclosed,
            P.callins_read,
            P.notifications_read,
            P.promise_ledger_read,
            P.tasks_read,
            P.figures_read,
        }
    ),
    Role.analyst: frozenset(
        {P.authenticated, P.groups_read, P.network_read, P.figures_read, P.saved_views_write}
    ),
}

# What a unit lead (enhetschef, User.unit_lead) holds besides the role, and the
# permission the role must hold for the flag to count: a lead is a caseworker
# who also approves plans and closings.
LEAD_PERMISSIONS: frozenset[Permission] = frozenset({P.cases_approve})
LEAD_NEEDS = P.cases_write

# Roles that can read person-level data must use a second factor.
ROLES_NEEDING_TOTP: frozenset[Role] = frozenset(
    role for role, perms in ROLE_PERMISSIONS.items() if P.people_read in perms or role is Role.admin
)


def roles_with(permission: Permission) -> frozenset[Role]:
    """The roles holding ``permission``: for queries on users (who may be made a
    caseworker, who a disclosure may go to), so a role is named in one place only."""
    return frozenset(role for role, perms in ROLE_PERMISSIONS.items() if permission in perms)


def has_permission(role: Role | str, permission: Permission, *, unit_lead: bool = False) -> bool:
    if permission is Permission.public:
        return True
    held = ROLE_PERMISSIONS.get(Role(role), frozenset())
    if permission in held:
        return True
    return unit_lead and permission in LEAD_PERMISSIONS and LEAD_NEEDS in held


def can_lead(role: Role | str) -> bool:
    """Whether a user of this role can be made a unit lead."""
    return LEAD_NEEDS in ROLE_PERMISSIONS.get(Role(role), frozenset())
