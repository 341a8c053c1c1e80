"""What the operations pages (incidents, call-ins, custom notifications,
enforcement, tasks) share: the label tables their templates read and local time
as people read it (:func:`gvi.core.web.ops_page` puts both into a page's context).

Each domain owns its labels (``gvi/<domain>/labels.py``); they are assembled
here, in one place, for the templates (``labels.<table>.get(code)``). Times are
typed and shown in Swedish local time (Europe/Stockholm) and stored in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gvi.callins.labels import (
    CALLIN_STATUS_LABELS,
    INVITATION_STATUS_LABELS,
    MEMBER_ROLE_LABELS,
    REACH_LABELS,
    SPEAKER_ROLE_LABELS,
)
from gvi.core.clock import STOCKHOLM
from gvi.core.forms import CONFIRM_VALUE
from gvi.enforcement.labels import ACTION_KIND_LABELS, ACTION_STATUS_LABELS, AGENCY_LABELS
from gvi.incidents.labels import (
    GROUP_ROLE_LABELS,
    HARM_LABELS,
    INCIDENT_KIND_LABELS,
    PERSON_ROLE_LABELS,
    REVIEW_LABELS,
    RISK_DIRECTION_LABELS,
    RISK_POSITION_LABELS,
)
from gvi.notifications.labels import OUTCOME_LABELS
from gvi.tasks.labels import TASK_KIND_LABELS, TASK_STATUS_LABELS

LABELS: dict[str, dict[str, str]] = {
    "incident_kind": INCIDENT_KIND_LABELS,
    "harm": HARM_LABELS,
    "review": REVIEW_LABELS,
    "group_role": GROUP_ROLE_LABELS,
    "person_role": PERSON_ROLE_LABELS,
    "risk_direction": RISK_DIRECTION_LABELS,
    "risk_position": RISK_POSITION_LABELS,
    "callin_status": CALLIN_STATUS_LABELS,
    "speaker_role": SPEAKER_ROLE_LABELS,
    "invitation_status": INVITATION_STATUS_LABELS,
    "reach": REACH_LABELS,
    "outcome": OUTCOME_LABELS,
    "agency": AGENCY_LABELS,
    "action_kind": ACTION_KIND_LABELS,
    "action_status": ACTION_STATUS_LABELS,
    "task_kind": TASK_KIND_LABELS,
    "task_status": TASK_STATUS_LABELS,
    "member_role": MEMBER_ROLE_LABELS,
}


def local(moment: datetime) -> datetime:
    return moment.astimezone(STOCKHOLM)


def aware(moment: datetime) -> datetime:
    """API times without an offset are Swedish local time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=STOCKHOLM)


def when(moment: datetime | None) -> str:
    """For people: "2024-03-01 21:30" in Swedish local time."""
    if moment is None:
        return "–"
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def clock(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(STOCKHOLM).strftime("%H:%M")


TEMPLATE_HELPERS: dict[str, Any] = {
    "when": when,
    "clock": clock,
    "labels": LABELS,
    "confirm_value": CONFIRM_VALUE,
}
