"""Form bodies of the admin pages, and the helpers that read them.

Checkbox groups arrive as one string when one box is ticked and as a list when
several are; :func:`gvi.core.forms.read_ids` takes either. Numbers arrive as
text and are read with the kit, so a tampered value gives a field error instead
of a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import msgspec

from gvi.accounts.tables import Role
from gvi.core.forms import CONFIRM_VALUE as CONFIRM_VALUE
from gvi.core.forms import confirmed, read_ids, read_version
from gvi.core.tabular import fold
from gvi.i18n import N_, gettext

ROLE_LABELS: dict[str, str] = {
    Role.admin: N_("Administratör"),
    Role.coordinator: N_("Samordnare"),
    Role.outreach: N_("Socialtjänst"),
    Role.police: N_("Polis"),
    Role.analyst: N_("Analytiker"),
}


def role_label(role: str) -> str:
    """A role as users read it ("Samordnare", not ``coordinator``)."""
    return gettext(ROLE_LABELS.get(role, role))


ALERT_LABELS: dict[str, str] = {
    "break_glass": N_("Nödåtkomst"),
    "lockout": N_("Spärrad inloggning"),
    "unusual_reading": N_("Ovanlig läsning"),
    "retaliation_risk": N_("Risk för repressalier"),
}

CONFIRM_MESSAGE = N_("Kryssa i rutan för att bekräfta att du förstår vad som händer.")


class NewUserForm(msgspec.Struct):
    username: str = ""
    display_name: str = ""
    role: str = ""
    unit: str = ""
    municipalities: list[str] | str = []
    joint_units: list[str] | str = []
    password: str = ""
    # "filter": the municipality search was asked for; the form is shown again.
    action: str = ""
    municipality_filter: str = ""


class EditUserForm(msgspec.Struct):
    version: str = ""
    display_name: str = ""
    unit: str = ""
    municipalities: list[str] | str = []
    joint_units: list[str] | str = []
    # Set by the page that shows the joint-unit boxes: without it, none ticked
    # would read as "leave them all".
    joint_units_shown: str = ""
    action: str = ""
    municipality_filter: str = ""


class UserActionForm(msgspec.Struct):
    """Every action on a user names the version its page showed."""

    version: str = ""
    confirm: str = ""
    role: str = ""

    @property
    def confirmed(self) -> bool:
        return confirmed(self.confirm)


class PersonTrailForm(msgspec.Struct):
    code: str = ""


def ticked_ids(values: list[str] | str) -> set[int]:
    """The ids of the ticked boxes, to show them ticked again; none if one is not
    a number (a tampered form)."""
    errors: dict[str, str] = {}
    found = read_ids(values, "ids", errors, "")
    return set() if errors else set(found)


def version_of(form: UserActionForm | EditUserForm) -> int:
    """The version the form carried; -1 (never a real version) if it is missing or bad."""
    return read_version(form.version)


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


# --- the municipality picker -------------------------------------------------------

FILTER_ACTION = "filter"  # the picker's search button: show the form again, filtered


class Grouped(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def group(self) -> str: ...


@dataclass(frozen=True)
class CountyGroup:
    """One county (län) of the picker: the boxes shown, the ticked ones a search
    hides (sent on as hidden fields, so a search never unticks anything), how
    many are ticked, and whether it opens."""

    county: str
    shown: Sequence[Grouped]
    hidden_ticked: Sequence[int]
    selected: int
    open: bool


def county_groups(choices: Sequence[Grouped], ticked: set[int], search: str) -> list[CountyGroup]:
    """290 municipalities as 21 counties to open one at a time (a phone's screen
    holds a county, not the country). With *search* (any part of a municipality's
    or a county's name, accents and case ignored) only what matches is shown,
    opened; otherwise the counties with a ticked box open."""
    wanted = fold(search)
    groups: dict[str, list[Grouped]] = {}
    for choice in choices:
        groups.setdefault(choice.group, []).append(choice)
    out = []
    for county, items in groups.items():
        shown = items
        if wanted and wanted not in fold(county):
            shown = [c for c in items if wanted in fold(c.label)]
        visible = {c.id for c in shown}
        selected = sum(1 for c in items if c.id in ticked)
        out.append(
            CountyGroup(
                county=county,
                shown=shown,
                hidden_ticked=[c.id for c in items if c.id in ticked and c.id not in visible],
                selected=selected,
                open=bool(shown) if wanted else selected > 0,
            )
        )
    return out
