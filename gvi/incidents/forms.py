"""Form bodies of the incident pages, and the vocabulary the operations pages share.

The operations pages (incidents, call-ins, custom notifications, enforcement and
tasks) read their forms with the helpers here: every field arrives as text and
is read into a value or a field error, so a tampered or mistyped value gives a
message at the field, never a crash. Times are typed and shown in Swedish local
time (Europe/Stockholm) and stored in UTC.

Pure: msgspec and the standard library.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

import msgspec

from gvi.core import clock as clock_module
from gvi.i18n import N_, gettext

STOCKHOLM = clock_module.STOCKHOLM

CONFIRM_VALUE = "yes"
CONFIRM_MESSAGE = N_("Kryssa i rutan för att bekräfta.")
CONFLICT_MESSAGE = N_(
    "Någon annan har ändrat uppgifterna under tiden. Ladda om sidan och försök igen."
)

# Person codes are pseudonyms such as P-7Q4K. Anything else (a name, a personnummer
# typed in the wrong box) is refused before it is looked up, and never echoed.
PERSON_CODE = re.compile(r"P-[0-9A-Z]{2,12}")
PERSON_CODE_MESSAGE = N_(
    "Skriv personkoden som P följt av bindestreck och tecken, till exempel P-7Q4K."
)
NO_SUCH_PERSON = N_("Ingen person med den koden finns i dina kommuner.")

TEXT_MAX = 4000
LINE_MAX = 200


class FormErrors(Exception):
    """Input problems, one message per field; the messages are safe to show."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class VersionConflict(Exception):
    """The record changed since the form was shown (optimistic locking)."""

    def __init__(self) -> None:
        super().__init__(gettext(CONFLICT_MESSAGE))


# --- labels ------------------------------------------------------------------------

INCIDENT_KIND_LABELS = {
    "shooting": N_("Skjutning"),
    "explosion": N_("Sprängning"),
    "stabbing": N_("Knivvåld"),
    "threat": N_("Hot"),
    "other": N_("Annat"),
}
HARM_LABELS = {
    "none": N_("Ingen personskada"),
    "property": N_("Egendomsskada"),
    "injured": N_("Skadad"),
    "killed": N_("Dödad"),
}
REVIEW_LABELS = {"new": N_("Ny"), "in_review": N_("Under granskning"), "reviewed": N_("Granskad")}
GROUP_ROLE_LABELS = {"suspected": N_("Misstänkt grupp"), "victim": N_("Utsatt grupp")}
PERSON_ROLE_LABELS = {
    "suspect": N_("Misstänkt"),
    "victim": N_("Utsatt"),
    "witness": N_("Vittne"),
    "other": N_("Annan roll"),
}
RISK_DIRECTION_LABELS = {"target": N_("Risk att utsättas"), "retaliator": N_("Risk att hämnas")}
RISK_POSITION_LABELS = {
    "suspected": N_("misstänkt grupp"),
    "victim": N_("utsatt grupp"),
    "victim_rival": N_("rival till den utsatta gruppen"),
    "victim_ally": N_("allierad med den utsatta gruppen"),
    "target_ally": N_("allierad med den misstänkta sidan"),
}

CALLIN_STATUS_LABELS = {
    "planned": N_("Planerad"),
    "held": N_("Genomförd"),
    "cancelled": N_("Inställd"),
}
SPEAKER_ROLE_LABELS = {
    "police": N_("Polis"),
    "prosecutor": N_("Åklagare"),
    "social_services": N_("Socialtjänst"),
    "community": N_("Röst från samhället"),
    "other": N_("Annan"),
}
INVITATION_STATUS_LABELS = {
    "invited": N_("Inbjuden"),
    "confirmed": N_("Bekräftad"),
    "attended": N_("Deltog"),
    "no_show": N_("Kom inte"),
    "excused": N_("Anmält förhinder"),
}
REACH_LABELS = {
    "full": N_("Nås helt (minst en tredjedel inbjuden)"),
    "partial": N_("Nås delvis (färre än en tredjedel)"),
    "via_ally": N_("Nås via allierad grupp"),
}
OUTCOME_LABELS = {
    "planned": N_("Planerad"),
    "delivered": N_("Levererad"),
    "refused": N_("Vägrade ta emot"),
    "not_found": N_("Påträffades inte"),
}
AGENCY_LABELS = {
    "police": N_("Polisen"),
    "prosecutor": N_("Åklagarmyndigheten"),
    "probation": N_("Kriminalvården"),
    "customs": N_("Tullverket"),
    "tax_agency": N_("Skatteverket"),
    "other": N_("Annan myndighet"),
}
ACTION_KIND_LABELS = {
    "arrest": N_("Gripande"),
    "search": N_("Husrannsakan"),
    "probation_check": N_("Frivårdskontroll"),
    "seizure": N_("Beslag"),
    "traffic_control": N_("Trafikkontroll"),
    "other": N_("Annan åtgärd"),
}
ACTION_STATUS_LABELS = {
    "planned": N_("Planerad"),
    "done": N_("Genomförd"),
    "cancelled": N_("Avbruten"),
}
TASK_KIND_LABELS = {
    "custom_notification": N_("Individuell underrättelse"),
    "outreach_contact": N_("Uppsökande kontakt"),
    "follow_up": N_("Uppföljning"),
    "other": N_("Övrigt"),
}
TASK_STATUS_LABELS = {"open": N_("Öppen"), "done": N_("Klar"), "cancelled": N_("Struken")}
MEMBER_ROLE_LABELS = {
    "leader": N_("ledare"),
    "core": N_("kärna"),
    "member": N_("medlem"),
    "associate": N_("närstående"),
}

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


