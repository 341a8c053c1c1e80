"""Fixtures for the key-rotation and plaintext tests: an explicit key file that the
services read instead of the process-wide ``GVI_DATA_KEY``, a municipality and a
police principal that may write people and read identities."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gvi.access.principal import Principal
from gvi.accounts import passwords, totp
from gvi.accounts.tables import Role
from gvi.municipalities.tables import Municipality
from gvi.people import services as people_services
from gvi.security.crypto import Keyring, load_key_file, new_key_line


@dataclass(frozen=True)
class Keys:
    """The key file the app reads in these tests (as if restarted after each change)."""

    path: Path

    def keyring(self) -> Keyring:
        return load_key_file(self.path)


@pytest.fixture(autouse=True)
def fast_hashing() -> Iterator[None]:
    passwords.configure_hasher(passwords.TEST_PARAMETERS)
    totp.configure_recovery_hasher(passwords.TEST_PARAMETERS)
    yield
    passwords.configure_hasher(None)
    totp.configure_recovery_hasher(None)


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Keys:
    """A key file holding one key, kA; the people and TOTP services read it on every
    call (no cache), so a rotation shows up at once, like an app restart would."""
    path = tmp_path / "data.key"
    path.write_text("# test data keys\n" + new_key_line("kA") + "\n")
    path.chmod(0o600)
    current = Keys(path)
    monkeypatch.setattr(people_services, "get_keyring", current.keyring)
    monkeypatch.setattr(totp, "get_keyring", current.keyring)
    return current


@pytest.fixture
async def municipality(db: None) -> int:
    # Reference data: migrate loaded SCB's municipalities.
    row = await Municipality.select(Municipality.id).where(Municipality.code == "0180").first()
    assert row is not None
    return int(row["id"])


@pytest.fixture
def police(municipality: int) -> Principal:
    return Principal(
        user_id=900_000 + secrets.randbelow(10_000),
        username="polis.test",
        role=Role.police,
        municipality_ids=frozenset({municipality}),
        ip="192.0.2.9",
        user_agent="pytest",
    )
