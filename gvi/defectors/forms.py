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
from gvi.i18n import N_, gettext

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
DATE_MESSAGE = N_("Ange ett datum som ÅÅÅÅ-MM-DD.")
GENERIC_MESSAGE = N_("Kontrollera värdet.")
REQUIRED_MESSAGE = N_("Fältet måste fyllas i.")


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
        return gettext(DATE_MESSAGE)
    return gettext(FIELD_MESSAGES.get(name, GENERIC_MESSAGE))


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
                errors[key] = gettext(FIELD_MESSAGES.get(info.name, REQUIRED_MESSAGE))
            continue
        text = str(text).strip()
        kinds = _args(info.type)
        if text == "":
            if str in kinds:
                values[info.name] = ""
            elif type(None) in kinds:
                values[info.name] = None
            elif info.required:
                errors[key] = gettext(FIELD_MESSAGES.get(info.name, REQUIRED_MESSAGE))
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
