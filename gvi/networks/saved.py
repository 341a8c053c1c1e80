"""Saved views of the group network: an analyst names a picture (filters, date,
centre group, colouring and the positions the nodes were drawn at) and opens it
again later.

Opening re-renders the picture within the opener's scope at that moment: the
saved municipalities are intersected with today's, groups no longer visible are
simply not drawn, and the pinned positions hold for the groups still shown (new
ones are placed by the layout around them). A view is its owner's alone; another
user's, or a removed one, is a 404 like a missing one. Opening is audited
(``network:read``, ``saved_view``) in the same transaction as the reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.failures import FormErrors, NotVisible
from gvi.core.forms import read_date, read_id, read_ids, read_int, read_line, read_text
from gvi.db import write_transaction
from gvi.i18n import gettext
from gvi.networks import figures, graph, services
from gvi.networks.tables import SavedView

NOTE_MAX = 2000
NAME_MAX = 100


@dataclass(frozen=True)
class ViewParams:
    """What a saved view re-renders (group level only; no person data)."""

    as_of: date | None = None
    municipality_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    colour: str = "community"
    center: int | None = None
    radius: int = 1
    pins: dict[int, tuple[float, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "municipality": list(self.municipality_ids),
            "kinds": list(self.kinds),
            "colour": self.colour,
            "center": self.center,
            "radius": self.radius,
            "pins": {str(k): [x, y] for k, (x, y) in sorted(self.pins.items())},
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ViewParams:
        as_of = raw.get("as_of")
        return cls(
            as_of=date.fromisoformat(as_of) if as_of else None,
            municipality_ids=tuple(int(m) for m in raw.get("municipality", ())),
            kinds=tuple(str(k) for k in raw.get("kinds", ())),
            colour=str(raw.get("colour", "community")),
            center=int(raw["center"]) if raw.get("center") is not None else None,
            radius=int(raw.get("radius", 1)),
            pins={int(k): (float(v[0]), float(v[1])) for k, v in raw.get("pins", {}).items()},
        )


@dataclass(frozen=True)
class SavedViewInfo:
    id: int
    name: str
    note: str
    created_at: datetime
    params: ViewParams


@dataclass
class OpenedView:
    saved: SavedViewInfo
    view: services.GroupView
    center_lost: bool  # the saved centre group is no longer visible: whole network shown


def _require(principal: Principal) -> None:
    require(principal, Permission.network_read, Permission.saved_views_write)


def positions(figure: dict[str, Any]) -> dict[int, tuple[float, float]]:
    """Where each group is drawn: the node traces carry the group id last in
    ``customdata``."""
    out: dict[int, tuple[float, float]] = {}
    for trace in figure["data"]:
        data = trace.get("customdata")
        if not data or not isinstance(data[0], list):
            continue
        for row, x, y in zip(data, trace["x"], trace["y"], strict=True):
            out[int(row[-1])] = (float(x), float(y))
    return out


def _info(row: dict[str, Any]) -> SavedViewInfo:
    raw = row["params"]
    if isinstance(raw, str):  # SQLite hands JSON back as text
        raw = json.loads(raw)
    return SavedViewInfo(
        id=row["id"],
        name=row["name"],
        note=row["note"],
        created_at=row["created_at"],
        params=ViewParams.from_json(raw),
    )


def _filter(principal: Principal, params: ViewParams) -> services.NetworkFilter:
    return services.make_filter(
        principal,
        as_of=params.as_of,
        municipalities=params.municipality_ids or None,
        kinds=params.kinds or None,
    )


@dataclass
class ViewForm:
    """The save form as typed (kept to show again beside the errors)."""

    name: str = ""
    note: str = ""
    as_of: str = ""
    municipality: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    colour: str = "community"
    center: str = ""
    radius: str = "1"


def read_form(form: ViewForm) -> tuple[str, str, ViewParams]:
    """Name, note and parameters, or :class:`FormErrors` with Swedish messages."""
    errors: dict[str, str] = {}
    name = read_line(form.name, "name", errors, required=gettext("Ge vyn ett namn."))
    if "name" not in errors and len(name) > NAME_MAX:
        errors["name"] = gettext("Högst %(limit)s tecken.") % {"limit": NAME_MAX}
    note = read_text(form.note, "note", errors, limit=NOTE_MAX)
    as_of = read_date(form.as_of, "as_of", errors, required=False)
    municipalities = read_ids(
        form.municipality, "municipality", errors, gettext("Välj kommuner i listan.")
    )
    center = read_id(form.center, "center", errors, gettext("Välj en grupp i listan."))
    radius = read_int(
        form.radius,
        "radius",
        errors,
        low=min(graph.EGO_RADII),
        high=max(graph.EGO_RADII),
        message=gettext("Välj ett avstånd i listan."),
        default=1,
    )
    if form.colour not in figures.COLOUR_BY:
        errors["colour"] = gettext("Välj en färgläggning i listan.")
    if errors:
        raise FormErrors(errors)
    params = ViewParams(
        as_of=as_of,
        municipality_ids=tuple(municipalities),
        kinds=tuple(k for k in form.kinds if k in services.ALL_KINDS),
        colour=form.colour,
        center=center,
        radius=radius or 1,
    )
    return name, note, params


async def save_view(principal: Principal, form: ViewForm) -> int:
    """Save the picture the form describes as it is drawn now (its node positions
    become the pins); returns the new view's id. A centre group outside the
    user's scope is a 404, as everywhere."""
    _require(principal)
    name, note, params = read_form(form)
    flt = _filter(principal, params)
    view = await services.group_view(
        principal, flt, colour_by=params.colour, center=params.center, radius=params.radius
    )
    stored = ViewParams(
        as_of=flt.as_of,
        municipality_ids=tuple(sorted(flt.municipality_ids)),
        kinds=tuple(sorted(flt.kinds)),
        colour=params.colour,
        center=params.center,
        radius=params.radius,
        pins=positions(view.figure),
    )
    rows = await SavedView.insert(
        SavedView(name=name, note=note, params=stored.to_json(), owner=principal.user_id)
    ).returning(SavedView.id)
    return int(rows[0]["id"])


