"""Words the enforcement pages show for agencies, kinds and statuses of an action."""

from __future__ import annotations

from gvi.i18n import N_

AGENCY_LABELS = {
    "police": N_("Polisen"),
    "prosecutor": N_("Åklagarmyndigheten"),
    "probation": N_("Kriminalvården"),
    "customs": N_("Tullverket"),
    "tax_agency": N_("Skatteverket"),
    "other": N_("Annan myndighet"),
}
ACTION_KIND_LABELS = {
    "arrest": N_("Gripande"),
    "search": N_("Husrannsakan"),
    "probation_check": N_("Frivårdskontroll"),
    "seizure": N_("Beslag"),
    "traffic_control": N_("Trafikkontroll"),
    "other": N_("Annan åtgärd"),
}
ACTION_STATUS_LABELS = {
    "planned": N_("Planerad"),
    "done": N_("Genomförd"),
    "cancelled": N_("Avbruten"),
}
