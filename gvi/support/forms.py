"""Reading the offer and provider pages' forms, and the Swedish words for their values.

The phone form has one "Sammanhang" select that names both the context and
its link (``call_in:12``, ``notification:7``, ``defector_case:3`` or
``street_outreach``): one field instead of four keeps the form short.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gvi.core.failures import FormErrors
from gvi.defectors.forms import form_to
from gvi.i18n import N_, gettext
from gvi.support.schemas import OfferIn
from gvi.support.tables import SupportOffer
from gvi.support.transitions import CATEGORY_LABELS as CATEGORY_LABELS
from gvi.support.transitions import STATUS_LABELS as OFFER_STATUS_LABELS

__all__ = [
    "CATEGORY_LABELS",
    "CHECK_KIND_LABELS",
    "CHECK_RESULT_LABELS",
    "CONTEXT_LABELS",
    "EVIDENCE_LABELS",
    "OFFER_STATUS_LABELS",
    "PROVIDER_KIND_LABELS",
    "SEVERITY_LABELS",
    "link_value",
    "offer_from_form",
]

CONTEXT_LABELS: Mapping[str, str] = {
    "call_in": N_("Call-in"),
    "notification": N_("Individuell underrättelse"),
    "defector_case": N_("Avhopparärende"),
    "street_outreach": N_("Uppsökande arbete"),
}
PROVIDER_KIND_LABELS: Mapping[str, str] = {
    "municipal": N_("Kommunal"),
    "private": N_("Privat"),
    "non_profit": N_("Idéburen"),
}
CHECK_KIND_LABELS: Mapping[str, str] = {
    "document_check": N_("Dokumentkontroll"),
    "follow_up_visit": N_("Uppföljningsbesök"),
}
SEVERITY_LABELS: Mapping[str, str] = {
    "minor": N_("Lindrig"),
    "moderate": N_("Måttlig"),
    "serious": N_("Allvarlig"),
}
CHECK_RESULT_LABELS: Mapping[str, str] = {
    "approved": N_("Godkänd"),
    "remarks": N_("Godkänd med anmärkning"),
    "rejected": N_("Underkänd"),
}

# The evidence levels of the method catalogue (Socialstyrelsen's and SBU's terms).
EVIDENCE_LABELS: Mapping[str, str] = {
    "scientific": N_("Vetenskapligt stöd"),
    "promising": N_("Lovande praktik"),
    "not_evaluated": N_("Inte utvärderad"),
}

_LINK_FIELD = {
    SupportOffer.Context.call_in: "call_in_id",
    SupportOffer.Context.notification: "notification_id",
    SupportOffer.Context.defector_case: "defector_case_id",
}


def link_value(context: str, link_id: int | None) -> str:
    """The "Sammanhang" select's value for a context and its link."""
    return f"{context}:{link_id}" if link_id is not None else context


def offer_from_form(raw: Mapping[str, Any]) -> OfferIn:
    """The phone form → :class:`OfferIn`; the "link" select becomes context + id."""
    data = {k: v for k, v in raw.items() if k not in _LINK_FIELD.values()}
    link = str(raw.get("link") or SupportOffer.Context.street_outreach.value).strip()
    context, _, link_id = link.partition(":")
    try:
        kind = SupportOffer.Context(context)
    except ValueError:
        raise FormErrors({"link": gettext("Välj sammanhang i listan.")}) from None
    field = _LINK_FIELD.get(kind)
    if (field is None) != (link_id == ""):
        raise FormErrors({"link": gettext("Välj sammanhang i listan.")})
    data["context"] = kind.value
    if field is not None:
        data[field] = link_id
    try:
        return form_to(OfferIn, data)
    except FormErrors as exc:
        errors = {("link" if k in _LINK_FIELD.values() else k): v for k, v in exc.errors.items()}
        raise FormErrors(errors) from None
