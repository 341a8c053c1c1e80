"""Words the call-in pages show for stored codes (status, speakers, invitations, reach).

``MEMBER_ROLE_LABELS`` is the invite planner's wording of a membership role (lower
case, in parentheses after a code); the group pages have their own in
:mod:`gvi.groups.forms`.
"""

from __future__ import annotations

from gvi.groups.labels import MEMBER_ROLE_LABELS as MEMBER_ROLE_LABELS
from gvi.i18n import N_

CALLIN_STATUS_LABELS = {
    "planned": N_("Planerad"),
    "held": N_("Genomförd"),
    "cancelled": N_("Inställd"),
}
SPEAKER_ROLE_LABELS = {
    "police": N_("Polis"),
    "prosecutor": N_("Åklagare"),
    "social_services": N_("Socialtjänst"),
    "community": N_("Röst från samhället"),
    "other": N_("Annan"),
}
INVITATION_STATUS_LABELS = {
    "invited": N_("Inbjuden"),
    "confirmed": N_("Bekräftad"),
    "attended": N_("Deltog"),
    "no_show": N_("Kom inte"),
    "excused": N_("Anmält förhinder"),
}
REACH_LABELS = {
    "full": N_("Nås helt (minst en tredjedel inbjuden)"),
    "partial": N_("Nås delvis (färre än en tredjedel)"),
    "via_ally": N_("Nås via allierad grupp"),
}
