"""Reading the offer and provider pages' forms, and the Swedish words for their values.

The phone form has one "Sammanhang" select that names both the context and
its link (``call_in:12``, ``notification:7``, ``defector_case:3`` or
``street_outreach``): one field instead of four keeps the form short.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gvi.defectors.forms import FormErrors, form_to
from gvi.support.schemas import OfferIn
from gvi.support.tables import SupportOffer
from gvi.support.transitions import STATUS_LABELS as OFFER_STATUS_LABELS

__all__ = [
    "CATEGORY_LABELS",
    "CHECK_RESULT_LABELS",
    "CONTEXT_LABELS",
    "OFFER_STATUS_LABELS",
    "PROVIDER_KIND_LABELS",
    "link_value",
    "offer_from_form",
]

CATEGORY_LABELS: Mapping[str, str] = {
    "housing": "Boende",
    "employment": "Arbete",
    "education": "Utbildning",
    "addiction_care": "Beroendevård",
    "psychiatric_care": "Psykiatrisk vård",
    "family_support": "Familjestöd",
    "mentor": "Mentor eller kontaktperson",
    "debt_counselling": "Skuldrådgivning",
    "relocation": "Flytt eller skyddat boende",
    "tattoo_removal": "Tatueringsborttagning",
    "leisure": "Fritid",
    "other": "Annat",
}
CONTEXT_LABELS: Mapping[str, str] = {
    "call_in": "Call-in",
    "notification": "Individuell underrättelse",
    "defector_case": "Avhopparärende",
    "street_outreach": "Uppsökande arbete",
}
PROVIDER_KIND_LABELS: Mapping[str, str] = {
    "municipal": "Kommunal",
    "private": "Privat",
    "non_profit": "Idéburen",
}
CHECK_RESULT_LABELS: Mapping[str, str] = {
    "approved": "Godkänd",
    "remarks": "Godkänd med anmärkning",
    "rejected": "Underkänd",
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
        raise FormErrors({"link": "Välj sammanhang i listan."}) from None
    field = _LINK_FIELD.get(kind)
    if (field is None) != (link_id == ""):
        raise FormErrors({"link": "Välj sammanhang i listan."})
    data["context"] = kind.value
    if field is not None:
        data[field] = link_id
    try:
        return form_to(OfferIn, data)
    except FormErrors as exc:
        errors = {("link" if k in _LINK_FIELD.values() else k): v for k, v in exc.errors.items()}
        raise FormErrors(errors) from None
