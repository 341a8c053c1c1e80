"""Fixtures of the browser test whose server's clock moves: the demo data in the
test database and Debian's chromium. The test starts (and restarts) its own
server, so there is no package server here (tests/e2e's cannot move its clock).

Skipped only when chromium is missing outside CI; in CI (``CI=true``) a missing
browser is an error.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS

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
    """The demo data set, loaded once for these tests and emptied after them."""
    from seeds.demo import load_demo
    from tests.support import empty_database

    await empty_database()
    await load_demo()
    yield
    await empty_database()


@pytest.fixture(scope="package")
def browser(demo_data: None) -> Iterator[Any]:
    # After the (async) demo data: sync Playwright runs an event loop of its own.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
