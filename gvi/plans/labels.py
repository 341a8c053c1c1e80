"""The Swedish words for a plan's values (translated where shown)."""

from __future__ import annotations

from collections.abc import Mapping

from gvi.i18n import N_

PARTY_LABELS: Mapping[str, str] = {
    "social_services": N_("Socialtjänsten"),
    "psychiatry": N_("Regionens psykiatri"),
    "addiction_care": N_("Beroendevården"),
    "primary_care": N_("Primärvården"),
    "probation": N_("Kriminalvården"),
    "school": N_("Skolan"),
    "employment_service": N_("Arbetsförmedlingen"),
    "other": N_("Annan"),
}
# The region's parties: a plan with one of them is a SIP's business.
REGION_PARTIES = frozenset({"psychiatry", "addiction_care", "primary_care"})
ITEM_STATUS_LABELS: Mapping[str, str] = {
    "planned": N_("Planerad"),
    "ongoing": N_("Pågår"),
    "done": N_("Genomförd"),
    "cancelled": N_("Avbruten"),
}
RATING_LABELS: Mapping[str, str] = {
    "met": N_("Uppnått"),
    "partly": N_("Delvis uppnått"),
    "not_met": N_("Inte uppnått"),
}
