"""Reading the case pages' forms, and the Swedish words for the case's values.

A page form arrives as text. :func:`form_to` turns it into the same msgspec
struct the API takes, field by field, so a bad value gives a message tied to
its field (never a crash, never the value echoed into a log), and what the
person typed is handed back to the page. The offer and provider pages use the
same helper.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from gvi.access.tables import LegalGround
from gvi.core import forms
from gvi.i18n import N_

T = TypeVar("T", bound=msgspec.Struct)


def normalise_code(text: str) -> str:
    """ "p-7q4k " → "P-7Q4K"; a missing dash after the P is forgiven (then checked
    against :data:`gvi.core.forms.PERSON_CODE`)."""
    code = "".join(text.split()).upper()
    if code.startswith("P") and not code.startswith("P-") and len(code) > 1:
        code = "P-" + code[1:]
    return code


REFERRAL_LABELS: Mapping[str, str] = {
    "self": N_("Egen kontakt"),
    "police": N_("Polisen"),
    "economic_assistance": N_("Ekonomiskt bistånd"),
    "addiction_care": N_("Beroendevården"),
    "probation": N_("Frivården"),
    "sis": N_("SiS"),
    "school": N_("Skolan"),
    "other": N_("Annan"),
}
ENVIRONMENT_LABELS: Mapping[str, str] = {
    "criminal_network": N_("Kriminella nätverk"),
    "violent_extremism": N_("Våldsbejakande extremism"),
    "honour_related": N_("Hedersrelaterad miljö"),
}
THREAT_LABELS: Mapping[str, str] = {
    "unknown": N_("Ej bedömd"),
    "none": N_("Ingen"),
    "low": N_("Låg"),
    "medium": N_("Medel"),
    "high": N_("Hög"),
}
AGENCY_LABELS: Mapping[str, str] = {
    "police": N_("Polisen"),
    "social_services": N_("Socialtjänsten"),
    "probation": N_("Frivården"),
    "healthcare": N_("Hälso- och sjukvården"),
    "school": N_("Skolan"),
    "employment_service": N_("Arbetsförmedlingen"),
}
NEED_LABELS: Mapping[str, str] = {
    "housing": N_("Boende"),
    "psychiatric": N_("Psykiatri"),
    "addiction": N_("Missbruk och beroende"),
    "debt": N_("Skulder"),
    "employment": N_("Arbete"),
    "education": N_("Utbildning"),
    "family": N_("Familj"),
    "protection": N_("Skydd"),
}
DECISION_LABELS: Mapping[str, str] = {
    "pending": N_("Väntar på beslut"),
    "granted": N_("Beviljad"),
    "rejected": N_("Avslagen"),
}
PHASE_LABELS: Mapping[str, str] = {
    "before": N_("Före"),
    "during": N_("Under"),
    "after": N_("Efter"),
}
# "Okänd" first: a follow-up starts unknown in every area, never "Bra" by default
# (the outcome figures count unknown apart from good).
LEVEL_LABELS: Mapping[str, str] = {
    "unknown": N_("Okänd"),
    "good": N_("Bra"),
    "partly": N_("Delvis"),
    "poor": N_("Dålig"),
}
FOLLOW_UP_AREAS: Mapping[str, str] = {
    "housing": N_("Boende"),
    "occupation": N_("Sysselsättning"),
    "criminality": N_("Kriminalitet (bra = ingen)"),
    "substance_use": N_("Missbruk (bra = inget)"),
    "safety": N_("Säkerhet"),
}
LEGAL_GROUND_LABELS: Mapping[str, str] = {
    LegalGround.consent: N_("Samtycke"),
    LegalGround.osl_10_2: N_("OSL 10 kap. 2 §"),
    LegalGround.osl_10_18a: N_("OSL 10 kap. 18 a §"),
    LegalGround.osl_10_19: N_("OSL 10 kap. 19 §"),
    LegalGround.osl_10_21: N_("OSL 10 kap. 21 §"),
    LegalGround.osl_10_27: N_("OSL 10 kap. 27 §"),
    LegalGround.other_statute: N_("Annan lag eller förordning"),
}
TRI_STATE_LABELS: Mapping[str, str] = {"": N_("Ej bedömt"), "true": N_("Ja"), "false": N_("Nej")}

# One message per field name; fields not listed get the generic one.
FIELD_MESSAGES: Mapping[str, str] = {
    "person_code": N_("Skriv personens kod, till exempel P-7Q4K."),
    "unit_id": N_("Välj en enhet i listan."),
    "municipality_id": N_("Välj en kommun i listan."),
    "caseworker_id": N_("Välj en handläggare i listan."),
    "provider_id": N_("Välj en utförare i listan."),
    "referral_source": N_("Välj vem som hänvisade personen."),
    "environment": N_("Välj miljö."),
    "category": N_("Välj vilket slags stöd det gäller."),
    "context": N_("Välj sammanhang."),
    "kind": N_("Välj typ av utförare."),
    "result": N_("Välj resultat."),
    "agency": N_("Välj myndighet."),
    "need": N_("Välj behov."),
    "phase": N_("Välj fas: före, under eller efter."),
    "decision": N_("Välj beslut."),
    "threat_level": N_("Välj hotnivå."),
    "cost": N_("Skriv kostnaden i kronor, till exempel 4500 eller 4500,50."),
    "amount_applied": N_("Skriv beloppet i kronor, till exempel 200000."),
    "amount_granted": N_("Skriv beloppet i kronor, till exempel 180000."),
    "months_since_start": N_("Skriv antal hela månader, till exempel 6."),
    "version": N_("Sidan är för gammal. Ladda om och försök igen."),
    "name": N_("Skriv ett namn."),
    "what": N_("Beskriv vad som kontrollerades."),
}


def money(amount: Decimal | float | int | None) -> str:
    """Kronor the Swedish way: "86 000 kr", "4 500,50 kr"; "–" for none."""
    if amount is None:
        return "–"
    text = f"{Decimal(amount):,.2f}".replace(",", "\u00a0").replace(".", ",")
    return text.removesuffix(",00") + "\u00a0kr"


def form_to(target: type[T], raw: Mapping[str, Any], *, prefix: str = "") -> T:
    """:func:`gvi.core.forms.form_to` with the case pages' field messages."""
    return forms.form_to(target, raw, prefix=prefix, messages=FIELD_MESSAGES)


def prefixed(errors: Mapping[str, str], prefix: str) -> dict[str, str]:
    """A service's field errors, keyed for one form of a page with several."""
    return {prefix + key: message for key, message in errors.items()}
