"""Reading page forms: every field arrives as text and becomes a value or a
field error, so a tampered or mistyped value gives a message at its field,
never a crash, and the value is never echoed.

Two ways in, one set of rules: the ``read_*`` helpers read one field at a time
and collect the problems in a dict (raise :class:`~gvi.core.failures.FormErrors`
with it when done), and :func:`form_to` reads a whole
form into the msgspec struct the API takes, by the struct's field types.

Pure: msgspec and the standard library.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from gvi.core.failures import FormErrors
from gvi.i18n import N_, gettext

T = TypeVar("T", bound=msgspec.Struct)

CONFIRM_VALUE = "yes"
CONFIRM_MESSAGE = N_("Kryssa i rutan för att bekräfta.")
DATE_MESSAGE = N_("Ange ett datum som ÅÅÅÅ-MM-DD.")
GENERIC_MESSAGE = N_("Kontrollera värdet.")
REQUIRED_MESSAGE = N_("Fältet måste fyllas i.")

# Person codes are pseudonyms such as P-7Q4K. Anything else (a name, a personnummer
# typed in the wrong box) is refused before it is looked up, and never echoed.
PERSON_CODE = re.compile(r"P-[0-9A-Z]{2,12}")
PERSON_CODE_MESSAGE = N_(
    "Skriv personkoden som P följt av bindestreck och tecken, till exempel P-7Q4K."
)
NO_SUCH_PERSON = N_("Ingen person med den koden finns i dina kommuner.")

TEXT_MAX = 4000
LINE_MAX = 200


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
    """A confirmation box was ticked."""
    return value == CONFIRM_VALUE


def _args(annotation: Any) -> tuple[Any, ...]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


def _message(
    name: str, annotation: Any, messages: Mapping[str, str], date_message: str, generic: str
) -> str:
    if date in _args(annotation):
        return gettext(date_message)
    return gettext(messages.get(name, generic))


def _amount_text(text: str) -> str:
    """Swedish ways of writing an amount: "4 500", "4500,50", "4500 kr"."""
    cleaned = text.lower().removesuffix("kr").replace("\u00a0", "").replace(" ", "")
    return cleaned.replace(",", ".")


def form_to(
    target: type[T],
    raw: Mapping[str, Any],
    *,
    prefix: str = "",
    messages: Mapping[str, str] | None = None,
    date_message: str = DATE_MESSAGE,
    generic_message: str = GENERIC_MESSAGE,
    required_message: str = REQUIRED_MESSAGE,
) -> T:
    """Read a page form into ``target``, one field at a time.

    A field missing from the form keeps the struct's default (``UNSET`` in an
    update: not changed). An empty box means None where the field allows it, ""
    for text. Errors are keyed ``prefix + field`` so the page can tie each to
    its input.
    """
    messages = messages or {}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for info in msgspec.structs.fields(target):
        key = prefix + info.name
        text = raw.get(info.name)
        if isinstance(text, list):  # a field sent twice: tampered with
            errors[key] = _message(info.name, info.type, messages, date_message, generic_message)
            continue
        if text is None:
            if info.required:
                errors[key] = gettext(messages.get(info.name, required_message))
            continue
        text = str(text).strip()
        kinds = _args(info.type)
        if text == "":
            if str in kinds:
                values[info.name] = ""
            elif type(None) in kinds:
                values[info.name] = None
            elif info.required:
                errors[key] = gettext(messages.get(info.name, required_message))
            continue
        if Decimal in kinds:
            text = _amount_text(text)
        try:
            values[info.name] = msgspec.convert(text, info.type, strict=False)
        except msgspec.ValidationError:
            errors[key] = _message(info.name, info.type, messages, date_message, generic_message)
    if errors:
        raise FormErrors(errors)
    return target(**values)
