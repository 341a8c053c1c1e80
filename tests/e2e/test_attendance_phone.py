"""Attendance at the door, on a phone: a status saves in place (the page does not
reload or move, the card's live region says it is saved) and the list filters
by person code (issue 21 part 3)."""

from __future__ import annotations

from typing import Any

from seeds.demo import CALLIN_HELD
from tests.e2e.support import phone_context, run_axe, sign_in


def test_attendance_saves_in_place_on_a_phone(browser: Any, base_url: str, axe: str) -> None:
    with phone_context(browser) as ctx:
        page = ctx.new_page()
        sign_in(page, base_url, "samordnare")
        page.goto(f"{base_url}/callins")
        page.get_by_role("link", name=CALLIN_HELD).first.click()
        page.goto(f"{page.url}/attendance")
        url = page.url
        cards = page.locator("li.attendance-card")
        assert cards.count() >= 8
        assert page.get_by_label("Sök på kod").is_visible()

        # A card well down the list, in view: the place on the page is what must stay.
        card = cards.nth(7)
        code = card.locator("label strong").inner_text()
        before = card.locator("button[aria-pressed=true]").get_attribute("value")
        target = "excused" if before != "excused" else "no_show"
        card.locator(f"button[value={target}]").scroll_into_view_if_needed()
        y = page.evaluate("window.scrollY")
        assert y > 0
        card.locator(f"button[value={target}]").click()
        card.locator(".save-status", has_text="Närvaron är sparad.").wait_for()
        assert page.url == url
        assert page.evaluate("window.scrollY") == y
        assert card.locator(f"button[value={target}]").get_attribute("aria-pressed") == "true"
        assert card.locator(f"button[value={before}]").get_attribute("aria-pressed") == "false"
        assert run_axe(page, axe) == []

        # Saved for real: a fresh page shows it; then the demo's status goes back.
        page.reload()
        card = page.locator(f"li.attendance-card[data-code='{code}']")
        assert card.locator(f"button[value={target}]").get_attribute("aria-pressed") == "true"
        card.locator(f"button[value={before}]").click()
        card.locator(".save-status", has_text="Närvaron är sparad.").wait_for()

        # The filter keeps the cards whose code holds what is typed.
        page.get_by_label("Sök på kod").fill(code.lower())
        visible = page.locator("li.attendance-card:visible")
        assert visible.count() == 1
        assert visible.first.get_attribute("data-code") == code
        assert "Visar 1 av" in page.locator("#filter-status").inner_text()
        page.get_by_label("Sök på kod").fill("")
        assert page.locator("li.attendance-card:visible").count() == cards.count()
