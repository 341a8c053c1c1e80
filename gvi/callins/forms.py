"""Form bodies of the call-in pages.

Every field arrives as text and is read by the helpers of :mod:`gvi.core.forms`,
so a tampered or mistyped value gives a field error, never a crash.
"""

from __future__ import annotations

import msgspec

from gvi.core.batch import SelectionForm
from gvi.i18n import N_, gettext

MAX_PROMISES = 20
PROMISE_MAX = 1000
OVERRIDE_MIN = 10
OVERRIDE_MESSAGE = N_(
    "Skriv varför inbjudan ändå ska göras (minst 10 tecken), eller ta bort de grupper "
    "varningen gäller."
)


PICK_MESSAGE = N_("Välj personer i listan.")


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


class AttendanceBulkForm(SelectionForm):
    """The attendance page's bulk bar: "all" (Alla närvarande) or the ticked ones."""

    scope: str = ""


class RemoveSelectedForm(SelectionForm):
    """ "Ta bort valda" under the invitation list, with its confirmation box."""

    confirm: str = ""


def invite_picks(values: list[str] | str) -> tuple[list[tuple[int, int]], dict[str, str]]:
    """The invite form's "group id:person id" values; a tampered one refuses them all."""
    picks: list[tuple[int, int]] = []
    for value in as_list(values):
        group, _, person = value.partition(":")
        if not (group.isascii() and group.isdigit() and person.isascii() and person.isdigit()):
            return [], {"person": gettext(PICK_MESSAGE)}
        picks.append((int(group), int(person)))
    return picks, {}


def group_ids(values: list[str] | str | None) -> list[int]:
    return [int(v) for v in as_list(values or []) if v.strip().isascii() and v.strip().isdigit()]
