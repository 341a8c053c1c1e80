"""Fixtures of the browser tests: the demo data in the test database, the real
app under uvicorn sharing it, Debian's chromium through Playwright.

Skipped only when chromium is missing outside CI; in CI (``CI=true``) a missing
browser is an error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import axe_source, demo_loaded, launched_chromium, skip_without_chromium
from tests.servers import running_app


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_without_chromium(items, Path(__file__).resolve().parent)


@pytest.fixture(scope="package")
async def demo_data(migrated: None) -> AsyncIterator[None]:
    """The demo data set, loaded once for the browser tests and emptied after them."""
    async with demo_loaded():
        yield


@pytest.fixture(scope="package")
def base_url(demo_data: None) -> Iterator[str]:
    with running_app() as base:
        yield base


@pytest.fixture(scope="package")
def browser(demo_data: None) -> Iterator[Any]:
    # Depends on the (async) demo data: every async fixture is set up before
    # sync Playwright starts its own event loop.
    with launched_chromium() as b:
        yield b


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
