"""Plotly figure dicts for the report tables. Pure: no Litestar, no Piccolo.

A chart takes the same table the page shows beside it (already suppressed when
the reader must not see small cells); a suppressed cell ("<5") is drawn as a
gap, never as a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gvi.i18n import number_separators

SUPPRESSED = "<5"


@dataclass(frozen=True)
class ChartSpec:
    """Which column names the bars (x) and which columns are drawn as series."""

    x: str
    series: tuple[str, ...]
    kind: str = "bar"  # "bar" or "line"


def _value(v: Any) -> float | None:
    if v is None or v == SUPPRESSED or isinstance(v, str):
        return None
    return float(v)


def figure(
    title: str,
    rows: Sequence[dict[str, Any]],
    spec: ChartSpec,
    labels: dict[str, str],
) -> dict[str, Any]:
    """A grouped bar (or line) chart of ``spec.series`` against ``spec.x``."""
    xs = [str(r.get(spec.x, "")) for r in rows]
    data: list[dict[str, Any]] = []
    for key in spec.series:
        trace: dict[str, Any] = {
            "type": "bar" if spec.kind == "bar" else "scatter",
            "name": labels.get(key, key),
            "x": xs,
            "y": [_value(r.get(key)) for r in rows],
        }
        if spec.kind == "line":
            trace["mode"] = "lines+markers"
        data.append(trace)
    layout: dict[str, Any] = {
        "title": {"text": title},
        "barmode": "group",
        "xaxis": {"type": "category", "title": {"text": labels.get(spec.x, spec.x)}},
        "yaxis": {"rangemode": "tozero"},
        "margin": {"l": 50, "r": 20, "t": 50, "b": 50},
        "legend": {"orientation": "h"},
        "font": {"family": "system-ui, sans-serif"},
        # "6,5" beside text that uses commas, not "6.5".
        "separators": number_separators(),
    }
    return {"data": data, "layout": layout}
