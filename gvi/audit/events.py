"""The audit tags: one ``AuditAction`` per kind of event, named ``domain:thing:verb``.

A tag is stored as text in ``audit_event.action`` and is part of each row's hash,
so a tag's value must never change once released; add new tags instead.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    # Pseudonymous person records (tier 2).
    person_list = "person:list"
    person_read = "person:read"
    person_create = "person:create"
    person_write = "person:write"
    person_archive = "person:archive"

    # Identity (tier 3): every read is audited, and so is an exact lookup, since a
    # hit on the blind index tells the searcher that the person is on file.
    person_identity_read = "person:identity:read"
    person_identity_search = "person:identity:search"
    person_identity_write = "person:identity:write"
    data_key_rotate = "data_key:rotate"  # re-encryption, retirement or re-indexing of identities

    # Protected identity and defector whereabouts (tier 4).
    break_glass_grant = "break_glass:grant"
    break_glass_read = "break_glass:read"
    break_glass_expire = "break_glass:expire"

    # Crossing between the social-services and police partitions.
    disclosure_create = "disclosure:create"
    disclosure_read = "disclosure:read"

    # Groups and the people in them.
    membership_write = "membership:write"
    network_read = "network:read"
    # The group register and relations hold no person data, but who changed a claim matters.
    group_create = "group:create"
    group_write = "group:write"
    group_archive = "group:archive"
    relation_write = "relation:write"
    group_import = "group:import"  # a CSV group audit: one event, counts only

    # Police records about people.
    incident_read = "incident:read"
    incident_write = "incident:write"
    enforcement_read = "enforcement:read"
    enforcement_write = "enforcement:write"

    # Call-ins: inviting and notifying named people.
    invitation_write = "invitation:write"
    invitation_read = "invitation:read"  # an invite list or attendance sheet: person codes
    notification_read = "notification:read"
    notification_write = "notification:write"
    # The meeting itself (time, venue, speakers, message) holds no subject's data,
    # but who changed it matters.
    callin_write = "callin:write"
    # Promise ledger: per call-in counts of triggering incidents and enforcement actions.
    promise_ledger_read = "promise_ledger:read"
    # Tasks may name a person (by code): listing them is a read, changing them a write.
    task_list = "task:list"
    task_write = "task:write"

    # Social services' records.
    case_list = "case:list"
    case_read = "case:read"
    case_write = "case:write"
    case_plan_write = "case:plan:write"  # the case plan, SIP, goal ratings, approval
    # A transfer of a case between units: offered, withdrawn, accepted or declined (a write),
    # and reading the transfer lists (case numbers and reasons, never the person).
    case_transfer = "case:transfer"
    case_transfer_read = "case:transfer:read"
    offer_list = "offer:list"
    offer_read = "offer:read"
    offer_write = "offer:write"
    provider_write = "provider:write"  # the provider register: no person data, but who changed it
    method_write = "method:write"  # the method catalogue: no person data either
    outreach_write = "outreach:write"  # the outreach log: counts, never a person
    # A record import (people, cases, offers from a spreadsheet): one event, counts only.
    records_import = "records:import"

    export_create = "export:create"

    # Authentication and sessions.
    auth_login = "auth:login"
    auth_login_failed = "auth:login_failed"
    auth_lockout = "auth:lockout"
    auth_logout = "auth:logout"
    auth_logout_everywhere = "auth:logout_everywhere"
    auth_totp_enrolled = "auth:totp_enrolled"
    auth_totp_failed = "auth:totp_failed"
    auth_recovery_code_used = "auth:recovery_code_used"
    auth_password_changed = "auth:password_changed"  # noqa: S105 - an event tag, not a secret
    session_rotated = "session:rotated"
    # An account's first sign-in through the identity provider links it (gvi/oidc).
    auth_oidc_linked = "auth:oidc_linked"
    auth_oidc_unlinked = "auth:oidc_unlinked"  # `gvi oidc-unlink`: the next sign-in links anew

    # Administration.
    user_create = "user:create"
    user_update = "user:update"
    user_role_change = "user:role_change"
    user_disable = "user:disable"
    user_enable = "user:enable"
    user_unlock = "user:unlock"
    alert_acknowledge = "alert:acknowledge"
    user_unit_change = "user:unit:change"  # home or joint units: the user's scope moves
    user_lead_change = "user:lead:change"  # made unit lead (enhetschef) or no longer
    first_admin_create = "user:first_admin:create"  # `gvi create-first-admin`, no actor

    # Organisation: units and the municipalities they serve (no person data).
    org_unit_create = "org:unit:create"
    org_unit_update = "org:unit:update"
    org_unit_deactivate = "org:unit:deactivate"
    org_unit_reactivate = "org:unit:reactivate"
    org_unit_deactivate_refused = "org:unit:deactivate_refused"  # open cases: ids and count only
    org_municipalities_sync = "org:municipalities:sync"  # `gvi migrate` loading SCB's list

    # Watching the watchers: reading the trail is itself recorded.
    audit_read = "audit:read"
    audit_verify = "audit:verify"

    # Retention (gallring): what was deleted or anonymised, and when.
    retention_dry_run = "retention:dry_run"
    retention_apply = "retention:apply"

    # API tokens, service accounts and calendar feeds (gvi/tokens): ids only, never the secret.
    service_account_create = "service_account:create"
    api_token_create = "api_token:create"  # noqa: S105 - an event tag, not a secret
    api_token_revoke = "api_token:revoke"  # noqa: S105 - an event tag, not a secret
    calendar_feed_create = "calendar_feed:create"
    calendar_feed_revoke = "calendar_feed:revoke"

    # The daily digest (gvi/notify): one row per mail sent (the number of items, no
    # content); a user's own digest settings (configured: an address is set; opt-out).
    digest_send = "digest:send"
    digest_settings_update = "digest:settings:update"


A = AuditAction

READ_ACTIONS: frozenset[AuditAction] = frozenset(
    {
        A.person_list,
        A.person_read,
        A.person_identity_read,
        A.person_identity_search,
        A.break_glass_read,
        A.disclosure_read,
        A.network_read,
        A.incident_read,
        A.enforcement_read,
        A.notification_read,
        A.invitation_read,
        A.task_list,
        A.case_list,
        A.case_read,
        A.case_transfer_read,
        A.offer_list,
        A.offer_read,
        A.export_create,
    }
)
"""Actions that count as reading person-level data ("what did this user read",
"unusual reading")."""

IDENTITY_ACTIONS: frozenset[AuditAction] = frozenset(
    {
        A.person_identity_read,
        A.person_identity_search,
        A.person_identity_write,
        A.break_glass_read,
    }
)
"""Actions that touch tier-3 or tier-4 identity data."""
