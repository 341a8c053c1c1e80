"""Reading the case pages' forms, and the Swedish words for the case's values.

A page form arrives as text. :func:`form_to` turns it into the same msgspec
struct the API takes, field by field, so a bad value gives a message tied to
its field (never a crash, never the value echoed into a log), and what the
person typed is handed back to the page. The offer and provider pages use the
same helper.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from gvi.access.tables import LegalGround

T = TypeVar("T", bound=msgspec.Struct)

CONFIRM_VALUE = "yes"

# Person codes are pseudonyms such as P-7Q4K. Anything else (a name, a personnummer
# typed into the wrong box) is refused before it is looked up or logged.
PERSON_CODE = re.compile(r"P-[0-9A-Z]{2,12}")


def normalise_code(text: str) -> str:
    """ "p-7q4k " → "P-7Q4K"; a missing dash after the P is forgiven."""
    code = "".join(text.split()).upper()
    if code.startswith("P") and not code.startswith("P-") and len(code) > 1:
        code = "P-" + code[1:]
    return code


REFERRAL_LABELS: Mapping[str, str] = {
    "self": "Egen kontakt",
    "police": "Polisen",
    "economic_assistance": "Ekonomiskt bistånd",
    "addiction_care": "Beroendevården",
    "probation": "Frivården",
    "sis": "SiS",
    "school": "Skolan",
    "other": "Annan",
}
ENVIRONMENT_LABELS: Mapping[str, str] = {
    "criminal_network": "Kriminella nätverk",
    "violent_extremism": "Våldsbejakande extremism",
    "honour_related": "Hedersrelaterad miljö",
}
THREAT_LABELS: Mapping[str, str] = {
    "unknown": "Ej bedömd",
    "none": "Ingen",
    "low": "Låg",
    "medium": "Medel",
    "high": "Hög",
}
AGENCY_LABELS: Mapping[str, str] = {
    "police": "Polisen",
    "social_services": "Socialtjänsten",
    "probation": "Frivården",
    "healthcare": "Hälso- och sjukvården",
    "school": "Skolan",
    "employment_service": "Arbetsförmedlingen",
}
NEED_LABELS: Mapping[str, str] = {
    "housing": "Boende",
    "psychiatric": "Psykiatri",
    "addiction": "Missbruk och beroende",
    "debt": "Skulder",
    "employment": "Arbete",
    "education": "Utbildning",
    "family": "Familj",
    "protection": "Skydd",
}
DECISION_LABELS: Mapping[str, str] = {
    "pending": "Väntar på beslut",
    "granted": "Beviljad",
    "rejected": "Avslagen",
}
PHASE_LABELS: Mapping[str, str] = {"before": "Före", "during": "Under", "after": "Efter"}
LEVEL_LABELS: Mapping[str, str] = {
    "good": "Bra",
    "partly": "Delvis",
    "poor": "Dålig",
    "unknown": "Okänd",
}
FOLLOW_UP_AREAS: Mapping[str, str] = {
    "housing": "Boende",
    "occupation": "Sysselsättning",
    "criminality": "Kriminalitet (bra = ingen)",
    "substance_use": "Missbruk (bra = inget)",
    "safety": "Säkerhet",
}
LEGAL_GROUND_LABELS: Mapping[str, str] = {
    LegalGround.consent: "Samtycke",
    LegalGround.osl_10_2: "OSL 10 kap. 2 §",
    LegalGround.osl_10_18a: "OSL 10 kap. 18 a §",
    LegalGround.osl_10_19: "OSL 10 kap. 19 §",
    LegalGround.osl_10_21: "OSL 10 kap. 21 §",
    LegalGround.osl_10_27: "OSL 10 kap. 27 §",
    LegalGround.other_statute: "Annan lag eller förordning",
}
TRI_STATE_LABELS: Mapping[str, str] = {"": "Ej bedömt", "true": "Ja", "false": "Nej"}

# One message per field name; fields not listed get the generic one.
FIELD_MESSAGES: Mapping[str, str] = {
    "person_code": "Skriv personens kod, till exempel P-7Q4K.",
    "unit_id": "Välj en enhet i listan.",
    "municipality_id": "Välj en kommun i listan.",
    "caseworker_id": "Välj en handläggare i listan.",
    "provider_id": "Välj en utförare i listan.",
    "referral_source": "Välj vem som hänvisade personen.",
    "environment": "Välj miljö.",
    "category": "Välj vilket slags stöd det gäller.",
    "context": "Välj sammanhang.",
    "kind": "Välj typ av utförare.",
    "result": "Välj resultat.",
    "agency": "Välj myndighet.",
    "need": "Välj behov.",
    "phase": "Välj fas: före, under eller efter.",
    "decision": "Välj beslut.",
    "threat_level": "Välj hotnivå.",
    "cost": "Skriv kostnaden i kronor, till exempel 4500 eller 4500,50.",
    "amount_applied": "Skriv beloppet i kronor, till exempel 200000.",
    "amount_granted": "Skriv beloppet i kronor, till exempel 180000.",
    "months_since_start": "Skriv antal hela månader, till exempel 6.",
    "version": "Sidan är för gammal. Ladda om och försök igen.",
    "name": "Skriv ett namn.",
    "what": "Beskriv vad som kontrollerades.",
}
DATE_MESSAGE = "Ange ett datum som ÅÅÅÅ-MM-DD."
GENERIC_MESSAGE = "Kontrollera värdet."
REQUIRED_MESSAGE = "Fältet måste fyllas i."


def money(amount: Decimal | float | int | None) -> str:
    """Kronor the Swedish way: "86 000 kr", "4 500,50 kr"; "–" for none."""
    if amount is None:
        return "–"
    text = f"{Decimal(amount):,.2f}".replace(",", "\u00a0").replace(".", ",")
    return text.removesuffix(",00") + "\u00a0kr"


class FormErrors(Exception):
    """Input problems, one message per field; safe to show."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = dict(errors)


