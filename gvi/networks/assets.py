"""plotly.js for the browser: the partial bundle committed under
``gvi/static/vendor``, served under a content-hashed name, and what it takes to
run it under our CSP without ``'unsafe-inline'`` or ``'unsafe-eval'``.

The app draws two trace types, ``scatter`` and ``bar`` (the network figures, the
timeline, the report charts), so it ships ``plotly.js-basic-dist-min`` (bar, pie,
scatter: 1.1 MiB) instead of the full bundle inside the plotly Python package
(4.6 MiB, which stays unused). ``tools/vendor_plotly.py`` refreshes the file
from the npm registry and checks it; ``plotly-basic.json`` beside it records the
version and checksum. The URLs carry the first hex digits of the file's SHA-256
(:func:`plotly_js_url`), so they are served with a year-long ``immutable`` cache
and an upgrade is a new URL.

The figure builder switches to ``scattergl`` above a thousand nodes; the basic
bundle has no WebGL traces (their regl code would need ``'unsafe-eval'`` or
precompiled shaders), so ``gvi/static/js/network.js`` draws those traces as
``scatter`` (SVG).

plotly.js injects a ``<style>`` element with its global rules (modebar, hover
labels, cursors), which a strict CSP refuses. It skips that when the page already
has an element with id ``plotly.js-style-global`` and class ``no-inline-styles``
(plotly.js PR #7109). :func:`plotly_css` extracts those rules from the bundle, so
the page links them as an ordinary stylesheet under that id. Any other style the
bundle injects is guarded by an element id (:func:`injected_style_ids`); the
page carries an empty placeholder element with each such id.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache

from gvi.settings import ROOT

VENDOR_DIR = ROOT / "gvi" / "static" / "vendor"
PLOTLY_JS = VENDOR_DIR / "plotly-basic.min.js"
PLOTLY_MANIFEST = VENDOR_DIR / "plotly-basic.json"
HASH_DIGITS = 16

_VERSION = re.compile(rb"plotly\.js[^\n]*? v([0-9][0-9A-Za-z.+-]*)")
# The global rules: an object literal whose first key is "X,X div" (X stands for
# ".js-plotly-plot .plotly", Y for ".plotly-notifier"), then addStyleRule per key.
_RULES_START = '"X,X div":'
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"' + "|" + r"'((?:[^'\\]|\\.)*)'" + r"|([A-Za-z_$][\w$]*)")
_INJECTED_STYLE = re.compile(
    r'document\.getElementById\("([0-9a-f]{64})"\)\)\{var \w+=document\.createElement\("style"\)'
)


class PlotlyBundleError(RuntimeError):
    """The vendored plotly.js does not look the way this module expects."""


@lru_cache(maxsize=1)
def _bundle() -> str:
    return PLOTLY_JS.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def plotly_js_version() -> str:
    with PLOTLY_JS.open("rb") as handle:
        head = handle.read(512)
    match = _VERSION.search(head)
    if not match:
        raise PlotlyBundleError("no version banner in the plotly.js bundle")
    return match.group(1).decode()


@lru_cache(maxsize=1)
def plotly_js_sha256() -> str:
    return hashlib.sha256(PLOTLY_JS.read_bytes()).hexdigest()


def manifest() -> dict[str, str]:
    """What ``tools/vendor_plotly.py`` recorded about the committed bundle."""
    found: dict[str, str] = json.loads(PLOTLY_MANIFEST.read_text(encoding="utf-8"))
    return found


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
def plotly_css_sha256() -> str:
    return hashlib.sha256(plotly_css().encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def injected_style_ids() -> tuple[str, ...]:
    """Ids of ``<style>`` elements the bundle injects unless one exists already."""
    return tuple(sorted(set(_INJECTED_STYLE.findall(_bundle()))))


def plotly_js_url() -> str:
    """The bundle's URL: its name carries its content hash."""
    return f"/static/vendor/plotly-basic.{plotly_js_sha256()[:HASH_DIGITS]}.min.js"


def plotly_css_url() -> str:
    return f"/static/vendor/plotly.{plotly_css_sha256()[:HASH_DIGITS]}.css"
