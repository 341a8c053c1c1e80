"""The Swedish words for the outreach channels (pure: no web, no database)."""

from __future__ import annotations

from collections.abc import Mapping

from gvi.i18n import N_

CHANNEL_LABELS: Mapping[str, str] = {
    "information_meeting": N_("Informationsmöte"),
    "web": N_("Webbsidan"),
    "economic_assistance": N_("Ekonomiskt bistånd"),
    "addiction_care": N_("Beroendevården"),
    "school": N_("Skolan"),
    "police": N_("Polisen"),
    "probation": N_("Frivården"),
    "sis": N_("SiS"),
    "other": N_("Annan"),
}
# The funnel's rows also name cases that came by themselves (referral "self").
FUNNEL_LABELS: Mapping[str, str] = {**CHANNEL_LABELS, "self": N_("Egen kontakt")}
