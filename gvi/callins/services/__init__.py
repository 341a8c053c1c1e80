"""Call-ins: schedule, speakers, message and promises, invitations chosen by group,
attendance. One module per sub-resource; this package is their one import path.

- :mod:`.schedule`: the call-ins themselves (scope, lists, one call-in, editing,
  status and the tasks after it, speakers);
- :mod:`.invitations`: the invite planner, inviting, attendance;
- :mod:`.reach`: reach and rivalry warnings read off the signed graph (pure);
- :mod:`.views`: what the services hand to pages and the API.

Scope: a call-in belongs to its municipality; users see those of their own
municipalities (``callins:read``), anything else is the same 404 as a missing id.
Invitees must be in the user's scope too.

Planner warnings (architecture §3.2, call-in planning): before invitations are
saved, :func:`gvi.networks.risk.invite_warnings` runs on the signed graph as of
the call-in's day; saving over a warning needs a written reason (at least ten
characters). Custom notifications are :mod:`gvi.notifications`.
"""

from __future__ import annotations

from gvi.callins.services.invitations import invite as invite
from gvi.callins.services.invitations import mark_all_attended as mark_all_attended
from gvi.callins.services.invitations import planner as planner
from gvi.callins.services.invitations import remove_invitation as remove_invitation
from gvi.callins.services.invitations import remove_invitations as remove_invitations
from gvi.callins.services.invitations import set_invitation_status as set_invitation_status
from gvi.callins.services.invitations import set_invitation_statuses as set_invitation_statuses
from gvi.callins.services.schedule import CALLIN_SORTS as CALLIN_SORTS
from gvi.callins.services.schedule import FOLLOW_UP_AFTER_CALLIN_DAYS as FOLLOW_UP_AFTER_CALLIN_DAYS
from gvi.callins.services.schedule import MAX_CAPACITY as MAX_CAPACITY
from gvi.callins.services.schedule import add_speaker as add_speaker
from gvi.callins.services.schedule import callin_basics as callin_basics
from gvi.callins.services.schedule import callin_scope as callin_scope
from gvi.callins.services.schedule import create_callin as create_callin
from gvi.callins.services.schedule import get_callin as get_callin
from gvi.callins.services.schedule import list_callins as list_callins
from gvi.callins.services.schedule import municipality_choices as municipality_choices
from gvi.callins.services.schedule import remove_speaker as remove_speaker
from gvi.callins.services.schedule import scope_ids as scope_ids
from gvi.callins.services.schedule import set_status as set_status
from gvi.callins.services.schedule import upcoming_callins as upcoming_callins
from gvi.callins.services.schedule import update_callin as update_callin
from gvi.callins.services.views import CallInDetail as CallInDetail
from gvi.callins.services.views import CallInDraft as CallInDraft
from gvi.callins.services.views import CallInRow as CallInRow
from gvi.callins.services.views import InviteNeedsOverride as InviteNeedsOverride
from gvi.callins.services.views import InviteResult as InviteResult
from gvi.callins.services.views import PlannerView as PlannerView
from gvi.callins.services.views import ReachRow as ReachRow
from gvi.callins.services.views import WarningView as WarningView
from gvi.core.failures import FormErrors as FormErrors
from gvi.core.failures import VersionConflict as VersionConflict
