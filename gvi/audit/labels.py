"""Swedish names of the audit tags, for the trail an admin reads.

The tags themselves (``gvi.audit.events``) are stored and hashed, so they stay
as they are; this map is how they read on the page ("Ärende läst", not
``case:read``). Every tag has a name (``tests/audit/test_audit_labels.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

from gvi.audit.events import AuditAction
from gvi.i18n import N_, gettext

A = AuditAction

ACTION_LABELS: Mapping[AuditAction, str] = {
    A.person_list: N_("Personlista läst"),
    A.person_read: N_("Person läst"),
    A.person_create: N_("Person registrerad"),
    A.person_write: N_("Person ändrad"),
    A.person_archive: N_("Person arkiverad"),
    A.person_identity_read: N_("Identitet läst"),
    A.person_identity_search: N_("Identitet sökt"),
    A.person_identity_write: N_("Identitet ändrad"),
    A.data_key_rotate: N_("Krypteringsnyckel bytt"),
    A.break_glass_grant: N_("Nödåtkomst beviljad"),
    A.break_glass_read: N_("Skyddad identitet läst via nödåtkomst"),
    A.break_glass_expire: N_("Nödåtkomst upphörd"),
    A.disclosure_create: N_("Uppgifter lämnade mellan myndigheter"),
    A.disclosure_read: N_("Lämnade uppgifter lästa"),
    A.membership_write: N_("Medlemskap ändrat"),
    A.network_read: N_("Nätverk läst"),
    A.group_create: N_("Grupp registrerad"),
    A.group_write: N_("Grupp ändrad"),
    A.group_archive: N_("Grupp arkiverad"),
    A.relation_write: N_("Relation ändrad"),
    A.group_import: N_("Grupper inlästa från fil"),
    A.incident_read: N_("Händelse läst"),
    A.incident_write: N_("Händelse ändrad"),
    A.enforcement_read: N_("Åtgärd läst"),
    A.enforcement_write: N_("Åtgärd ändrad"),
    A.invitation_write: N_("Inbjudan ändrad"),
    A.invitation_read: N_("Inbjudningar lästa"),
    A.notification_read: N_("Underrättelse läst"),
    A.notification_write: N_("Underrättelse ändrad"),
    A.callin_write: N_("Möte ändrat"),
    A.promise_ledger_read: N_("Löftesuppföljning läst"),
    A.task_list: N_("Uppgiftslista läst"),
    A.task_write: N_("Uppgift ändrad"),
    A.case_list: N_("Ärendelista läst"),
    A.case_read: N_("Ärende läst"),
    A.case_write: N_("Ärende ändrat"),
    A.case_plan_write: N_("Ärendeplan ändrad"),
    A.case_transfer: N_("Överföring av ärende"),
    A.case_transfer_read: N_("Överföringar lästa"),
    A.offer_list: N_("Erbjudandelista läst"),
    A.offer_read: N_("Erbjudande läst"),
    A.offer_write: N_("Erbjudande ändrat"),
    A.provider_write: N_("Utförare ändrad"),
    A.method_write: N_("Metod ändrad"),
    A.outreach_write: N_("Uppsökande aktivitet ändrad"),
    A.records_import: N_("Uppgifter inlästa från fil"),
    A.export_create: N_("Export skapad"),
    A.auth_login: N_("Inloggning"),
    A.auth_login_failed: N_("Misslyckad inloggning"),
    A.auth_lockout: N_("Inloggning spärrad"),
    A.auth_logout: N_("Utloggning"),
    A.auth_logout_everywhere: N_("Utloggning överallt"),
    A.auth_totp_enrolled: N_("Engångskoder aktiverade"),
    A.auth_totp_failed: N_("Fel engångskod"),
    A.auth_recovery_code_used: N_("Reservkod använd"),
    A.auth_password_changed: N_("Lösenord bytt"),
    A.session_rotated: N_("Session förnyad"),
    A.auth_oidc_linked: N_("Konto kopplat till inloggningstjänst"),
    A.auth_oidc_unlinked: N_("Konto frikopplat från inloggningstjänst"),
    A.digest_send: N_("Daglig sammanfattning skickad"),
    A.digest_settings_update: N_("Inställningar för daglig sammanfattning ändrade"),
    A.user_create: N_("Användare skapad"),
    A.user_update: N_("Användare ändrad"),
    A.user_role_change: N_("Roll bytt"),
    A.user_disable: N_("Användare avstängd"),
    A.user_enable: N_("Användare återaktiverad"),
    A.user_unlock: N_("Användare upplåst"),
    A.alert_acknowledge: N_("Avisering kvitterad"),
    A.user_unit_change: N_("Användarens enheter ändrade"),
    A.user_lead_change: N_("Enhetschef ändrad"),
    A.first_admin_create: N_("Första administratören skapad"),
    A.org_unit_create: N_("Enhet skapad"),
    A.org_unit_update: N_("Enhet ändrad"),
    A.org_unit_deactivate: N_("Enhet avvecklad"),
    A.org_unit_reactivate: N_("Enhet återaktiverad"),
    A.org_unit_deactivate_refused: N_("Avveckling av enhet nekad"),
    A.org_municipalities_sync: N_("Kommunlistan uppdaterad"),
    A.audit_read: N_("Granskningslogg läst"),
    A.audit_verify: N_("Granskningslogg kontrollerad"),
    A.retention_dry_run: N_("Gallring provkörd"),
    A.retention_apply: N_("Gallring genomförd"),
    A.service_account_create: N_("Tjänstekonto skapat"),
    A.api_token_create: N_("API-nyckel skapad"),
    A.api_token_revoke: N_("API-nyckel återkallad"),
    A.calendar_feed_create: N_("Kalenderlänk skapad"),
    A.calendar_feed_revoke: N_("Kalenderlänk återkallad"),
}


def action_label(action: str) -> str:
    """The translated name of a stored tag; a tag this release does not know
    (a newer row read by an older instance) shows as itself."""
    try:
        return gettext(ACTION_LABELS[AuditAction(action)])
    except (ValueError, KeyError):
        return action
