"""axe-core (pinned, from the npm registry) on every main page, for every role:
no WCAG 2.1 A/AA violations at any impact, on desktop and (the pages people use
on the move, /reports included) on a phone.

Every list, form and dashboard a role can open is checked as that role; the
detail page behind each list's first row once, by the first role that sees it.
"""

from __future__ import annotations

from typing import Any

import pytest

from seeds.demo import DEMO_PASSWORD
from tests.e2e.support import run_axe, sign_in

PAGES = [
    "/",
    "/people",
    "/groups",
    "/network",
    "/network/analyses",
    "/network/jobs",
    "/network/views",
    "/network/timeline",
    "/review",
    "/callins",
    "/callins/calendar",
    "/callins/new",
    "/incidents",
    "/incidents/risks",
    "/incidents/new",
    "/notifications",
    "/notifications/new",
    "/enforcement",
    "/enforcement/new",
    "/tasks",
    "/offers",
    "/offers/new",
    "/providers",
    "/providers/new",
    "/methods",
    "/methods/new",
    "/outreach",
    "/outreach/new",
    "/cases",
    "/cases/new",
    "/cases/transfers",
    "/reports",
    "/admin/users",
    "/admin/users/new",
    "/admin/audit",
    "/admin/alerts",
    "/admin/service-accounts",
    "/account/tokens",
    "/account",
]
# Lists whose first row's detail page is checked too.
DETAILS = {
    "/people",
    "/groups",
    "/callins",
    "/incidents",
    "/offers",
    "/cases",
    "/providers",
    "/methods",
    "/outreach",
    "/enforcement",
    "/notifications",
    "/admin/users",
}
ROLES = ["admin", "samordnare", "socialsekreterare", "polis", "analytiker"]
PHONE_PAGES = ["/", "/reports", "/tasks", "/network", "/cases", "/offers/new", "/callins"]


def test_login_pages_have_no_violations(page: Any, base_url: str, axe: str) -> None:
    found: dict[str, Any] = {}
    page.goto(f"{base_url}/login")
    found["/login"] = run_axe(page, axe)
    page.fill("#username", "samordnare")
    page.fill("#password", "fel-losenord")
    page.click("button[type=submit]")
    found["/login (wrong password)"] = run_axe(page, axe)
    page.fill("#username", "analytiker")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/login/totp")
    found["/login/totp"] = run_axe(page, axe)
    assert {url: bad for url, bad in found.items() if bad} == {}


_details_done: set[str] = set()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_no_violations(page: Any, base_url: str, axe: str, role: str) -> None:
    sign_in(page, base_url, role)
    checked: list[str] = []
    found: dict[str, Any] = {}

    def check(url: str) -> bool:
        response = page.goto(f"{base_url}{url}")
        if response is None or response.status in (403, 404):
            return False
        assert response.status == 200, (url, response.status)
        checked.append(url)
        bad = run_axe(page, axe)
        if bad:
            found[url] = bad
        return True

    for url in PAGES:
        # A detail page (the first row of a list) once, for the first role that sees it.
        if check(url) and url in DETAILS and url not in _details_done:
            link = page.locator(f"main table a[href^='{url}/']").first
            href = link.get_attribute("href") if link.count() else None
            if href and check(href):
                _details_done.add(url)
                if url == "/cases":
                    check(f"{href}/plan")  # the case plan and SIP
    assert len(checked) >= 5, checked
    # The same pages on a phone (390 × 844), where tables scroll in their wrappers
    # and the menu folds: /reports among them.
    page.set_viewport_size({"width": 390, "height": 844})
    for url in PHONE_PAGES:
        check(url)
    assert found == {}, found
