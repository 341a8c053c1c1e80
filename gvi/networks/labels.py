"""Readable node labels: nodes pushed apart until their markers and names do not
overlap, and names written only where they fit (the rest show on hover).

Pure: numpy and the standard library. Everything is computed in the pixels of a
reference plot area (:data:`CANVAS`, the plot without margins and legend, with one
data unit as long on both axes as the figure's ``scaleanchor`` keeps it): a label
is ``len(text) × CHAR_WIDTH × font`` wide and ``LINE_HEIGHT × font`` high, centred
above its marker (plotly's ``textposition="top center"``). :func:`label_boxes`
is the same estimate, for tests and anyone who needs to check a figure.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from gvi.networks.layout import LRUCache

CANVAS = (900.0, 560.0)  # px: the reference plot area (width, height)
PADDING = 28.0  # px kept free along the edges, so labels at the edge stay inside
CHAR_WIDTH = 0.62  # em: a generous average for system-ui (Swedish names, digits)
LINE_HEIGHT = 1.3  # em
GAP = 2.0  # px between a marker and its label
ITERATIONS = 200
DAMPING = 0.6  # of the summed pushes, each iteration (the sum overshoots in a crowd)
MARGIN = 1.0  # px kept between written labels
AREA_SHARE = 0.35  # markers and the labels that push them fill at most this share


@dataclass(frozen=True)
class Placement:
    """Data coordinates after the pass, which nodes carry a written label, and the
    axis ranges that map :data:`CANVAS` onto the data."""

    positions: dict[Hashable, tuple[float, float]]
    labelled: frozenset[Hashable]
    x_range: tuple[float, float]
    y_range: tuple[float, float]


def text_width(text: str, font: float) -> float:
    return len(html.unescape(text)) * CHAR_WIDTH * font


def label_boxes(
    px: np.ndarray, py: np.ndarray, radius: np.ndarray, widths: np.ndarray, font: float
) -> np.ndarray:
    """(n, 4) boxes x0, y0, x1, y1 in pixels (y down) of labels above markers."""
    height = LINE_HEIGHT * font
    bottom = py - radius - GAP
    return np.stack([px - widths / 2, bottom - height, px + widths / 2, bottom], axis=1)


def overlaps(boxes: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (i < j) of boxes that overlap by more than a hair."""
    ox = np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(
        boxes[:, None, 0], boxes[None, :, 0]
    )
    oy = np.minimum(boxes[:, None, 3], boxes[None, :, 3]) - np.maximum(
        boxes[:, None, 1], boxes[None, :, 1]
    )
    hit = np.triu((ox > 0.01) & (oy > 0.01), k=1)
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(hit), strict=True)]


MAX_STRETCH = 1.8  # a layout is stretched to the canvas's shape by at most this much
SCALE = (CANVAS[1] - 2 * PADDING) / 2  # px per data unit of the figure's coordinates


def _to_pixels(xy: np.ndarray, fit: bool) -> np.ndarray:
    """Layout coordinates to canvas pixels (y down). With ``fit`` the layout is
    stretched to fill the padded canvas (each axis by at most MAX_STRETCH more than
    the other); without, the coordinates are the figure's own (a saved view's)."""
    width, height = CANVAS
    if not fit:
        return np.stack([xy[:, 0] * SCALE + width / 2, height / 2 - xy[:, 1] * SCALE], axis=1)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    sx = (width - 2 * PADDING) / span[0]
    sy = (height - 2 * PADDING) / span[1]
    sx, sy = min(sx, sy * MAX_STRETCH), min(sy, sx * MAX_STRETCH)
    if len(xy) == 1:
        sx = sy = 0.0
    centre = (lo + hi) / 2
    return np.stack(
        [(xy[:, 0] - centre[0]) * sx + width / 2, height / 2 - (xy[:, 1] - centre[1]) * sy],
        axis=1,
    )


def _push(
    p: np.ndarray, half_w: np.ndarray, above: np.ndarray, below: np.ndarray, fixed: np.ndarray
) -> np.ndarray:
    """Move nodes apart until the boxes (centre ± half_w, from ``above`` above to
    ``below`` below the centre) stop overlapping, or ITERATIONS run out."""
    width, height = CANVAS
    n = len(p)
    order = np.arange(n)
    left = np.minimum(np.maximum(PADDING, half_w + 1), width / 2)
    right = np.maximum(width - left, left)
    top = np.minimum(np.maximum(PADDING, above + 1), height / 2)
    bottom = np.maximum(height - np.maximum(PADDING, below + 1), top)
    p = p.copy()
    p[:, 0] = np.clip(p[:, 0], left, right)
    p[:, 1] = np.clip(p[:, 1], top, bottom)
    for it in range(ITERATIONS):
        x0, x1 = p[:, 0] - half_w, p[:, 0] + half_w
        y0, y1 = p[:, 1] - above, p[:, 1] + below
        ox = np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :])
        oy = np.minimum(y1[:, None], y1[None, :]) - np.maximum(y0[:, None], y0[None, :])
        hit = (ox > 0) & (oy > 0)
        np.fill_diagonal(hit, False)
        if not hit.any():
            break
        dx = p[:, None, 0] - p[None, :, 0]
        dy = p[:, None, 1] - p[None, :, 1]
        # Ties (one spot) are broken by node order, so the result is deterministic.
        tie = np.where(order[:, None] < order[None, :], -1.0, 1.0)
        sx = np.where(dx == 0, tie, np.sign(dx))
        sy = np.where(dy == 0, tie, np.sign(dy))
        along_x = ox < oy
        # Each of the pair goes half the overlap (plus a pixel), on the cheaper axis.
        mx = np.where(hit & along_x, sx * (ox / 2 + 0.5), 0.0).sum(axis=1)
        my = np.where(hit & ~along_x, sy * (oy / 2 + 0.5), 0.0).sum(axis=1)
        # Cooling: big moves first, then small ones, so a crowd settles.
        step = np.stack([mx, my], axis=1) * DAMPING * (1 - 0.8 * it / ITERATIONS)
        step[fixed] = 0.0
        p = p + step
        # Each box stays whole inside the canvas (labels at the top edge too).
        p[:, 0] = np.clip(p[:, 0], left, right)
        p[:, 1] = np.clip(p[:, 1], top, bottom)
    return p


