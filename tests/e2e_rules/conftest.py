"""Fixtures of the browser test whose server's clock moves: the demo data in the
test database and Debian's chromium. The test starts (and restarts) its own
server, so there is no package server here (tests/e2e's cannot move its clock).

Skipped only when chromium is missing outside CI; in CI (``CI=true``) a missing
browser is an error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import demo_loaded, launched_chromium, skip_without_chromium


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_without_chromium(items, Path(__file__).resolve().parent)


@pytest.fixture(scope="package")
async def demo_data(migrated: None) -> AsyncIterator[None]:
    async with demo_loaded():
        yield


@pytest.fixture(scope="package")
def browser(demo_data: None) -> Iterator[Any]:
    with launched_chromium() as b:
        yield b
