"""Defector cases: unit scoping, both eligibility tracks, the case's history,
and the police view only through a recorded disclosure.

One module per sub-resource: :mod:`.common` (refusals, scope, the write
preamble), :mod:`.track` (the derived police track), :mod:`.views` (reading
and listing), :mod:`.cases` (opening, editing, status), :mod:`.consents`,
:mod:`.needs`, :mod:`.grants`, :mod:`.follow_ups`, :mod:`.disclosures`,
:mod:`.timeline`, :mod:`.transfers` (between units) and :mod:`.figures`
("led to an intervention"). The names the controllers and other packages use
are gathered here.

Every read and write of a case writes its audit row in the same transaction.
"""

from __future__ import annotations

from gvi.defectors.services.cases import (
    ASSESSMENT_COLUMNS,
    CaseChoices,
    Choice,
    case_choices,
    change_status,
    create_case,
    update_case,
)
from gvi.defectors.services.common import (
    CONFLICT_MESSAGE,
    STATUS_CONFLICT_MESSAGE,
    CaseError,
    Conflict,
    DisclosureError,
    GateRefused,
    GrantRefused,
    TransitionRefused,
    case_scope,
    today,
    visible_case_ids,
)
from gvi.defectors.services.consents import give_consent, withdraw_consent
from gvi.defectors.services.disclosures import (
    DISCLOSURE_MAX_DAYS,
    DISCLOSURE_MIN_DAYS,
    record_disclosure,
)
from gvi.defectors.services.figures import (
    InterventionFigure,
    intervention_figures,
    led_to_intervention,
)
from gvi.defectors.services.follow_ups import add_follow_up
from gvi.defectors.services.grants import apply_for_grant, decide_grant
from gvi.defectors.services.needs import add_need, mark_need_met
from gvi.defectors.services.timeline import ASSESSMENT_LABELS, get_case_page, get_timeline
from gvi.defectors.services.track import refresh_police_track
from gvi.defectors.services.transfers import (
    accept_transfer,
    case_transfers,
    decline_transfer,
    get_transfer,
    list_transfers,
    offer_transfer,
    receiving_caseworkers,
    receiving_units,
    withdraw_transfer,
)
from gvi.defectors.services.views import CASE_SORTS, get_case, list_cases

# The importer (gvi.records) applies the same derived police track.
_refresh_police_track = refresh_police_track

__all__ = [
    "ASSESSMENT_COLUMNS",
    "ASSESSMENT_LABELS",
    "CASE_SORTS",
    "CONFLICT_MESSAGE",
    "DISCLOSURE_MAX_DAYS",
    "DISCLOSURE_MIN_DAYS",
    "STATUS_CONFLICT_MESSAGE",
    "CaseChoices",
    "CaseError",
    "Choice",
    "Conflict",
    "DisclosureError",
    "GateRefused",
    "GrantRefused",
    "InterventionFigure",
    "TransitionRefused",
    "accept_transfer",
    "add_follow_up",
    "add_need",
    "apply_for_grant",
    "case_choices",
    "case_scope",
    "case_transfers",
    "change_status",
    "create_case",
    "decide_grant",
    "decline_transfer",
    "get_case",
    "get_case_page",
    "get_timeline",
    "get_transfer",
    "give_consent",
    "intervention_figures",
    "led_to_intervention",
    "list_cases",
    "list_transfers",
    "mark_need_met",
    "offer_transfer",
    "receiving_caseworkers",
    "receiving_units",
    "record_disclosure",
    "refresh_police_track",
    "today",
    "update_case",
    "visible_case_ids",
    "withdraw_consent",
    "withdraw_transfer",
]