def _args(annotation: Any) -> tuple[Any, ...]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


def _message(name: str, annotation: Any) -> str:
    if date in _args(annotation):
        return DATE_MESSAGE
    return FIELD_MESSAGES.get(name, GENERIC_MESSAGE)


def _amount_text(text: str) -> str:
    """Swedish ways of writing an amount: "4 500", "4500,50", "4500 kr"."""
    cleaned = text.lower().removesuffix("kr").replace("\u00a0", "").replace(" ", "")
    return cleaned.replace(",", ".")


def form_to(target: type[T], raw: Mapping[str, Any], *, prefix: str = "") -> T:
    """Read a page form into ``target``, one field at a time.

    A field missing from the form keeps the struct's default (``UNSET`` in an
    update: not changed). An empty box means None where the field allows it, ""
    for text. Errors are keyed ``prefix + field`` so the page can tie each to
    its input.
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for info in msgspec.structs.fields(target):
        key = prefix + info.name
        text = raw.get(info.name)
        if isinstance(text, list):  # a field sent twice: tampered with
            errors[key] = _message(info.name, info.type)
            continue
        if text is None:
            if info.required:
                errors[key] = FIELD_MESSAGES.get(info.name, REQUIRED_MESSAGE)
            continue
        text = str(text).strip()
        kinds = _args(info.type)
        if text == "":
            if str in kinds:
                values[info.name] = ""
            elif type(None) in kinds:
                values[info.name] = None
            elif info.required:
                errors[key] = FIELD_MESSAGES.get(info.name, REQUIRED_MESSAGE)
            continue
        if Decimal in kinds:
            text = _amount_text(text)
        try:
            values[info.name] = msgspec.convert(text, info.type, strict=False)
        except msgspec.ValidationError:
            errors[key] = _message(info.name, info.type)
    if errors:
        raise FormErrors(errors)
    return target(**values)


def prefixed(errors: Mapping[str, str], prefix: str) -> dict[str, str]:
    """A service's field errors, keyed for one form of a page with several."""
    return {prefix + key: message for key, message in errors.items()}
