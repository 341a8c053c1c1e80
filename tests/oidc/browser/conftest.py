"""Fixtures of the OIDC browser tests: two accounts an administrator made, the
real identity provider (oidc-provider under node), the real app under uvicorn
configured for it, Debian's chromium. Skipped only where chromium is missing
outside CI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import launched_chromium, skip_without_chromium
from tests.oidc.browser.idp import RunningProvider, running_identity_provider
from tests.servers import free_port, start_server, stop_server

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_without_chromium(items, HERE)


@pytest.fixture(scope="package")
async def people(migrated: None) -> AsyncIterator[dict[str, str]]:
    """The GVI accounts the provider's test people are linked to (TOTP secrets)."""
    from tests.support import empty_database, make_user

    await empty_database()
    secrets: dict[str, str] = {}
    for username in ("oidc-anna", "oidc-bertil"):
        _, secret = await make_user(username, "outreach")
        assert secret
        secrets[username] = secret
    yield secrets
    await empty_database()


@pytest.fixture(scope="package")
def servers(
    people: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, RunningProvider]]:
    app_port, idp_port = free_port(), free_port()
    base = f"http://127.0.0.1:{app_port}"
    log = tmp_path_factory.mktemp("oidc") / "servers.log"
    with running_identity_provider(
        idp_port,
        redirect_uri=f"{base}/login/oidc/callback",
        post_logout_redirect_uri=f"{base}/login",
        log=log,
    ) as idp:
        proc = start_server(
            app_port,
            {
                "GVI_OIDC_ISSUER": idp.issuer,
                "GVI_OIDC_CLIENT_ID": idp.client_id,
                "GVI_OIDC_CLIENT_SECRET": idp.client_secret,
                "GVI_OIDC_NAME": "Test-IdP",
                "GVI_OIDC_TWO_FACTOR_ACR": "urn:gvi:test:loa2",
                "GVI_OIDC_TWO_FACTOR_AMR": "mfa",
            },
            log=log,
        )
        try:
            yield base, idp
        finally:
            stop_server(proc)


@pytest.fixture(scope="package")
def browser(people: dict[str, str]) -> Iterator[Any]:
    # After the async fixture: sync Playwright runs an event loop of its own.
    with launched_chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    ctx.set_default_timeout(15_000)
    try:
        yield ctx.new_page()
    finally:
        ctx.close()
