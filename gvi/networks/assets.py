"""plotly.js for the browser, served from the installed ``plotly`` Python package,
and what it takes to run it under our CSP without ``'unsafe-inline'`` or
``'unsafe-eval'``.

Nothing from plotly is copied into the repository: ``plotly.min.js`` (4.8 MB) is
read from ``plotly/package_data`` and served at ``/static/vendor/plotly.min.js``
with a year-long cache (the URL carries the version, so an upgrade is a new URL).

Two things plotly.js does at run time break a strict CSP; both are handled here:

1. It injects a ``<style>`` element with its global rules (modebar, hover
   labels, cursors). plotly.js skips that when the page already has an element
   with id ``plotly.js-style-global`` and class ``no-inline-styles`` (added for
   strict-CSP pages, plotly.js PR #7109). :func:`plotly_css` extracts those rules
   from the installed bundle, so the page links them as an ordinary stylesheet
   under that id. The bundled maplibre CSS is injected the same way, guarded by
   an element id (:func:`injected_style_ids`); we draw no maps, so the page
   carries an empty placeholder element with that id and nothing is injected.
2. WebGL traces (``scattergl``) compile their draw calls with ``Function(…)``
   (regl), which ``'unsafe-eval'`` would be needed for. regl looks generated code
   up by its SHA-256 in a cache first; ``plotly-regl-precompiled.js`` (made by
   :mod:`gvi.networks.regl_codegen`, ours, not vendored) fills that cache with
   the functions our figures need, as ordinary script. The page's JS loads it
   only for WebGL figures and falls back to SVG traces when its version does not
   match the bundle's.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import plotly

from gvi.settings import ROOT

PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"
PLOTLY_JS = PLOTLY_DIR / "plotly.min.js"
VENDOR_DIR = ROOT / "gvi" / "static" / "vendor"
REGL_PRECOMPILED = VENDOR_DIR / "plotly-regl-precompiled.js"

_VERSION = re.compile(rb"plotly\.js v([0-9][0-9A-Za-z.+-]*)")
# The global rules: an object literal whose first key is "X,X div" (X stands for
# ".js-plotly-plot .plotly", Y for ".plotly-notifier"), then addStyleRule per key.
_RULES_START = '"X,X div":'
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"' + "|" + r"'((?:[^'\\]|\\.)*)'" + r"|([A-Za-z_$][\w$]*)")
_INJECTED_STYLE = re.compile(
    r'document\.getElementById\("([0-9a-f]{64})"\)\)\{var \w+=document\.createElement\("style"\)'
)


class PlotlyBundleError(RuntimeError):
    """The installed plotly.js does not look the way this module expects."""


@lru_cache(maxsize=1)
def _bundle() -> str:
    return PLOTLY_JS.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def plotly_js_version() -> str:
    with PLOTLY_JS.open("rb") as handle:
        head = handle.read(512)
    match = _VERSION.search(head)
    if not match:
        raise PlotlyBundleError("no version banner in plotly.min.js")
    return match.group(1).decode()


@lru_cache(maxsize=1)
def plotly_js_sha256() -> str:
    return hashlib.sha256(PLOTLY_JS.read_bytes()).hexdigest()


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@lru_cache(maxsize=1)
def plotly_rules() -> list[tuple[str, str]]:
    """(selector, declarations) as plotly.js would insert them."""
    src = _bundle()
    at = src.find(_RULES_START)
    if at < 0:
        raise PlotlyBundleError("plotly.js global style rules not found")
    pos = src.rindex("{", 0, at) + 1
    rules: list[tuple[str, str]] = []

    def token() -> str:
        nonlocal pos
        match = _TOKEN.match(src, pos)
        if match is None:
            raise PlotlyBundleError(f"unexpected text in plotly.js style rules at {pos}")
        pos = match.end()
        return _unescape(next(g for g in match.groups() if g is not None))

    while True:
        while src[pos] in " ,\n":
            pos += 1
        if src[pos] == "}":
            break
        key = token()
        if src[pos] != ":":
            raise PlotlyBundleError(f"unexpected text in plotly.js style rules at {pos}")
        pos += 1
        value = token()
        selector = re.sub("^,", " ,", key).replace("X", ".js-plotly-plot .plotly")
        rules.append((selector.replace("Y", ".plotly-notifier"), value))
    if len(rules) < 20:
        raise PlotlyBundleError("too few plotly.js style rules found")
    return rules


@lru_cache(maxsize=1)
def plotly_css() -> str:
    banner = f"/* plotly.js {plotly_js_version()} global rules, extracted by gvi.networks.assets */"
    return banner + "\n" + "\n".join(f"{sel}{{{decl}}}" for sel, decl in plotly_rules()) + "\n"


@lru_cache(maxsize=1)
def injected_style_ids() -> tuple[str, ...]:
    """Ids of ``<style>`` elements the bundle injects unless one exists already."""
    return tuple(sorted(set(_INJECTED_STYLE.findall(_bundle()))))


_PRECOMPILED_HEADER = re.compile(r"plotly\.js ([0-9][0-9A-Za-z.+-]*) sha256:([0-9a-f]{64})")


@lru_cache(maxsize=1)
def regl_precompiled_matches() -> bool:
    """Whether the precompiled regl code was generated for the installed bundle."""
    try:
        with REGL_PRECOMPILED.open("r", encoding="utf-8") as handle:
            head = handle.read(1024)
    except FileNotFoundError:
        return False
    match = _PRECOMPILED_HEADER.search(head)
    return bool(match) and match is not None and match.group(2) == plotly_js_sha256()
