"""The words of the group registry and the form bodies of its pages.

Pure (msgspec and the standard library only), so the CSV importer can share the
vocabulary. Values are the English tokens stored in the tables; labels are the
Swedish words people read and may type in a spreadsheet.

Every form field arrives as text and is read with :mod:`gvi.core.forms`, so a
tampered or mistyped value gives a field error, never a crash.
"""

from __future__ import annotations

import msgspec

from gvi.core.forms import PERSON_CODE
from gvi.i18n import N_, gettext

STATUS_LABELS: dict[str, str] = {
    "active": N_("Aktiv"),
    "dormant": N_("Vilande"),
    "dissolved": N_("Upplöst"),
}
ROLE_LABELS: dict[str, str] = {
    "leader": N_("Ledare"),
    "core": N_("Kärna"),
    "member": N_("Medlem"),
    "associate": N_("Närstående"),
}
CONFIDENCE_LABELS: dict[str, str] = {
    "low": N_("Låg"),
    "medium": N_("Medel"),
    "high": N_("Hög"),
}
KIND_LABELS: dict[str, str] = {
    "alliance": N_("Allians"),
    "rivalry": N_("Rivalitet"),
    "splinter_of": N_("Utbrytargrupp ur"),
    "subgroup_of": N_("Undergrupp till"),
    "truce": N_("Vapenvila"),
}
# splinter_of and subgroup_of point from A to B; the others read the same both ways.
DIRECTED_KINDS = frozenset({"splinter_of", "subgroup_of"})

NAME_MAX = 120
AREA_MAX = 200
ALIAS_MAX = 120
TEXT_MAX = 4000  # notes and sources: enough for a paragraph, not for a pasted report
INTENSITY_MIN, INTENSITY_MAX = 1, 5


MESSAGES = {
    "date": N_("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2024-03-01."),
    "dates_order": N_("Giltig till kan inte ligga före giltig från."),
    "person_code": N_(
        "Skriv personkoden som P följt av bindestreck och tecken, till exempel P-7Q4K."
    ),
    "role": N_("Välj en roll: ledare, kärna, medlem eller närstående."),
    "confidence": N_("Välj hur säker uppgiften är: låg, medel eller hög."),
    "kind": N_(
        "Välj typ av relation: allians, rivalitet, utbrytargrupp ur, undergrupp till "
        "eller vapenvila."
    ),
    "intensity": N_("Ange styrkan som ett heltal från 1 (svag) till 5 (stark)."),
    "self_relation": N_("En grupp kan inte ha en relation till sig själv. Välj två olika grupper."),
    "status": N_("Välj status: aktiv, vilande eller upplöst."),
    "name": N_("Ange gruppens namn."),
    "name_long": f"Namnet får vara högst {NAME_MAX} tecken.",
    "area_long": f"Området får vara högst {AREA_MAX} tecken.",
    "alias_long": f"Ett alias får vara högst {ALIAS_MAX} tecken.",
    "text_long": f"Texten får vara högst {TEXT_MAX} tecken.",
    "confirm": N_("Kryssa i rutan för att bekräfta."),
}


# The length messages above with their limit, for translation.
_LIMIT_MESSAGES: dict[str, tuple[str, int]] = {
    "name_long": (N_("Namnet får vara högst %(max)s tecken."), NAME_MAX),
    "area_long": (N_("Området får vara högst %(max)s tecken."), AREA_MAX),
    "alias_long": (N_("Ett alias får vara högst %(max)s tecken."), ALIAS_MAX),
    "text_long": (N_("Texten får vara högst %(max)s tecken."), TEXT_MAX),
}


def form_message(key: str) -> str:
    """One of :data:`MESSAGES` in the request's language."""
    if key in _LIMIT_MESSAGES:
        text, limit = _LIMIT_MESSAGES[key]
        return gettext(text) % {"max": limit}
    return gettext(MESSAGES[key])


def _words(labels: dict[str, str]) -> dict[str, str]:
    """Stored values and Swedish labels (any case) → the stored value."""
    words = {value: value for value in labels}
    words.update({label.casefold(): value for value, label in labels.items()})
    return words


STATUS_WORDS = _words(STATUS_LABELS)
ROLE_WORDS = {**_words(ROLE_LABELS), "associerad": "associate"}
CONFIDENCE_WORDS = _words(CONFIDENCE_LABELS)
KIND_WORDS = {
    **_words(KIND_LABELS),
    "utbrytargrupp": "splinter_of",
    "undergrupp": "subgroup_of",
}


def word(value: str, words: dict[str, str]) -> str | None:
    """The stored value for what was chosen or typed, or None if it is not one of them."""
    return words.get(value.strip().casefold())


def clean_code(value: str) -> str | None:
    """A person code in its stored form, or None if it does not look like one."""
    code = value.strip().upper()
    return code if PERSON_CODE.fullmatch(code) else None


def split_aliases(value: str) -> list[str]:
    """Semicolon-separated aliases, trimmed, without empties or repeats (any case)."""
    seen: set[str] = set()
    result = []
    for part in value.split(";"):
        alias = " ".join(part.split())
        if alias and alias.casefold() not in seen:
            seen.add(alias.casefold())
            result.append(alias)
    return result


class GroupForm(msgspec.Struct):
    version: str = ""
    name: str = ""
    municipality: str = ""
    area: str = ""
    status: str = "active"
    notes: str = ""


class AliasForm(msgspec.Struct):
    alias: str = ""


class ArchiveForm(msgspec.Struct):
    version: str = ""
    confirm: str = ""
    back: str = ""


class ClaimForm(msgspec.Struct):
    """What the membership and relation forms share: the dated claim itself."""

    version: str = ""
    confidence: str = "medium"
    valid_from: str = ""
    valid_to: str = ""
    review_by: str = ""
    source: str = ""
    back: str = ""


class MembershipForm(ClaimForm):
    person_code: str = ""
    group: str = ""
    role: str = "member"


class RelationForm(ClaimForm):
    group_a: str = ""
    group_b: str = ""
    kind: str = ""
    intensity: str = "3"


class ReviewForm(msgspec.Struct):
    """Confirm (a new review date) or end (an end date) a claim in the review queue."""

    version: str = ""
    review_by: str = ""
    valid_to: str = ""
