"""The columns of the record import: names (English and Swedish), required
columns, coded values with their Swedish labels, and the words a cell may use
for them. Pure; shared by the reader (:mod:`gvi.records.importer`), the
templates (:mod:`gvi.records.sheets`) and the page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gvi.core import tabular
from gvi.defectors import transitions as case_rules
from gvi.i18n import N_
from gvi.support import transitions as offer_rules

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000

PEOPLE = "people"
CASES = "cases"
OFFERS = "offers"
KINDS = (PEOPLE, CASES, OFFERS)
KIND_LABELS = {
    PEOPLE: N_("Personer"),
    CASES: N_("Avhopparärenden"),
    OFFERS: N_("Erbjudanden"),
}
# A workbook's sheets are matched to kinds by name (folded like headers).
SHEET_NAMES = {
    PEOPLE: ("people", "personer", "person"),
    CASES: ("cases", "arenden", "avhopparärenden", "defector_cases", "ärende"),
    OFFERS: ("offers", "erbjudanden", "stödinsatser", "insatser", "support_offers"),
}

# canonical column → Swedish headers (matched without case or accents)
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    PEOPLE: {
        "external_ref": ("extern referens", "externt id", "ext ref"),
        "code": ("personkod", "kod", "pseudonym"),
        "municipality_code": ("kommunkod", "kommun"),
        "birth_year": ("födelseår",),
        "protection": ("skyddsnivå", "skydd", "skyddade personuppgifter"),
        "name": ("namn",),
        "pin": ("personnummer", "pnr"),
        "address": ("adress",),
        "phone": ("telefon", "telefonnummer"),
        "notes": ("anteckningar",),
    },
    CASES: {
        "external_ref": ("extern referens", "externt id", "ext ref"),
        "person_code": ("personkod",),
        "person_ref": ("personens externa referens", "person extern referens"),
        "municipality_code": ("kommunkod", "kommun"),
        "unit": ("enhet", "ansvarig enhet"),
        "caseworker": ("handläggare",),
        "opened_on": ("öppnat", "öppnad", "startdatum"),
        "closed_on": ("stängt", "stängd", "avslutat"),
        "closure_outcome": ("utfall", "avslutsorsak"),
        "status_history": ("statushistorik", "status"),
        "referral_source": ("aktualiserad av", "remittent", "hänvisning"),
        "environment": ("miljö",),
        "is_child": ("barn",),
        "threat_level": ("hotnivå", "hotbild"),
        "threat_assessed_on": ("hot bedömt", "hotbedömning"),
        "motivated": ("motiverad",),
        "is_witness": ("vittne",),
        "social_services_eligible": ("stödbehov", "socialtjänstens bedömning"),
        "consents": ("samtycken",),
        "needs": ("behov",),
        "grants": ("statsbidrag", "bidragsansökningar"),
        "follow_ups": ("uppföljningar",),
        "notes": ("anteckningar",),
    },
    OFFERS: {
        "external_ref": ("extern referens", "externt id", "ext ref"),
        "person_code": ("personkod",),
        "person_ref": ("personens externa referens", "person extern referens"),
        "case_ref": ("ärendets externa referens", "ärende"),
        "category": ("kategori",),
        "provider": ("utförare",),
        "context": ("sammanhang", "kontext"),
        "status_history": ("statushistorik", "status"),
        "cost": ("kostnad",),
        "notes": ("anteckningar",),
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    PEOPLE: ("municipality_code",),
    CASES: ("external_ref", "unit", "opened_on", "referral_source"),
    OFFERS: ("external_ref", "category", "context", "status_history"),
}
IDENTITY_COLUMNS = ("name", "pin", "address", "phone")
REF_MAX = 64
TEXT_MAX = 4000
IDENTITY_MAX = 400


def _words(codes: Sequence[str], labels: Mapping[str, str]) -> dict[str, str]:
    """Folded code value or Swedish label → code value."""
    words = {tabular.fold(code): code for code in codes}
    words.update({tabular.fold(label): code for code, label in labels.items()})
    return words


PROTECTION_LABELS = {
    "none": N_("Inga"),
    "sekretessmarkering": N_("Sekretessmarkering"),
    "skyddad_folkbokforing": N_("Skyddad folkbokföring"),
    "fingerade_personuppgifter": N_("Fingerade personuppgifter"),
}
REFERRAL_LABELS = {
    "self": N_("Egen kontakt"),
    "police": N_("Polisen"),
    "economic_assistance": N_("Ekonomiskt bistånd"),
    "addiction_care": N_("Beroendevården"),
    "probation": N_("Frivården"),
    "sis": N_("SiS"),
    "school": N_("Skolan"),
    "other": N_("Annan"),
}
ENVIRONMENT_LABELS = {
    "criminal_network": N_("Kriminella nätverk"),
    "violent_extremism": N_("Våldsbejakande extremism"),
    "honour_related": N_("Hedersrelaterad miljö"),
}
THREAT_LABELS = {
    "unknown": N_("Ej bedömd"),
    "none": N_("Ingen"),
    "low": N_("Låg"),
    "medium": N_("Medel"),
    "high": N_("Hög"),
}
AGENCY_LABELS = {
    "police": N_("Polisen"),
    "social_services": N_("Socialtjänsten"),
    "probation": N_("Frivården"),
    "healthcare": N_("Hälso- och sjukvården"),
    "school": N_("Skolan"),
    "employment_service": N_("Arbetsförmedlingen"),
}
NEED_LABELS = {
    "housing": N_("Boende"),
    "psychiatric": N_("Psykiatri"),
    "addiction": N_("Missbruk och beroende"),
    "debt": N_("Skulder"),
    "employment": N_("Arbete"),
    "education": N_("Utbildning"),
    "family": N_("Familj"),
    "protection": N_("Skydd"),
}
DECISION_LABELS = {
    "pending": N_("Väntar på beslut"),
    "granted": N_("Beviljad"),
    "rejected": N_("Avslagen"),
}
PHASE_LABELS = {"before": N_("Före"), "during": N_("Under"), "after": N_("Efter")}
LEVEL_LABELS = {
    "good": N_("Bra"),
    "partly": N_("Delvis"),
    "poor": N_("Dålig"),
    "unknown": N_("Okänd"),
}
CATEGORY_LABELS = dict(offer_rules.CATEGORY_LABELS)
CONTEXT_LABELS = {
    "call_in": N_("Call-in"),
    "notification": N_("Individuell underrättelse"),
    "defector_case": N_("Avhopparärende"),
    "street_outreach": N_("Uppsökande arbete"),
}
OUTCOME_LABELS = dict(case_rules.OUTCOME_LABELS)
CASE_STATUS_LABELS = dict(case_rules.STATUS_LABELS)
OFFER_STATUS_LABELS = dict(offer_rules.STATUS_LABELS)

# The coded columns: the template's drop-down lists and the README come from here.
CODED: dict[str, dict[str, Mapping[str, str]]] = {
    PEOPLE: {"protection": PROTECTION_LABELS},
    CASES: {
        "closure_outcome": OUTCOME_LABELS,
        "referral_source": REFERRAL_LABELS,
        "environment": ENVIRONMENT_LABELS,
        "threat_level": THREAT_LABELS,
    },
    OFFERS: {"category": CATEGORY_LABELS, "context": CONTEXT_LABELS},
}
YES_NO_COLUMNS = {CASES: ("is_child", "motivated", "is_witness", "social_services_eligible")}

_W = {
    name: _words(list(labels), labels)
    for name, labels in {
        "protection": PROTECTION_LABELS,
        "referral": REFERRAL_LABELS,
        "environment": ENVIRONMENT_LABELS,
        "threat": THREAT_LABELS,
        "agency": AGENCY_LABELS,
        "need": NEED_LABELS,
        "decision": DECISION_LABELS,
        "phase": PHASE_LABELS,
        "level": LEVEL_LABELS,
        "category": CATEGORY_LABELS,
        "context": CONTEXT_LABELS,
        "outcome": OUTCOME_LABELS,
        "case_status": CASE_STATUS_LABELS,
        "offer_status": OFFER_STATUS_LABELS,
    }.items()
}
_W["referral"]["self_referral"] = "self"
_YES = {"ja", "j", "yes", "y", "true", "1", "x"}
_NO = {"nej", "n", "no", "false", "0"}
