"""Words the notification pages show for the outcome of a custom notification."""

from __future__ import annotations

from gvi.i18n import N_

OUTCOME_LABELS = {
    "planned": N_("Planerad"),
    "delivered": N_("Levererad"),
    "refused": N_("Vägrade ta emot"),
    "not_found": N_("Påträffades inte"),
}