# --- time ---------------------------------------------------------------------------


local_moment = clock_module.local_moment


def local(moment: datetime) -> datetime:
    return moment.astimezone(STOCKHOLM)


local_day = clock_module.local_day


def when(moment: datetime | None) -> str:
    """For people: "2024-03-01 21:30" in Swedish local time."""
    if moment is None:
        return "–"
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def clock(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(STOCKHOLM).strftime("%H:%M")


today = clock_module.today


TEMPLATE_HELPERS: dict[str, Any] = {
    "when": when,
    "clock": clock,
    "labels": LABELS,
    "confirm_value": CONFIRM_VALUE,
}


# --- reading fields -------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK = re.compile(r"\d{1,2}[:.]\d{2}")


def read_date(
    value: str, key: str, errors: dict[str, str], *, required: bool = True
) -> date | None:
    value = value.strip()
    if not value:
        if required:
            errors[key] = gettext("Ange ett datum.")
        return None
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors[key] = gettext("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2024-03-01.")
    return None


def read_time(value: str, key: str, errors: dict[str, str]) -> time | None:
    value = value.strip()
    if not value:
        errors[key] = gettext("Ange en tid.")
        return None
    if _CLOCK.fullmatch(value):
        hours, minutes = re.split(r"[:.]", value)
        if int(hours) < 24 and int(minutes) < 60:
            return time(int(hours), int(minutes))
    errors[key] = gettext("Skriv tiden som TT:MM, till exempel 18:30.")
    return None


def read_int(
    value: str,
    key: str,
    errors: dict[str, str],
    *,
    low: int,
    high: int,
    message: str,
    default: int | None = None,
) -> int | None:
    value = value.strip()
    if not value and default is not None:
        return default
    try:
        number = int(value)
    except ValueError:
        errors[key] = message
        return None
    if not low <= number <= high:
        errors[key] = message
        return None
    return number


def read_id(value: str, key: str, errors: dict[str, str], message: str) -> int | None:
    """A select's value: "" for none, else a positive id; an error otherwise."""
    value = value.strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        errors[key] = message
        return None
    if number < 1:
        errors[key] = message
        return None
    return number


def read_ids(values: list[str] | str, key: str, errors: dict[str, str], message: str) -> list[int]:
    """Ticked boxes (one string when one is ticked, a list when several are)."""
    items = [values] if isinstance(values, str) else values
    found: list[int] = []
    for item in items:
        if not item.strip():
            continue
        number = read_id(item, key, errors, message)
        if number is not None and number not in found:
            found.append(number)
    return found


def read_choice(
    value: str, choices: dict[str, str], key: str, errors: dict[str, str], message: str
) -> str:
    if value not in choices:
        errors[key] = message
        return ""
    return value


def read_text(
    value: str,
    key: str,
    errors: dict[str, str],
    *,
    limit: int = TEXT_MAX,
    required: str | None = None,
) -> str:
    """Trimmed text; ``required`` is the message when it is empty."""
    text = value.strip().replace("\r\n", "\n")
    if not text and required:
        errors[key] = required
    elif len(text) > limit:
        errors[key] = gettext("Högst %(limit)s tecken.") % {"limit": limit}
    return text


def read_line(value: str, key: str, errors: dict[str, str], *, required: str | None = None) -> str:
    return read_text(" ".join(value.split()), key, errors, limit=LINE_MAX, required=required)


def read_person_code(value: str, key: str, errors: dict[str, str]) -> str:
    code = value.strip().upper()
    if not PERSON_CODE.fullmatch(code):
        errors[key] = gettext(PERSON_CODE_MESSAGE)
        return ""
    return code


def read_version(value: str) -> int:
    """The version the form carried; -1 (never a real version) if missing or bad."""
    try:
        return int(value)
    except ValueError:
        return -1


def confirmed(value: str) -> bool:
    return value == CONFIRM_VALUE


def page_number(value: int) -> int:
    return max(1, value)


# --- incident forms -------------------------------------------------------------------


class IncidentForm(msgspec.Struct):
    version: str = ""
    occurred_on: str = ""
    occurred_time: str = ""
    municipality: str = ""
    area: str = ""
    place: str = ""
    kind: str = ""
    harm: str = "none"
    motive: str = ""
    suspected_groups: list[str] | str = []
    victim_groups: list[str] | str = []

    def suspected(self) -> list[str]:
        return (
            [self.suspected_groups]
            if isinstance(self.suspected_groups, str)
            else list(self.suspected_groups)
        )

    def victims(self) -> list[str]:
        return (
            [self.victim_groups]
            if isinstance(self.victim_groups, str)
            else list(self.victim_groups)
        )


class ReviewForm(msgspec.Struct):
    version: str = ""
    review_status: str = ""
    review_notes: str = ""


class LinkPersonForm(msgspec.Struct):
    code: str = ""
    role: str = ""


class ConfirmForm(msgspec.Struct):
    confirm: str = ""
