"""What every part of the group register shares: the user's scope as SQL, the
small cleaning helpers and the choices of the forms.

A group is visible when its municipality is in the user's scope and it is not
archived; analysts (``Principal.pseudonymous_only``) get views without free
text (:func:`full` is False for them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from msgspec import UNSET

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.groups import forms
from gvi.groups.forms import form_message
from gvi.groups.tables import Group
from gvi.municipalities.tables import Municipality


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


def engine() -> Any:
    return Group._meta.db


def ids(principal: Principal) -> list[int]:
    return sorted(principal.municipality_ids) or [-1]


def like(column: Any, term: str) -> Any:
    pattern = "%" + term.replace("%", "").replace("_", "") + "%"
    # SQLite's LIKE already ignores case (for ASCII); Piccolo warns on every ilike there.
    if engine().engine_type == "postgres":
        return column.ilike(pattern)
    return column.like(pattern)


def group_scope(principal: Principal) -> Any:
    return Group.municipality.is_in(ids(principal)) & Group.archived_at.is_null()


async def group_in_scope(principal: Principal, group_id: int | None) -> bool:
    if group_id is None:
        return False
    return bool(await Group.exists().where(group_scope(principal) & (Group.id == group_id)))


def full(principal: Principal) -> bool:
    return not principal.pseudonymous_only


def as_date(value: Any) -> date | None:
    # SQLite hands dates back as text through joins on some paths.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def clean_line(value: str) -> str:
    return " ".join(value.split())


def check_text(value: str, key: str, errors: dict[str, str]) -> str:
    value = value.strip()
    if len(value) > forms.TEXT_MAX:
        errors[key] = form_message("text_long")
    return value


def merge(value: Any, current: Any) -> Any:
    return current if value is UNSET else value


async def municipality_choices(principal: Principal) -> list[Choice]:
    rows = (
        await Municipality.select(Municipality.id, Municipality.name)
        .where(Municipality.id.is_in(ids(principal)) & Municipality.archived_at.is_null())
        .order_by(Municipality.name)
    )
    return [Choice(r["id"], r["name"]) for r in rows]


async def group_choices(principal: Principal) -> list[Choice]:
    """Groups the user may attach claims to (in scope, not archived), by name."""
    require(principal, Permission.groups_read)
    rows = (
        await Group.select(Group.id, Group.name, Group.municipality.name.as_alias("m"))
        .where(group_scope(principal))
        .order_by(Group.name)
    )
    return [Choice(r["id"], f"{r['name']} ({r['m']})") for r in rows]
