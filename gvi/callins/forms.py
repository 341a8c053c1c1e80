"""Form bodies of the call-in and custom-notification pages.

Every field arrives as text and is read by the helpers of
:mod:`gvi.incidents.forms` (the operations pages share them), so a tampered or
mistyped value gives a field error, never a crash.
"""

from __future__ import annotations

import msgspec

from gvi.i18n import N_

MAX_PROMISES = 20
PROMISE_MAX = 1000
OVERRIDE_MIN = 10
OVERRIDE_MESSAGE = N_(
    "Skriv varför inbjudan ändå ska göras (minst 10 tecken), eller ta bort de grupper "
    "varningen gäller."
)


def as_list(values: list[str] | str) -> list[str]:
    return [values] if isinstance(values, str) else list(values)


def promise_lines(text: str) -> list[str]:
    """One promise per line; blank lines are dropped, inner spaces tidied."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


class CallInForm(msgspec.Struct):
    version: str = ""
    title: str = ""
    day: str = ""
    start: str = ""
    end: str = ""
    venue: str = ""
    municipality: str = ""
    capacity: str = "20"
    message: str = ""
    promises: str = ""


class SpeakerForm(msgspec.Struct):
    role: str = ""
    name: str = ""
    organisation: str = ""


class StatusForm(msgspec.Struct):
    version: str = ""
    status: str = ""
    confirm: str = ""


class InviteForm(msgspec.Struct):
    """``person`` values are "group id:person id": who is invited, and as a member of
    which group (the group at the time)."""

    person: list[str] | str = []
    group: list[str] | str = []
    override_reason: str = ""


class InvitationStatusForm(msgspec.Struct):
    status: str = ""


class NotificationForm(msgspec.Struct):
    code: str = ""
    delivered_on: str = ""
    delivered_by: str = ""
    outcome: str = ""
    offer_made: str = ""
    follow_up_days: str = "7"
    call_in: str = ""


class OutcomeForm(msgspec.Struct):
    version: str = ""
    outcome: str = ""
    delivered_on: str = ""
    delivered_by: str = ""
    offer_made: str = ""
    follow_up_days: str = "7"
