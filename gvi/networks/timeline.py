"""The network over time: the span of the data, the monthly steps of the as-of
slider, and the timeline figure (one line per group, relations as spans,
incidents as events).

Pure: the standard library and :mod:`gvi.networks.figures` (colours, labels,
text escaping) only. The figure is a plain dict of ``scatter`` traces, so the
basic plotly.js bundle draws it (see :mod:`gvi.networks.assets`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from gvi.i18n import gettext
from gvi.networks.figures import EDGE_STYLES, KIND_LABELS, plotly_text
from gvi.networks.graph import GroupNode, Relation

ROW_PX = 34  # height of one group's row
RELATION_OFFSET = 0.28  # relation spans sit just below their group's line
INCIDENT_COLOUR = "rgb(20, 20, 20)"
GROUP_COLOUR = "rgb(120, 120, 120)"


@dataclass(frozen=True, slots=True)
class TimelineIncident:
    """An incident as the timeline shows it: no place, no people."""

    id: int
    day: date
    kind: str
    groups: tuple[tuple[int, str], ...]  # (group id, role)


def span(dates: Iterable[date | None], today: date) -> tuple[date, date]:
    """First and last day of the data: the earliest dated claim or event, and the
    latest one or today, whichever is later (claims without an end still hold)."""
    known = [d for d in dates if d is not None]
    first = min(known, default=today)
    return min(first, today), max([*known, today])


def relation_dates(relations: Iterable[Relation]) -> list[date | None]:
    return [d for r in relations for d in (r.valid_from, r.valid_to)]


def monthly_steps(first: date, last: date) -> list[date]:
    """The slider's stops: the first of every month from ``first``'s month to
    ``last``, and ``last`` itself."""
    steps: list[date] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        day = date(year, month, 1)
        if day >= first or not steps:
            steps.append(max(day, first))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if steps[-1] != last:
        steps.append(last)
    return steps


def step_index(steps: Sequence[date], as_of: date) -> int:
    """The last stop on or before ``as_of`` (the first stop before the data)."""
    index = 0
    for i, day in enumerate(steps):
        if day <= as_of:
            index = i
    return index


def _end(value: date | None, last: date) -> date:
    return value if value is not None and value < last else last


def group_spans(
    groups: Sequence[GroupNode],
    relations: Sequence[Relation],
    incidents: Sequence[TimelineIncident],
    first: date,
    last: date,
) -> dict[int, tuple[date, date]]:
    """Each group's line: from its first dated relation or incident to its last
    (open relations run to ``last``). Groups with neither are left out."""
    seen: dict[int, list[date]] = {}
    for r in relations:
        for gid in (r.source, r.target):
            seen.setdefault(gid, []).extend((r.valid_from or first, _end(r.valid_to, last)))
    for inc in incidents:
        for gid, _role in inc.groups:
            seen.setdefault(gid, []).append(inc.day)
    known = {g.id for g in groups}
    return {gid: (min(days), max(days)) for gid, days in seen.items() if gid in known}


def _iso(day: date) -> str:
    return day.isoformat()


def timeline_figure(
    groups: Sequence[GroupNode],
    relations: Sequence[Relation],
    incidents: Sequence[TimelineIncident],
    first: date,
    last: date,
    *,
    role_labels: dict[str, str] | None = None,
    kind_labels: dict[str, str] | None = None,
    incident_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One row per group with a relation or an incident: a grey line over its span,
    a coloured span (by kind, below the line) for each of its relations, and a
    marker for each incident it was part of."""
    spans = group_spans(groups, relations, incidents, first, last)
    shown = sorted((g for g in groups if g.id in spans), key=lambda g: (g.name.casefold(), g.id))
    row = {g.id: i for i, g in enumerate(shown)}
    name = {g.id: plotly_text(g.name) for g in shown}
    data: list[dict[str, Any]] = []

    xs: list[str | None] = []
    ys: list[float | None] = []
    for g in shown:
        start, end = spans[g.id]
        xs += [_iso(start), _iso(end), None]
        ys += [row[g.id], row[g.id], None]
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": gettext("Grupp"),
            "x": xs,
            "y": ys,
            "line": {"color": GROUP_COLOUR, "width": 3},
            "hoverinfo": "skip",
        }
    )

    open_text = gettext("pågår")
    for kind, style in EDGE_STYLES.items():
        kx: list[str | None] = []
        ky: list[float | None] = []
        texts: list[str | None] = []
        for r in relations:
            if r.kind != kind or r.source not in row or r.target not in row:
                continue
            start = r.valid_from or first
            end = _end(r.valid_to, last)
            label = (
                f"{name[r.source]} – {name[r.target]}<br>{_iso(start)} – "
                f"{_iso(r.valid_to) if r.valid_to else open_text}"
            )
            for gid in (r.source, r.target):
                y = row[gid] + RELATION_OFFSET
                kx += [_iso(start), _iso(end), None]
                ky += [y, y, None]
                texts += [label, label, None]
        if not kx:
            continue
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": (kind_labels or {}).get(kind, KIND_LABELS[kind]),
                "x": kx,
                "y": ky,
                "text": texts,
                "hovertemplate": "%{text}<extra>%{fullData.name}</extra>",
                "line": {"color": style["color"], "dash": style["dash"], "width": 2},
            }
        )

    ix: list[str] = []
    iy: list[int] = []
    itexts: list[str] = []
    for inc in sorted(incidents, key=lambda i: (i.day, i.id)):
        for gid, role in inc.groups:
            if gid in row:
                ix.append(_iso(inc.day))
                iy.append(row[gid])
                role_text = (role_labels or {}).get(role, role)
                kind = plotly_text((incident_labels or {}).get(inc.kind, inc.kind))
                itexts.append(f"{kind} {_iso(inc.day)}<br>{name[gid]}: {role_text}")
    if ix:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": gettext("Händelse"),
                "x": ix,
                "y": iy,
                "text": itexts,
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {
                    "symbol": "diamond",
                    "size": 11,
                    "color": INCIDENT_COLOUR,
                    "line": {"color": "white", "width": 1},
                },
            }
        )

    layout: dict[str, Any] = {
        "showlegend": True,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0},
        "hovermode": "closest",
        "margin": {"l": 8, "r": 8, "t": 40, "b": 40},
        "height": max(260, ROW_PX * len(shown) + 120),
        "xaxis": {"type": "date", "range": [_iso(first), _iso(last)]},
        "yaxis": {
            "tickvals": list(range(len(shown))),
            "ticktext": [name[g.id] for g in shown],
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
            "zeroline": False,
        },
        "font": {"family": "system-ui, sans-serif"},
    }
    return {"data": data, "layout": layout}
