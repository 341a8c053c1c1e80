"""Signing in through a real identity provider's login page in a real browser:
oidc-provider (OpenID-certified) on localhost, the app on 127.0.0.1 (another
site, so the SameSite=Strict session cookie stays behind on the way back, as
with a real provider)."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.e2e.support import axe_source, run_axe, totp_code
from tests.oidc.browser.idp import IDP_PASSWORD, RunningProvider


def _at_provider(page: Any, base: str, idp: RunningProvider, who: str) -> None:
    page.goto(f"{base}/login")
    page.click("#oidc-login")
    page.wait_for_url(re.compile(re.escape(idp.issuer) + r"/interaction/"))
    page.fill("#idp-username", who)
    page.fill("#idp-password", IDP_PASSWORD)
    page.click("#idp-submit")


def _audit_since(seq: int, action: str) -> list[dict[str, Any]]:
    """Audit rows, read on a loop of their own (sync Playwright holds this thread's)."""
    from tests.admin.support import audit_rows

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, audit_rows(seq, action)).result()


def _head() -> int:
    from tests.admin.support import head_seq

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, head_seq()).result()


def test_two_factor_person_signs_in_and_out_through_the_provider(
    page: Any, servers: tuple[str, RunningProvider]
) -> None:
    base, idp = servers
    page.goto(f"{base}/login")
    assert page.locator("#oidc-login").inner_text() == "Logga in med Test-IdP"
    assert run_axe(page, axe_source()) == []
    since = _head()
    _at_provider(page, base, idp, "tvafaktor")
    # No TOTP step: the provider asserted two factors (acr and amr).
    page.wait_for_url(f"{base}/")
    assert "oidc-anna" in page.locator(".who").inner_text()
    logins = _audit_since(since, "auth:login")
    assert [r["details"]["second_factor"] for r in logins] == ["provider"]
    assert logins[0]["details"]["method"] == "oidc"

    # Sign-out ends the local session and then the provider's.
    page.click("form.logout button[type=submit]")
    page.wait_for_url(re.compile(re.escape(idp.issuer) + r"/session/end"))
    page.click("button[name=logout][value=yes]")
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/")
    page.wait_for_url(re.compile(re.escape(base) + r"/login"))
    # The provider's session is over too: signing in asks for the password again.
    page.click("#oidc-login")
    page.wait_for_url(re.compile(re.escape(idp.issuer) + r"/interaction/"))
    assert page.locator("#idp-password").is_visible()


def test_one_factor_person_gets_the_local_totp_step(
    page: Any, servers: tuple[str, RunningProvider], people: dict[str, str]
) -> None:
    base, idp = servers
    _at_provider(page, base, idp, "enfaktor")
    page.wait_for_url(f"{base}/login/totp")
    page.fill("#code", totp_code(people["oidc-bertil"]))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert "oidc-bertil" in page.locator(".who").inner_text()


def test_unknown_person_is_refused_with_a_clear_page(
    page: Any, servers: tuple[str, RunningProvider]
) -> None:
    base, idp = servers
    since = _head()
    _at_provider(page, base, idp, "okand")
    page.wait_for_url(re.compile(re.escape(base) + r"/login/oidc/callback"))
    page.wait_for_selector("#oidc-problem")
    assert "det finns inget aktivt konto i GVI-stöd för dig" in page.inner_text("main")
    assert run_axe(page, axe_source()) == []
    page.goto(f"{base}/")
    page.wait_for_url(re.compile(re.escape(base) + r"/login"))
    refused = _audit_since(since, "auth:login_failed")
    assert [r["details"] for r in refused] == [{"reason": "unknown_account", "method": "oidc"}]
