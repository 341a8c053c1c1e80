"""``gvi token …``: a service account and its token from the command line, used on the API."""

from __future__ import annotations

import subprocess
import sys

from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.settings import ROOT
from tests.admin.support import BASE, audit_rows, head_seq


def _gvi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gvi.cli", "token", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_a_service_account_and_its_token_from_the_command_line(app: Litestar) -> None:
    start = await head_seq()
    made = _gvi(
        "service-account-create",
        "--username",
        "ärendesystem",
        "--name",
        "Ärendesystemet",
        "--role",
        "police",
        "--municipality",
        "0114",
    )
    assert made.returncode == 1
    assert "Användarnamnet" in made.stderr
    made = _gvi(
        "service-account-create",
        *("--username", "arendesystem", "--name", "Ärendesystemet", "--role", "police"),
        *("--municipality", "0114"),
    )
    assert made.returncode == 0, made.stderr
    too_long = _gvi(
        "create", "--account", "arendesystem", "--name", "x", "--permission", "callins:read",
        "--days", "120",
    )  # fmt: skip
    assert too_long.returncode == 1
    assert "90 dagar" in too_long.stderr
    issued = _gvi(
        "create", "--account", "arendesystem", "--name", "Import", "--permission", "callins:read",
        "--days", "7",
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    secret = issued.stdout.strip().splitlines()[-1]
    assert secret.startswith("gvi_")
    async with AsyncTestClient(app=app, base_url=BASE) as c:
        ok = await c.get("/api/v1/callins", headers={"Authorization": f"Bearer {secret}"})
        assert ok.status_code == 200, ok.text
        listed = _gvi("list", "--account", "arendesystem")
        assert listed.returncode == 0
        assert "active" in listed.stdout
        assert secret not in listed.stdout
        token_id = listed.stdout.split()[0]
        assert _gvi("revoke", token_id).returncode == 0
        dead = await c.get("/api/v1/callins", headers={"Authorization": f"Bearer {secret}"})
        assert dead.status_code == 401
    assert len(await audit_rows(start, "service_account:create")) == 1
    assert len(await audit_rows(start, "api_token:create")) == 1
    assert len(await audit_rows(start, "api_token:revoke")) == 1
