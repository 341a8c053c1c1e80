"""Time to the first drawn plot on /network and /reports (issue 20, part 2): headless
Chromium (Debian's, through Playwright) against the real app under uvicorn on the
demo data, signed in as the analyst. Each page is visited once to warm the
browser's cache, then the time from navigation start to the first drawn plot
(the ``gvi:first-plot`` performance mark that figure-kit.js sets when
``Plotly.react`` has drawn) is measured several times: median ≤ 1 s each.

Also reported: the plotly.js bundle the pages load (the basic partial bundle)
beside the full bundle of the plotly Python package they loaded before, and, as
the baseline of the same run, /network with that full bundle put in place of
the partial one (routed by the browser, informational: no bound).

SQLite in a temporary directory; migrate and seed run as the CLI does, in child
processes, so the database URL is set before any gvi module is imported.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.bench.bench_network_views import size_row
from tests.bench.sandbox import sqlite_env

BOUND_S = 1.0
RUNS = 7
ROOT = Path(__file__).resolve().parents[2]
USER = "analytiker"
PAGES = ("/network", "/reports")
FIRST_PLOT = "() => performance.getEntriesByName('gvi:first-plot').length > 0"


def _first_plot_s(page: Any, url: str) -> float:
    page.goto(url, wait_until="commit")
    page.wait_for_function(FIRST_PLOT, timeout=30_000)
    mark: float = page.evaluate("performance.getEntriesByName('gvi:first-plot')[0].startTime")
    return mark / 1000


def _median(page: Any, url: str) -> float:
    _first_plot_s(page, url)  # the first visit fills the cache
    return statistics.median(_first_plot_s(page, url) for _ in range(RUNS))


def _row(name: str, seconds: float, bound: float | None) -> dict[str, Any]:
    return {
        "name": name,
        "ours_s": seconds,
        "baseline_s": None,
        "ratio": None,
        "bound": bound,
        "ok": bound is None or seconds <= bound,
    }


def main() -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    from gvi.networks import assets
    from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS, sign_in
    from tests.servers import running_app

    tmp = Path(tempfile.mkdtemp(prefix="gvi-bench-pages-"))
    env = {**sqlite_env(tmp), "GVI_LOG_LEVEL": "WARNING"}
    child = {**os.environ, **env}
    child.pop("GVI_REDIS_URL", None)
    for args in (["migrate"], ["seed", "--scale", "demo"]):
        subprocess.run(
            [sys.executable, "-m", "gvi.cli", *args],
            env=child,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    full_bundle = Path(__import__("plotly").__file__).parent / "package_data" / "plotly.min.js"
    rows: list[dict[str, Any]] = []
    with running_app(env) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
            page = ctx.new_page()
            sign_in(page, base, USER)
            for path in PAGES:
                rows.append(
                    _row(
                        f"first plot {path} (median of {RUNS})", _median(page, base + path), BOUND_S
                    )
                )
            ctx.close()
            # The same run's baseline: the full bundle where the partial one was.
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
            ctx.route(
                f"**{assets.plotly_js_url()}",
                lambda route: route.fulfill(
                    path=str(full_bundle),
                    content_type="text/javascript",
                    headers={"Cache-Control": "public, max-age=31536000, immutable"},
                ),
            )
            page = ctx.new_page()
            sign_in(page, base, USER)
            rows.append(
                _row(
                    "first plot /network, full bundle (before)",
                    _median(page, base + "/network"),
                    None,
                )
            )
            ctx.close()
        finally:
            browser.close()
    rows.append(size_row("plotly.js basic bundle (after)", assets.PLOTLY_JS.stat().st_size, 1500))
    before = size_row("plotly.js full bundle (before)", full_bundle.stat().st_size, 1e9)
    before["bound"] = None
    rows.append(before)
    return rows


if __name__ == "__main__":
    for r in main():
        print(r)
