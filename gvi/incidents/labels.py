"""Words the incident pages show for stored codes (kinds, harm, review, roles, risk)."""

from __future__ import annotations

from gvi.groups.labels import GROUP_ROLE_LABELS as GROUP_ROLE_LABELS
from gvi.i18n import N_

INCIDENT_KIND_LABELS = {
    "shooting": N_("Skjutning"),
    "explosion": N_("Sprängning"),
    "stabbing": N_("Knivvåld"),
    "threat": N_("Hot"),
    "other": N_("Annat"),
}
HARM_LABELS = {
    "none": N_("Ingen personskada"),
    "property": N_("Egendomsskada"),
    "injured": N_("Skadad"),
    "killed": N_("Dödad"),
}
REVIEW_LABELS = {"new": N_("Ny"), "in_review": N_("Under granskning"), "reviewed": N_("Granskad")}
PERSON_ROLE_LABELS = {
    "suspect": N_("Misstänkt"),
    "victim": N_("Utsatt"),
    "witness": N_("Vittne"),
    "other": N_("Annan roll"),
}
RISK_DIRECTION_LABELS = {"target": N_("Risk att utsättas"), "retaliator": N_("Risk att hämnas")}
RISK_POSITION_LABELS = {
    "suspected": N_("misstänkt grupp"),
    "victim": N_("utsatt grupp"),
    "victim_rival": N_("rival till den utsatta gruppen"),
    "victim_ally": N_("allierad med den utsatta gruppen"),
    "target_ally": N_("allierad med den misstänkta sidan"),
}
