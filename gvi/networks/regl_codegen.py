"""Generate ``gvi/static/vendor/plotly-regl-precompiled.js``: regl's draw code for our
WebGL figures, as plain functions, so ``scattergl`` runs under a CSP without
``'unsafe-eval'``.

regl (inside plotly.js) writes each draw command as JavaScript source and
compiles it with ``Function(…)``, but first looks the source's SHA-256 up in a
cache of precompiled functions that plotly.js passes in (its "strict" bundle
fills that cache; the bundle in the Python package leaves it empty). This tool
draws the figures of :mod:`gvi.networks.figures` in a headless Chromium on a
throwaway local page that does allow ``'unsafe-eval'``, records every source
regl compiles, and writes them out keyed by hash. The app's pages never allow
eval; ``gvi/static/js/network.js`` puts these functions into the cache before
drawing.

Run after upgrading plotly (the file records which plotly.min.js it was made
from, and the app ignores a file made from another)::

    .venv/bin/python -m gvi.networks.regl_codegen

Needs the dev dependencies (playwright) and Chromium at /usr/bin/chromium (or
``--chromium PATH``). Development tool only: the app never imports it.
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import random
import threading
from datetime import date
from pathlib import Path
from typing import Any

from gvi.networks import assets, figures, graph, layout

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_CAPTURE = """
window.__regl = [];
Object.defineProperty(Function, "apply", {
  value: function (self, args) {
    window.__regl.push(Array.prototype.map.call(args, String));
    return Function.prototype.apply.call(Function, self, args);
  }
});
"""

_DRAW = """
async (figures) => {
  const el = document.getElementById("g");
  for (const fig of figures) {
    await Plotly.newPlot(el, fig.data, fig.layout, {responsive: true});
    await Plotly.relayout(el, {"xaxis.range": [-0.5, 0.5], "yaxis.range": [-0.5, 0.5]});
    await Plotly.relayout(el, {"xaxis.autorange": true, "yaxis.autorange": true});
    Plotly.Fx.hover(el, [{curveNumber: fig.data.length - 1, pointNumber: 0}]);
    await new Promise((r) => setTimeout(r, 200));
    Plotly.purge(el);
  }
  return window.__regl;
}
"""


def sample_figures(nodes: int = figures.WEBGL_THRESHOLD + 200) -> list[dict[str, Any]]:
    """WebGL figures with every trace style our figures use."""
    rng = random.Random(7)  # noqa: S311 - sample data, not a secret
    kinds = ["alliance", "rivalry", "truce", "splinter_of", "subgroup_of"]
    groups = [
        graph.GroupNode(i, f"G{i}", i % 14, f"Kommun {i % 14}", members=rng.randint(0, 40))
        for i in range(nodes)
    ]
    relations = [
        graph.Relation(i, rng.randrange(nodes), rng.randrange(nodes), kinds[i % len(kinds)])
        for i in range(nodes * 2)
    ]
    as_of = date(2025, 1, 1)
    g = graph.build_signed_graph(groups, relations, as_of)
    h = graph.build_hierarchy(groups, relations, as_of)
    pos = layout.group_layout(g)
    out = [
        figures.group_figure(
            g, pos, hierarchy=h, colour_by=colour, communities=graph.communities(g)
        )
        for colour in figures.COLOUR_BY
    ]
    ties = [
        graph.MemberTie(p, f"P-{p:04d}", rng.randrange(60)) for p in range(nodes) for _ in range(2)
    ]
    pg = graph.person_graph(groups[:60], ties, as_of)
    view = graph.person_ego(pg, 0, 4).copy()
    view.add_edge(("g", ties[0].group_id), ("g", ties[1].group_id), kind="rivalry", sign=-1)
    out.append(figures.person_ego_figure(view, layout.shell_layout(view, ("p", 0)), ("p", 0)))
    for fig in out:
        assert any(t["type"] == "scattergl" for t in fig["data"]), "sample must use WebGL"
    return out


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, tuple[bytes, str]] = {}

    def do_GET(self) -> None:
        body, media = self.files.get(self.path.split("?")[0], (b"", ""))
        self.send_response(200 if media else 404)
        self.send_header("Content-Type", media or "text/plain")
        # Eval is allowed here, on this throwaway page only, to record what regl compiles.
        self.send_header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self'",
        )
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def capture(chromium: str) -> list[list[str]]:
    from playwright.sync_api import sync_playwright

    page_html = (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<link rel="stylesheet" id="plotly.js-style-global" class="no-inline-styles" '
        'href="/plotly.css">'
        + "".join(f'<meta id="{i}">' for i in assets.injected_style_ids())
        + '<script src="/capture.js"></script><script src="/plotly.min.js"></script>'
        '</head><body><div id="g"></div></body></html>'
    )
    _Handler.files = {
        "/": (page_html.encode(), "text/html; charset=utf-8"),
        "/capture.js": (_CAPTURE.encode(), "text/javascript"),
        "/plotly.min.js": (assets.PLOTLY_JS.read_bytes(), "text/javascript"),
        "/plotly.css": (assets.plotly_css().encode(), "text/css"),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            codes: list[list[str]] = page.evaluate(_DRAW, sample_figures())
            browser.close()
    finally:
        server.shutdown()
    return codes


def render(codes: list[list[str]]) -> str:
    unique: dict[str, tuple[list[str], str]] = {}
    for call in codes:
        *params, source = call
        unique[hashlib.sha256(source.encode("utf-8")).hexdigest()] = (params, source)
    version = assets.plotly_js_version()
    lines = [
        f"/* plotly.js {version} sha256:{assets.plotly_js_sha256()}",
        " * regl draw code for the WebGL traces of gvi/networks/figures.py, keyed by the",
        " * SHA-256 of its source, so scattergl runs without 'unsafe-eval'. Generated by",
        " * `python -m gvi.networks.regl_codegen` from the installed plotly package;",
        " * regenerate after upgrading plotly. Do not edit. */",
        "window.GVI_REGL_PRECOMPILED = {",
        f"  version: {json.dumps(version)},",
        "  code: {",
    ]
    for key in sorted(unique):
        params, source = unique[key]
        for name in params:
            if not name.isidentifier():
                raise ValueError(f"unexpected regl parameter {name!r}")
        lines.append(f"    {json.dumps(key)}: function ({', '.join(params)}) {{")
        lines.append(source)
        lines.append("    },")
    lines += ["  }", "};", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=assets.REGL_PRECOMPILED)
    args = parser.parse_args(argv)
    codes = capture(args.chromium)
    if not codes:
        print("regl compiled nothing: are the sample figures WebGL?")
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(codes), encoding="utf-8")
    print(f"wrote {args.out} ({len({c[-1] for c in codes})} programs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