_COLUMNS = (SavedView.id, SavedView.name, SavedView.note, SavedView.created_at, SavedView.params)


def _own(principal: Principal) -> Any:
    return (SavedView.owner == principal.user_id) & SavedView.archived_at.is_null()


async def list_views(principal: Principal) -> list[SavedViewInfo]:
    """The user's own saved views, newest first."""
    _require(principal)
    rows = (
        await SavedView.select(*_COLUMNS)
        .where(_own(principal))
        .order_by(SavedView.created_at, ascending=False)
    )
    return [_info(r) for r in rows]


async def open_view(principal: Principal, view_id: int) -> OpenedView:
    """The saved picture, re-rendered within the opener's scope now; audited."""
    _require(principal)
    async with write_transaction(SavedView._meta.db):
        row = (
            await SavedView.select(*_COLUMNS)
            .where(_own(principal) & (SavedView.id == view_id))
            .first()
        )
        if row is None:
            raise NotVisible()
        saved = _info(row)
        p = saved.params
        flt = _filter(principal, p)
        center: int | None = p.center
        try:
            view = await services.group_view(
                principal, flt, colour_by=p.colour, center=center, radius=p.radius, pins=p.pins
            )
        except NotVisible:
            if center is None:
                raise
            center = None
            view = await services.group_view(principal, flt, colour_by=p.colour, pins=p.pins)
        await record(
            AuditAction.network_read,
            actor=principal,
            target_type="saved_view",
            target_id=view_id,
            details={
                "view": "saved_view",
                "as_of": flt.as_of.isoformat(),
                "municipalities": sorted(flt.municipality_ids),
                "groups": view.graph.number_of_nodes(),
            },
        )
    return OpenedView(saved=saved, view=view, center_lost=center != p.center)


async def remove_view(principal: Principal, view_id: int) -> None:
    """Take the view off the owner's list (kept, archived)."""
    _require(principal)
    async with write_transaction(SavedView._meta.db):
        found = (
            await SavedView.select(SavedView.id)
            .where(_own(principal) & (SavedView.id == view_id))
            .first()
        )
        if found is None:
            raise NotVisible()
        await SavedView.update({SavedView.archived_at: clock.now()}).where(SavedView.id == view_id)
