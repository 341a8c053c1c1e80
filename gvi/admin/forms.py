"""Form bodies of the admin pages, and the helpers that read them.

Checkbox groups arrive as one string when one box is ticked and as a list when
several are; :func:`ids` takes either. Numbers arrive as text and are read
here, so a tampered value gives a field error instead of a crash.
"""

from __future__ import annotations

import msgspec

from gvi.accounts.tables import Role
from gvi.i18n import N_

ROLE_LABELS: dict[str, str] = {
    Role.admin: N_("Administratör"),
    Role.coordinator: N_("Samordnare"),
    Role.outreach: N_("Socialtjänst"),
    Role.police: N_("Polis"),
    Role.analyst: N_("Analytiker"),
}

ALERT_LABELS: dict[str, str] = {
    "break_glass": N_("Break-the-glass"),
    "lockout": N_("Spärrad inloggning"),
    "unusual_reading": N_("Ovanlig läsning"),
    "retaliation_risk": N_("Risk för repressalier"),
}

CONFIRM_VALUE = "yes"
CONFIRM_MESSAGE = N_("Kryssa i rutan för att bekräfta att du förstår vad som händer.")


class NewUserForm(msgspec.Struct):
    username: str = ""
    display_name: str = ""
    role: str = ""
    unit: str = ""
    municipalities: list[str] | str = []
    password: str = ""


class EditUserForm(msgspec.Struct):
    version: str = ""
    display_name: str = ""
    unit: str = ""
    municipalities: list[str] | str = []
    joint_units: list[str] | str = []
    # Set by the page that shows the joint-unit boxes: without it, none ticked
    # would read as "leave them all".
    joint_units_shown: str = ""


class UserActionForm(msgspec.Struct):
    """Every action on a user names the version its page showed."""

    version: str = ""
    confirm: str = ""
    role: str = ""

    @property
    def confirmed(self) -> bool:
        return self.confirm == CONFIRM_VALUE


class PersonTrailForm(msgspec.Struct):
    code: str = ""


def optional_id(value: str) -> int | None:
    """A select's value: "" for none, else a positive id; ValueError otherwise."""
    value = value.strip()
    if not value:
        return None
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def ids(values: list[str] | str) -> tuple[int, ...]:
    """The ids of the ticked boxes; ValueError if one is not a number."""
    items = [values] if isinstance(values, str) else values
    return tuple(int(v) for v in items if v.strip())


def version_of(form: UserActionForm | EditUserForm) -> int:
    """The version the form carried; -1 (never a real version) if it is missing or bad."""
    try:
        return int(form.version)
    except ValueError:
        return -1
