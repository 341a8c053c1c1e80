"""The network over time in a real browser (demo data): the as-of slider and the
filter form redraw in place without a page reload and keep the address shareable
(back and forward restore), the timeline page on a desktop and a phone, the same
pages without JavaScript, and axe on each state."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.e2e.support import run_axe, settled, sign_in

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
NO_RELOAD = "window.__sameDocument = true"


def _drawn(page: Any, figure_id: str) -> None:
    page.wait_for_selector(f"#{figure_id}.js-plotly-plot .main-svg")
    page.wait_for_function(
        f"() => document.querySelector('[data-figure-status=\"{figure_id}\"]').textContent === ''"
    )


def _as_of(page: Any) -> str:
    return parse_qs(urlsplit(page.url).query).get("as_of", [""])[0]


def _watch_csp(page: Any) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda m: found.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: found.append(f"pageerror: {e}"))
    return found


def test_slider_redraws_in_place_and_history_restores(page: Any, base_url: str, axe: str) -> None:
    csp = _watch_csp(page)
    sign_in(page, base_url, "polis")
    page.goto(f"{base_url}/network")
    _drawn(page, "network-figure")
    slider = page.locator("#as_of_step")
    assert slider.is_visible()
    assert page.get_by_label("Tidsreglage (månad för månad)").count() == 1
    steps = slider.get_attribute("data-steps").split(",")
    assert len(steps) > 2
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", s) for s in steps)
    assert all(s.endswith("-01") for s in steps[1:-1])  # monthly stops
    page.evaluate(NO_RELOAD)

    # The keyboard moves it: Home is the first month of the data.
    slider.focus()
    page.keyboard.press("Home")
    page.wait_for_function(f"() => location.search.includes('as_of={steps[0]}')")
    settled(page)
    _drawn(page, "network-figure")
    assert slider.get_attribute("aria-valuetext") == steps[0]
    assert page.input_value("#as_of") == steps[0]
    assert steps[0] in page.inner_text("[data-live=summary]")
    assert page.evaluate("document.activeElement.id") == "as_of_step"  # focus stays
    first_summary = page.inner_text("[data-live=summary]")

    page.keyboard.press("End")
    page.wait_for_function(f"() => location.search.includes('as_of={steps[-1]}')")
    settled(page)
    assert steps[-1] in page.inner_text("[data-live=summary]")
    assert page.evaluate("window.__sameDocument") is True  # no page load in between
    # The export links follow the filter.
    assert f"as_of={steps[-1]}" in page.get_attribute("[data-live=exports] a", "href")
    assert run_axe(page, axe) == []

    # Back restores the earlier date: address, form, slider, figure and tables.
    page.go_back()
    page.wait_for_function(f"() => location.search.includes('as_of={steps[0]}')")
    settled(page)
    _drawn(page, "network-figure")
    assert page.inner_text("[data-live=summary]") == first_summary
    assert page.input_value("#as_of") == steps[0]
    assert page.input_value("#as_of_step") == "0"
    page.go_forward()
    page.wait_for_function(f"() => location.search.includes('as_of={steps[-1]}')")
    settled(page)
    assert page.evaluate("window.__sameDocument") is True
    # The address is shareable: opened afresh it shows the same.
    shared = page.url
    page.goto(shared)
    _drawn(page, "network-figure")
    assert steps[-1] in page.inner_text("[data-live=summary]")
    assert csp == []


def test_slider_on_a_phone_redraws_in_place_by_touch(browser: Any, base_url: str, axe: str) -> None:
    ctx = browser.new_context(**PHONE, locale="sv-SE")
    ctx.set_default_timeout(10_000)
    try:
        page = ctx.new_page()
        sign_in(page, base_url, "analytiker")
        page.goto(f"{base_url}/network")
        _drawn(page, "network-figure")
        slider = page.locator("#as_of_step")
        slider.scroll_into_view_if_needed()
        box = slider.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390  # the whole slider on the screen
        steps = slider.get_attribute("data-steps").split(",")
        page.evaluate(NO_RELOAD)
        # A tap at the slider's left end is the first month of the data.
        page.touchscreen.tap(box["x"] + 1, box["y"] + box["height"] / 2)
        page.wait_for_function(f"() => location.search.includes('as_of={steps[0]}')")
        settled(page)
        _drawn(page, "network-figure")
        assert page.input_value("#as_of") == steps[0]
        assert steps[0] in page.inner_text("[data-live=summary]")
        assert page.evaluate("window.__sameDocument") is True  # no page load
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert run_axe(page, axe) == []
    finally:
        ctx.close()


def test_filter_form_redraws_without_reload(page: Any, base_url: str) -> None:
    sign_in(page, base_url, "analytiker")
    page.goto(f"{base_url}/network")
    _drawn(page, "network-figure")
    page.evaluate(NO_RELOAD)
    page.uncheck("#kind-rivalry")
    page.click("form[data-live-form] button[type=submit]")
    page.wait_for_function("() => location.search.includes('kinds=')")
    settled(page)
    assert "rivalry" not in parse_qs(urlsplit(page.url).query)["kinds"]
    assert page.evaluate("window.__sameDocument") is True
    assert "0 rivaliteter" in page.inner_text("[data-live=summary]")
    names = page.evaluate("document.getElementById('network-figure')._fullData.map(t => t.name)")
    assert "Rivalitet" not in names


def test_without_javascript_the_form_still_works(browser: Any, base_url: str) -> None:
    ctx = browser.new_context(java_script_enabled=False, locale="sv-SE")
    ctx.set_default_timeout(10_000)
    try:
        page = ctx.new_page()
        # Signing in needs no script either.
        sign_in(page, base_url, "analytiker")
        page.goto(f"{base_url}/network")
        assert not page.locator("[data-as-of-slider]").is_visible()
        page.fill("#as_of", "2024-01-15")
        page.click("form.network-filters button[type=submit]")
        page.wait_for_url(re.compile(r"as_of=2024-01-15"))
        assert "2024-01-15" in page.inner_text("main")
        page.goto(f"{base_url}/network/timeline")
        assert page.locator("#timeline-groups").count() == 1
    finally:
        ctx.close()


def _timeline(page: Any, base_url: str, username: str, axe: str) -> list[str]:
    sign_in(page, base_url, username)
    page.goto(f"{base_url}/network")
    page.click("main a[href^='/network/timeline']")
    page.wait_for_url(re.compile(r"/network/timeline"))
    _drawn(page, "timeline-figure")
    assert run_axe(page, axe) == []
    names: list[str] = page.evaluate(
        "document.getElementById('timeline-figure')._fullData.map(t => t.name)"
    )
    # One line per group (a row each), relations as spans.
    ticks = page.evaluate(
        "document.getElementById('timeline-figure')._fullLayout.yaxis.ticktext.length"
    )
    rows = page.locator("#timeline-groups + .table-wrap tbody tr").count()
    assert ticks == rows > 0
    assert {"Grupp", "Allians", "Rivalitet"} <= set(names)
    # The change between dates is one link away, with the timeline's span.
    link = page.locator("a", has_text="Jämför två datum")
    href = link.get_attribute("href")
    assert "diff_from=" in href
    assert "diff_to=" in href
    link.click()
    page.wait_for_url(re.compile(r"/network/analyses\?.*diff_from="))
    assert page.locator("a[href^='/network/timeline']").count() >= 1
    return names


def test_timeline_on_a_desktop_shows_incidents_to_the_police(
    page: Any, base_url: str, axe: str
) -> None:
    csp = _watch_csp(page)
    names = _timeline(page, base_url, "polis", axe)
    assert "Händelse" in names
    assert csp == []


def test_timeline_on_a_phone_without_incidents_for_the_analyst(
    browser: Any, base_url: str, axe: str
) -> None:
    ctx = browser.new_context(**PHONE, locale="sv-SE")
    ctx.set_default_timeout(10_000)
    try:
        page = ctx.new_page()
        names = _timeline(page, base_url, "analytiker", axe)
        assert "Händelse" not in names
        page.go_back()
        _drawn(page, "timeline-figure")
        assert "Händelser visas bara" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # The kinds filter redraws the timeline in place on the phone as well.
        page.evaluate(NO_RELOAD)
        page.uncheck("#kind-alliance")
        page.locator("form[data-live-form] button[type=submit]").tap()
        page.wait_for_function("() => location.search.includes('kinds=')")
        settled(page)
        _drawn(page, "timeline-figure")
        names = page.evaluate(
            "document.getElementById('timeline-figure')._fullData.map(t => t.name)"
        )
        assert "Allians" not in names
        assert page.evaluate("window.__sameDocument") is True
        assert run_axe(page, axe) == []
    finally:
        ctx.close()


def test_report_filters_redraw_the_charts_in_place(page: Any, base_url: str, axe: str) -> None:
    sign_in(page, base_url, "analytiker")
    page.goto(f"{base_url}/reports")
    first = page.locator("[data-report-figure]").first
    chart = first.get_attribute("id")
    _drawn(page, chart)
    page.evaluate(NO_RELOAD)
    page.fill("#year", "2025")
    page.click("form[data-live-form] button[type=submit]")
    page.wait_for_function("() => location.search.includes('year=2025')")
    settled(page)
    _drawn(page, chart)
    assert page.evaluate("window.__sameDocument") is True
    # Empty fields stay out of the address; the charts and exports follow the filter.
    assert "date_from" not in page.url
    assert "year=2025" in page.get_attribute(f"#{chart}", "data-figure-src")
    assert "year=2025" in page.get_attribute("[data-live=reports] .report-exports a", "href")
    assert run_axe(page, axe) == []
