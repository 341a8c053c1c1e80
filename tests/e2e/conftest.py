"""Fixtures of the browser tests: the demo data in the test database, the real
app under uvicorn sharing it, Debian's chromium through Playwright.

Skipped only when chromium is missing outside CI; in CI (``CI=true``) a missing
browser is an error.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS, axe_source
from tests.servers import running_app

HAVE_CHROMIUM = Path(CHROMIUM).exists()
IN_CI = os.environ.get("CI") == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAVE_CHROMIUM or IN_CI:
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing (CI would fail here)")
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="package")
async def demo_data(migrated: None) -> AsyncIterator[None]:
    """The demo data set, loaded once for the browser tests and emptied after them."""
    from seeds.demo import load_demo
    from tests.support import empty_database

    await empty_database()
    await load_demo()
    yield
    await empty_database()


@pytest.fixture(scope="package")
def base_url(demo_data: None) -> Iterator[str]:
    with running_app() as base:
        yield base


@pytest.fixture(scope="package")
def browser(demo_data: None) -> Iterator[Any]:
    # Depends on the (async) demo data: sync Playwright keeps an event loop of its
    # own running, so every async fixture must be set up before it starts.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="package")
def axe() -> str:
    return axe_source()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()
