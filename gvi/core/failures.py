"""The refusals a service raises, free of HTTP.

Services know nothing of requests and status codes: they raise one of these,
and :mod:`gvi.core.errors` answers them in one place (404, 400, 409), the same
way for every page and API. Their messages are safe to show: a service never
puts a stored value (a name, a code, free text) into one.

Pure: the standard library and :mod:`gvi.i18n`.
"""

from __future__ import annotations

from collections.abc import Mapping

from gvi.i18n import N_, gettext

CONFLICT_MESSAGE = N_(
    "Någon annan har ändrat uppgifterna under tiden. Ladda om sidan och försök igen."
)


class NotVisible(Exception):
    """Missing, or outside the caller's scope or rights: the two look the same (404)."""


class Refused(Exception):
    """A refusal a person can act on (400); the message is safe to show."""


class FormErrors(Refused):
    """Input problems, one message per field (400); the messages are safe to show."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = dict(errors)


class VersionConflict(Refused):
    """The record changed since the form was shown; nothing was written (409)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or gettext(CONFLICT_MESSAGE))


def field_detail(errors: Mapping[str, str]) -> str:
    """One line naming each field and its problem, never the value typed."""
    return "; ".join(f"{key}: {message}" for key, message in errors.items())
