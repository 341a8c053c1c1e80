"""The network pages in a real browser (Chromium through Playwright) under the app's
own CSP: plotly draws (the basic bundle, SVG), and the console shows no CSP violation.

The app runs in a uvicorn subprocess on a free localhost port, against the test
database. Skipped only where Chromium is missing outside CI; in CI (CI=true)
it must run (.ci/run installs Debian's chromium).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from gvi.groups.tables import Group, GroupRelation
from gvi.networks.figures import WEBGL_THRESHOLD
from tests.clients import PASSWORD, fresh_code
from tests.database import reference_municipality
from tests.factories import make_user
from tests.networks.world import BEFORE_END, World, build_world
from tests.servers import running_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
    reason="Chromium is not installed (CI installs it and runs this test)",
)

# Reports every CSP violation into the page's own list, before any page script runs.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push([e.violatedDirective, e.blockedURI, e.sourceFile, e.lineNumber].join(" "));
});
"""


@pytest.fixture
def server(db: None, job_worker: None) -> Iterator[str]:
    with running_app({"GVI_LOG_LEVEL": "WARNING"}) as base:
        yield base


async def _big_municipality() -> int:
    """Enough groups that the figure switches to WebGL."""
    big = await reference_municipality("0180")
    count = WEBGL_THRESHOLD + 100
    await Group.insert(
        *[Group(name=f"Storgrupp {i:04d}", municipality=big.id) for i in range(count)]
    )
    ids = [r["id"] for r in await Group.select(Group.id).where(Group.municipality == big.id)]
    rng = random.Random(3)  # noqa: S311 - test data
    kinds = list(GroupRelation.Kind)
    relations = []
    for i in range(count + 400):
        a, b = rng.sample(ids, 2)
        relations.append(
            GroupRelation(
                source_group=a,
                target_group=b,
                kind=kinds[i % len(kinds)],
                valid_from=date(2023, 1, 1),
            )
        )
    await GroupRelation.insert(*relations)
    return big.id


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


async def _login(page: Any, base: str, username: str, secret: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/login/totp")
    await page.fill("#code", fresh_code(secret))
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/")


async def _drawn(page: Any, figure_id: str) -> dict[str, Any]:
    selector = f"#{figure_id}.js-plotly-plot"
    await page.wait_for_selector(selector, timeout=30_000)
    await page.wait_for_function(
        f"document.querySelector('[data-figure-status=\"{figure_id}\"]').textContent === ''",
        timeout=30_000,
    )
    info: dict[str, Any] = await page.evaluate(
        """(id) => {
          const el = document.getElementById(id);
          return {
            svg: el.querySelectorAll("svg.main-svg").length,
            canvas: el.querySelectorAll("canvas").length,
            points: el.querySelectorAll("g.points path.point").length,
            types: (el._fullData || []).map((t) => t.type),
          };
        }""",
        figure_id,
    )
    return info


async def test_network_pages_draw_with_zero_csp_violations(
    server: str, browser: Any, tmp_path: Path
) -> None:
    world: World = await build_world()
    big = await _big_municipality()
    _, secret = await make_user("b-coordinator", "coordinator", municipality_codes=["0123", "0180"])
    assert secret
    context = await browser.new_context()
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    violations: list[str] = []

    async def record_violations() -> None:
        # The list lives in the page: read it before each navigation.
        violations.extend(await page.evaluate("window.__csp"))

    await _login(page, server, "b-coordinator", secret)

    # A small network: SVG traces, with hover labels.
    await page.goto(f"{server}/network?as_of={BEFORE_END}&municipality={world.own}")
    svg = await _drawn(page, "network-figure")
    assert svg["svg"] >= 1
    assert svg["points"] >= 4
    assert set(svg["types"]) == {"scatter"}
    await page.evaluate(
        """() => {
          const el = document.getElementById("network-figure");
          const n = el._fullData.length - 1;
          Plotly.Fx.hover(el, [{curveNumber: n, pointNumber: 0}]);
        }"""
    )
    await page.wait_for_selector("#network-figure g.hovertext", timeout=5_000)

    await record_violations()

    # Over a thousand groups: the figure asks for WebGL, which the basic bundle does
    # not have; drawn as SVG, every node, no eval.
    await page.goto(f"{server}/network?municipality={big}")
    large = await _drawn(page, "network-figure")
    assert set(large["types"]) == {"scatter"}
    assert large["points"] > WEBGL_THRESHOLD
    await page.screenshot(path=str(tmp_path / "large.png"))

    await record_violations()

    # The person view draws from JSON embedded in the page.
    await page.goto(f"{server}/network/person/{world.people['alfa']}?as_of={BEFORE_END}")
    person = await _drawn(page, "person-figure")
    assert person["points"] >= 3

    await record_violations()

    # A group's ego network on the analyses page.
    await page.goto(f"{server}/network/analyses?as_of={BEFORE_END}&group={world.groups['norr']}")
    ego = await _drawn(page, "ego-figure")
    assert ego["points"] >= 3

    await record_violations()

    # A background job: the page follows its progress and reloads when it is done.
    await page.goto(f"{server}/network/jobs")
    await page.select_option("#kind", "person_communities")
    await page.click("form[action='/network/jobs'] button[type=submit]")
    await page.wait_for_url(f"{server}/network/jobs")
    for _ in range(60):
        if "Klar" in await page.inner_text("table"):
            break
        await asyncio.sleep(0.5)
    assert "Klar" in await page.inner_text("table")

    await record_violations()
    csp_console = [m for m in console if "Content Security Policy" in m or "CSP" in m]
    assert violations == [], violations
    assert csp_console == [], csp_console
    errors = [m for m in console if m.startswith(("error", "pageerror"))]
    assert errors == [], errors
    await context.close()
