"""Support offers and providers: the access scope, the queries, the status
history and the audit row of every action.

One module per sub-resource: :mod:`.common` (refusals, the offer scope and
audit row), :mod:`.providers` (the register and its requirement checks),
:mod:`.methods` (the method catalogue and its evidence levels),
:mod:`.offers` (reading, and the phone form's choices), :mod:`.offer_changes`
(logging, correcting, status history) and :mod:`.links` (linking an offer to a
case, call-in or notification afterwards). The names the controllers and other
packages use are gathered here.
"""

from __future__ import annotations

from gvi.support.services.common import (
    FUTURE_DATE,
    OFFER_CONFLICT,
    OFFER_STATUS_CONFLICT,
    PERSON_NOT_FOUND,
    PROVIDER_CONFLICT,
    Conflict,
    SupportError,
    TransitionRefused,
    offer_scope,
)
from gvi.support.services.links import (
    LINK_NOT_INVITED,
    LINK_NOT_NOTIFIED,
    LINK_NOT_THIS_PERSON,
    link_offer,
    offers_to_link,
)
from gvi.support.services.methods import (
    METHOD_CONFLICT,
    MethodChoice,
    create_method,
    get_method,
    list_methods,
    method_choices,
    update_method,
)
from gvi.support.services.offer_changes import (
    DUPLICATE_OFFER,
    OPEN_STATUSES,
    change_offer_status,
    create_offer,
    update_offer,
)
from gvi.support.services.offers import (
    LINK_WINDOW,
    OFFER_SORTS,
    LinkChoice,
    LinkGroup,
    OfferFormChoices,
    get_offer,
    list_offers,
    offer_form_choices,
)
from gvi.support.services.providers import (
    MunicipalityChoice,
    ProviderChoice,
    add_provider_check,
    add_provider_deviation,
    add_provider_requirement,
    close_provider_deviation,
    create_provider,
    get_provider,
    list_providers,
    municipality_choices,
    needs_check,
    provider_choices,
    update_provider,
)

__all__ = [
    "DUPLICATE_OFFER",
    "FUTURE_DATE",
    "LINK_NOT_INVITED",
    "LINK_NOT_NOTIFIED",
    "LINK_NOT_THIS_PERSON",
    "LINK_WINDOW",
    "METHOD_CONFLICT",
    "OFFER_CONFLICT",
    "OFFER_SORTS",
    "OFFER_STATUS_CONFLICT",
    "OPEN_STATUSES",
    "PERSON_NOT_FOUND",
    "PROVIDER_CONFLICT",
    "Conflict",
    "LinkChoice",
    "LinkGroup",
    "MethodChoice",
    "MunicipalityChoice",
    "OfferFormChoices",
    "ProviderChoice",
    "SupportError",
    "TransitionRefused",
    "add_provider_check",
    "add_provider_deviation",
    "add_provider_requirement",
    "change_offer_status",
    "close_provider_deviation",
    "create_method",
    "create_offer",
    "create_provider",
    "get_method",
    "get_offer",
    "get_provider",
    "link_offer",
    "list_methods",
    "list_offers",
    "list_providers",
    "method_choices",
    "municipality_choices",
    "needs_check",
    "offer_form_choices",
    "offer_scope",
    "offers_to_link",
    "provider_choices",
    "update_method",
    "update_offer",
    "update_provider",
]
