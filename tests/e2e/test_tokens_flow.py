"""In a real browser: make an API token on "API-nycklar", see it once, use it
with Authorization: Bearer, make a calendar feed, revoke the token."""

from __future__ import annotations

from typing import Any

import requests

from tests.e2e.support import sign_in


def test_a_token_and_a_feed_from_the_page(page: Any, base_url: str) -> None:
    sign_in(page, base_url, "samordnare")
    page.click("text=API-nycklar")
    page.wait_for_url(f"{base_url}/account/tokens")
    page.fill("#name", "Webbläsartest")
    page.check("input[name=permissions][value='callins:read']")
    page.locator("input[name=municipalities]").first.check()
    page.fill("#days", "7")
    page.click("form[action='/account/tokens'] button[type=submit]")
    secret = page.input_value("#new-token")
    assert secret.startswith("gvi_")
    api = requests.get(
        f"{base_url}/api/v1/callins", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    assert api.status_code == 200, api.text
    # Shown once: the list that follows holds the name, never the secret.
    page.goto(f"{base_url}/account/tokens")
    assert "Webbläsartest" in page.content()
    assert secret not in page.content()

    page.click("text=Skapa kalenderflöde")
    url = page.input_value("#feed-url")
    assert "/feeds/gvf_" in url
    feed = requests.get(url, timeout=10)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in feed.content

    page.goto(f"{base_url}/account/tokens")
    row = page.locator("tr", has_text="Webbläsartest")
    row.locator("button", has_text="Återkalla").click()
    page.wait_for_url(f"{base_url}/account/tokens")
    assert "Nyckeln återkallades." in page.content()
    dead = requests.get(
        f"{base_url}/api/v1/callins", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    assert dead.status_code == 401
