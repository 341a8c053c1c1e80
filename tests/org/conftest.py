"""Organisation tests hash with the cheapest argon2id parameters (as the admin tests do)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gvi.accounts import passwords, totp


@pytest.fixture(autouse=True)
def fast_hashing() -> Iterator[None]:
    passwords.configure_hasher(passwords.TEST_PARAMETERS)
    totp.configure_recovery_hasher(passwords.TEST_PARAMETERS)
    yield
    passwords.configure_hasher(None)
    totp.configure_recovery_hasher(None)
