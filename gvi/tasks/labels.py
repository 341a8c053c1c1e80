"""Words the task pages show for the kind and status of a task."""

from __future__ import annotations

from gvi.i18n import N_

TASK_KIND_LABELS = {
    "custom_notification": N_("Individuell underrättelse"),
    "outreach_contact": N_("Uppsökande kontakt"),
    "follow_up": N_("Uppföljning"),
    "other": N_("Övrigt"),
}
TASK_STATUS_LABELS = {"open": N_("Öppen"), "done": N_("Klar"), "cancelled": N_("Struken")}