PLACEMENTS: LRUCache[Placement] = LRUCache(maxsize=32)


def place(
    nodes: Sequence[Hashable],
    positions: dict[Hashable, tuple[float, float]],
    texts: Sequence[str],
    sizes: Sequence[float],
    priority: Sequence[float],
    *,
    font: float,
    pinned: frozenset[Hashable] = frozenset(),
    with_labels: bool = True,
) -> Placement:
    """Separate the nodes (markers of diameter ``sizes`` px and, for the most
    important ones by ``priority``, their labels), then write labels greedily by
    priority where they overlap no label already written. ``pinned`` nodes do not
    move. Cached by all of the inputs, so a repeated view does not recompute."""
    key = hashlib.sha256(
        repr(
            (
                list(nodes),
                [positions[n] for n in nodes],
                list(texts),
                list(sizes),
                list(priority),
                font,
                sorted(map(repr, pinned)),
                with_labels,
            )
        ).encode()
    ).hexdigest()
    found = PLACEMENTS.get(key)
    if found is None:
        found = _place(nodes, positions, texts, sizes, priority, font, pinned, with_labels)
        PLACEMENTS.put(key, found)
    return found


def _place(
    nodes: Sequence[Hashable],
    positions: dict[Hashable, tuple[float, float]],
    texts: Sequence[str],
    sizes: Sequence[float],
    priority: Sequence[float],
    font: float,
    pinned: frozenset[Hashable],
    with_labels: bool,
) -> Placement:
    if not nodes:
        return Placement({}, frozenset(), (-1.0, 1.0), (-1.0, 1.0))
    xy = np.array([positions[n] for n in nodes], dtype=float)
    width, height = CANVAS
    p = _to_pixels(xy, fit=not pinned)
    radius = np.asarray(sizes, dtype=float) / 2
    widths = np.array([text_width(t, font) for t in texts]) if with_labels else np.zeros(len(p))
    rank = sorted(range(len(nodes)), key=lambda i: (-priority[i], i))
    # Markers take room first; then the labels that push, the most important
    # first, while everything together stays within a share of the canvas.
    label_h = LINE_HEIGHT * font + GAP
    pushing = np.zeros(len(nodes), dtype=bool)
    budget = AREA_SHARE * width * height - float(((2 * radius + 2) ** 2).sum())
    for i in rank if with_labels else ():
        box = max(widths[i] + 4, 2 * radius[i] + 2) * (2 * radius[i] + 2 + label_h)
        extra = box - (2 * radius[i] + 2) ** 2
        if extra > budget:
            break
        budget -= extra
        pushing[i] = True
    half_w = np.where(pushing, np.maximum(widths / 2 + 2, radius + 1), radius + 1)
    above = np.where(pushing, radius + label_h, radius + 1)
    below = radius + 1
    fixed = np.array([n in pinned for n in nodes], dtype=bool)
    p = _push(p, half_w, above, below, fixed)

    labelled: list[int] = []
    if with_labels:
        boxes = label_boxes(p[:, 0], p[:, 1], radius, widths, font)
        inside = (boxes[:, 0] >= 0) & (boxes[:, 2] <= width) & (boxes[:, 1] >= 0)
        for i in rank:
            if not inside[i] or not texts[i]:
                continue
            # A pixel to spare: the figure rounds coordinates to 3 decimals.
            b = boxes[i] + np.array([-MARGIN, -MARGIN, MARGIN, MARGIN])
            if labelled:
                kept = boxes[labelled]
                clash = (
                    (np.minimum(kept[:, 2], b[2]) - np.maximum(kept[:, 0], b[0]) > 0)
                    & (np.minimum(kept[:, 3], b[3]) - np.maximum(kept[:, 1], b[1]) > 0)
                ).any()
                if clash:
                    continue
            labelled.append(i)
    out = {
        n: (
            round(float(p[i, 0] - width / 2) / SCALE, 4),
            round(float(height / 2 - p[i, 1]) / SCALE, 4),
        )
        for i, n in enumerate(nodes)
    }
    half_x, half_y = round(width / 2 / SCALE, 4), round(height / 2 / SCALE, 4)
    return Placement(
        positions=out,
        labelled=frozenset(nodes[i] for i in labelled),
        x_range=(-half_x, half_x),
        y_range=(-half_y, half_y),
    )
