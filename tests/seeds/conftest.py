"""Fixtures for the seed tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest


@pytest.fixture
async def cheap_hashes() -> AsyncIterator[None]:
    """Argon2id at test cost: the demo hashes one password per account."""
    from gvi.accounts import passwords

    passwords.configure_hasher(passwords.TEST_PARAMETERS)
    yield
    passwords.configure_hasher(None)
