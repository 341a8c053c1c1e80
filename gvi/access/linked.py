"""The one rule for linked records outside the user's scope (architecture §4.5).

A record the user may see can point at records they may not: a relation to another
municipality's group, a membership of another municipality's person, an incident's
people, a call-in's invitees, a task after another municipality's call-in. The rule,
applied by the services on every page and endpoint that shows linked records:

- another municipality's **group** may be shown by name (rivalries cross borders);
- the free text of a link that reaches outside the scope (a relation's or
  membership's ``source``, notes, descriptions) is never shown;
- another municipality's **person** appears only as "person i annan kommun": never
  by code, never with an id or a link.

No queries here: the services select the municipalities and call these helpers.
"""

from __future__ import annotations

from collections.abc import Iterable

from gvi.access.principal import Principal
from gvi.i18n import N_, gettext

OTHER_PERSON = N_("person i annan kommun")


def in_scope(principal: Principal, municipality_id: int | None) -> bool:
    return municipality_id is not None and municipality_id in principal.municipality_ids


def all_in_scope(principal: Principal, municipality_ids: Iterable[int | None]) -> bool:
    return all(in_scope(principal, m) for m in municipality_ids)


def person_code(principal: Principal, code: str, home_municipality: int | None) -> str:
    """The person's code, or "person i annan kommun" outside the user's scope."""
    return code if in_scope(principal, home_municipality) else gettext(OTHER_PERSON)


def person_id(principal: Principal, pid: int | None, home_municipality: int | None) -> int | None:
    """The person's id (for a link) only inside the user's scope."""
    return pid if in_scope(principal, home_municipality) else None


def free_text(principal: Principal, text: str, *municipality_ids: int | None) -> str:
    """A link's free text, shown only when every end of the link is in scope."""
    return text if all_in_scope(principal, municipality_ids) else ""
