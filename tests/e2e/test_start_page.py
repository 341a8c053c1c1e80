"""Issue 21, parts 1, 6 and 7 in a real browser: each role's start page at desktop
and phone size (axe finds no violation at either), the folded phone menu
(header and menu at most 15 % of the first screen), the message after an action
(visible on the first screen, announced through the live region) and the print
layout of the case, call-in and figures pages (no menu, no forms)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import run_axe, sign_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Role → an item its start page counts, and the pages it prints for meetings.
ROLES = {
    "samordnare": ("callins_upcoming", ["/callins", "/reports"]),
    "socialsekreterare": ("tasks_overdue", ["/cases"]),
    "polis": ("incidents_unreviewed", []),
    "analytiker": ("network_changes", []),
    "admin": ("alerts_open", []),
}


def _header_share(page: Any) -> float:
    height = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
    return float(height) / PHONE["height"]


def _check_print(page: Any, base_url: str, list_url: str) -> None:
    """The list's first detail page (or the page itself) printed: content only."""
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base_url}{list_url}")
    link = page.locator(f"main table a[href^='{list_url}/']").first
    if link.count():
        page.goto(f"{base_url}{link.get_attribute('href')}")
    page.emulate_media(media="print")
    try:
        assert page.locator("#site-menu").is_hidden()
        assert page.locator(".site-header").is_hidden()
        assert all(f.is_hidden() for f in page.locator("main form").all())
        assert page.locator("main h1").is_visible()
    finally:
        page.emulate_media(media="screen")


def _check_message_after_saving(page: Any, base_url: str) -> None:
    """On the phone: the message after saving the account page is on the first
    screen and repeated into the live region, so it is read out."""
    page.goto(f"{base_url}/account")
    page.locator("#digest").uncheck()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/account")
    flash = page.locator("#flashes .flash")
    assert flash.is_visible()
    assert "Inställningarna är sparade." in flash.inner_text()
    assert flash.bounding_box()["y"] < PHONE["height"]
    assert page.locator("#live").get_attribute("aria-live") == "polite"
    # Polled by Playwright itself: the pages' CSP forbids evaluating strings.
    expect(page.locator("#live")).to_contain_text("Inställningarna är sparade.")


@pytest.mark.parametrize("role", list(ROLES))
def test_start_page_per_role_on_desktop_and_phone(
    page: Any, base_url: str, axe: str, role: str
) -> None:
    key, printed = ROLES[role]
    sign_in(page, base_url, role)
    item = page.locator(f'.counts li[data-key="{key}"]')
    assert item.is_visible()
    assert item.locator(".count-number").inner_text().strip().isdigit()
    assert page.locator("#site-menu").is_visible()
    assert page.locator(".nav-toggle").is_hidden()  # wide screen: no fold
    assert run_axe(page, axe) == []

    page.set_viewport_size(PHONE)
    page.goto(f"{base_url}/")
    toggle = page.locator(".nav-toggle")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.locator("#site-menu").is_hidden()
    assert _header_share(page) <= 0.15
    assert item.is_visible()
    assert run_axe(page, axe) == []
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#site-menu .nav a[href='/']").is_visible()
    assert run_axe(page, axe) == []
    page.keyboard.press("Escape")
    assert page.locator("#site-menu").is_hidden()
    _check_message_after_saving(page, base_url)

    for url in printed:
        _check_print(page, base_url, url)
