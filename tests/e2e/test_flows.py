"""The three flows of issue 8 in a real browser."""

from __future__ import annotations

import contextlib
import re
from datetime import date, timedelta
from typing import Any

from tests.e2e.support import run_axe, sign_in


def test_coordinator_plans_a_callin_past_a_rivalry_warning(
    page: Any, base_url: str, axe: str
) -> None:
    sign_in(page, base_url, "samordnare")
    page.goto(f"{base_url}/callins/new")
    page.fill("#title", "E2E-möte Centrum")
    page.fill("#day", (date.today() + timedelta(days=30)).isoformat())
    page.fill("#start", "17:00")
    page.fill("#end", "19:00")
    page.fill("#venue", "Medborgarhuset (demo)")
    jarfalla = page.locator("#municipality option", has_text="Järfälla").first
    page.select_option("#municipality", value=jarfalla.get_attribute("value"))
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/callins/\d+$"))
    assert page.locator(".flash").first.is_visible()
    call_in_url = page.url

    # Pick two groups in active rivalry: the warning shows before anything is saved.
    page.goto(f"{call_in_url}/invite")
    page.get_by_label(re.compile(r"^Demoligan \(")).check()
    page.get_by_label(re.compile(r"^Låtsaskartellen \(")).check()
    page.get_by_role("button", name="Visa medlemmar och kontrollera").click()
    warning = page.locator("#warnings")
    assert warning.is_visible()
    assert "aktiv rivalitet" in warning.inner_text()
    assert page.locator("#override_reason").is_visible()

    boxes = page.locator("input[name=person]:not([disabled])")
    assert boxes.count() >= 2
    first_group = boxes.nth(0).get_attribute("value").split(":")[0]
    other = page.locator(f"input[name=person]:not([disabled]):not([value^='{first_group}:'])")
    boxes.nth(0).check()
    other.first.check()

    # Without a reason the warning stops the save.
    page.get_by_role("button", name="Bjud in de valda").click()
    assert page.locator("#override_reason-error").is_visible()
    # The warning and the error tied to its field pass axe too.
    assert run_axe(page, axe) == []
    page.fill(
        "#override_reason", "Båda grupperna måste höra budskapet samtidigt; polisen finns på plats."
    )
    page.get_by_role("button", name="Bjud in de valda").click()
    page.wait_for_url(re.compile(r"/callins/\d+(#invitations)?$"))
    assert "2 inbjudna" in page.locator(".flash").first.inner_text()

    # The meeting is a month away: attendance is refused until it has started
    # (tests/e2e_rules holds one once the clock has moved), and nothing changes.
    page.goto(f"{call_in_url}/attendance")
    card = page.locator(".attendance-card").first
    card_id = card.get_attribute("id")
    card.locator("button[value=attended]").click()
    # Saved in place (attendance.js): the refusal is said in the card's live region.
    card.locator(".save-status", has_text="Mötet har inte börjat än").wait_for()
    page.goto(f"{call_in_url}/attendance")
    assert (
        page.locator(f"#{card_id} button[value=attended]").get_attribute("aria-pressed") != "true"
    )


def test_outreach_worker_logs_an_offer_on_a_phone(browser: Any, base_url: str, axe: str) -> None:
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="sv-SE"
    )
    ctx.set_default_timeout(10_000)
    try:
        page = ctx.new_page()
        sign_in(page, base_url, "socialsekreterare")
        page.goto(f"{base_url}/cases")
        hrefs = page.locator("main a[href^='/cases/']").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))"
        )
        hrefs = [h for h in hrefs if re.fullmatch(r"/cases/\d+", h)]
        assert hrefs
        for href in hrefs:  # the first open case: closed ones take no new offers
            page.goto(f"{base_url}{href}")
            new_offer = page.get_by_role("link", name="Nytt erbjudande i ärendet")
            if new_offer.count():
                break
        else:
            raise AssertionError("no open defector case for the outreach worker")
        case_url = page.url
        code = page.locator("dd.code").first.inner_text().strip()
        new_offer.tap()
        page.wait_for_url(re.compile(r"/offers/new\?case=\d+$"))
        # The case and its person are filled in: the worker only picks the support.
        assert page.input_value("#person_code") == code
        assert page.input_value("#link") != "street_outreach"
        assert run_axe(page, axe) == []
        category = page.locator("#category option:not([value=''])").first.get_attribute("value")
        page.select_option("#category", value=category)
        page.fill("#notes", "E2E: erbjudande från telefonen")
        page.locator("main form button[type=submit]").tap()
        page.wait_for_url(re.compile(r"/offers/\d+$"))
        offer_path = page.url.removeprefix(base_url)
        assert page.locator(".flash").first.is_visible()
        # No sideways scrolling on the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto(case_url)
        assert page.locator(f"main a[href='{offer_path}']").count() >= 1
        assert run_axe(page, axe) == []
        # The task list works on the phone too.
        page.goto(f"{base_url}/tasks")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert run_axe(page, axe) == []
    finally:
        ctx.close()


def test_analyst_sees_the_network_without_identities(page: Any, base_url: str) -> None:
    from seeds.demo import demo_identities

    csp: list[str] = []
    page.on(
        "console",
        lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None,
    )
    bodies: list[str] = []

    def record(response: Any) -> None:
        kind = response.headers.get("content-type", "")
        if "json" in kind or "html" in kind:
            # A redirect or an aborted response has no body.
            with contextlib.suppress(Exception):
                bodies.append(response.text())

    page.on("response", record)
    sign_in(page, base_url, "analytiker")
    page.goto(f"{base_url}/network")
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(state="attached")
    assert plot.locator("svg, canvas").count() > 0
    page.wait_for_load_state("networkidle")
    assert csp == []
    text = page.inner_text("body")
    everything = [text, *bodies]
    for _code, name, pin in demo_identities():
        for secret in (name, pin, pin.replace("-", ""), pin[2:]):
            assert not any(secret in b for b in everything), secret


def test_language_switch_in_the_footer(page: Any, base_url: str, axe: str) -> None:
    sign_in(page, base_url, "polis")
    page.goto(f"{base_url}/people")
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{base_url}/people")
    assert page.get_attribute("html", "lang") == "en"
    nav = page.get_by_role("navigation", name="Main menu")
    assert nav.get_by_role("link", name="People").is_visible()
    assert nav.get_by_role("link", name="Incidents").is_visible()
    assert page.get_by_role("button", name="English").get_attribute("aria-pressed") == "true"
    assert run_axe(page, axe) == []
    for url in ("/", "/groups", "/network", "/callins", "/callins/calendar", "/tasks"):
        response = page.goto(f"{base_url}{url}")
        assert response is not None
        assert response.status == 200, url
        assert page.get_attribute("html", "lang") == "en"
    page.get_by_role("button", name="Svenska").click()
    page.wait_for_url(f"{base_url}/tasks")
    assert page.get_attribute("html", "lang") == "sv"
