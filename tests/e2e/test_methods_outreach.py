"""Issue 22 in the browser, on a phone: an outreach worker logs an information
activity, adds a method with scientific support to the joint unit's catalogue,
logs an offer that names it and starts it, and the figures count both."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.e2e.support import sign_in

PHONE = {"width": 390, "height": 844}
METHOD = "Funktionell familjeterapi (FFT, e2e)"


def _table(page: Any, base: str, figure: str) -> dict[tuple[str, Any], dict[str, Any]]:
    """The figure's rows this year as the API answers them, by (municipality, year or channel)."""
    year = date.today().year
    answer = page.request.get(f"{base}/api/v1/reports/{figure}?year={year}")
    assert answer.status == 200, answer.text()
    rows = answer.json()["table"]["rows"]
    key = "label" if figure == "reach" else "year"
    return {(r["municipality"], r[key]): r for r in rows}


def test_reach_and_a_method_with_scientific_support_reach_the_figures(
    page: Any, base_url: str, tmp_path: Any
) -> None:
    sign_in(page, base_url, "socialsekreterare")
    page.set_viewport_size(PHONE)
    reach_before = _table(page, base_url, "reach")
    methods_before = _table(page, base_url, "methods")

    # The outreach log: a word where a number belongs is refused, the form kept.
    page.goto(f"{base_url}/outreach/new")
    page.select_option("#channel", "school")
    page.select_option("#municipality_id", label="Järfälla")
    page.fill("#people_reached", "många")
    page.fill("#title", "Föräldramöte på gymnasiet")
    page.click("main button[type=submit]")
    assert page.locator("#title").input_value() == "Föräldramöte på gymnasiet"
    assert page.locator("#people_reached-error").count() == 1
    page.fill("#people_reached", "23")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/outreach")
    assert "Aktiviteten är sparad i loggen." in page.content()
    assert "Föräldramöte på gymnasiet" in page.content()

    # The method catalogue: scientific support needs its source.
    page.goto(f"{base_url}/methods/new")
    page.select_option("#unit_id", label="Avhopparverksamheten Nordväst (demo)")
    page.fill("#name", METHOD)
    page.select_option("#evidence", "scientific")
    page.click("main button[type=submit]")
    assert "Ange källan till bedömningen av vetenskapligt stöd" in page.content()
    assert page.locator("#name").input_value() == METHOD
    page.fill("#evidence_source", "SBU:s rapport om familjebehandling")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/methods/*")
    assert "Metoden är sparad i katalogen." in page.content()

    # An offer that names the method, accepted and started the same day.
    people = page.request.get(f"{base_url}/api/v1/people?page=1").json()["items"]
    person = next(p for p in people if p["municipality"] == "Järfälla" and not p["protected"])
    page.goto(f"{base_url}/offers/new")
    page.fill("#person_code", person["code"])
    page.select_option("#category", "family_support")
    method_option = page.locator("#method_id option", has_text=METHOD)
    page.select_option("#method_id", method_option.get_attribute("value"))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/offers/*")
    assert f"{METHOD}</a> (Vetenskapligt stöd)" in page.content()
    page.click("button[value=accepted]")
    page.click("button[value=started]")
    assert "Påbörjad" in page.content()

    # The figures: one more started intervention with scientific support in
    # Järfälla this year, and 23 more people reached through the school.
    year = date.today().year
    reach_after = _table(page, base_url, "reach")
    methods_after = _table(page, base_url, "methods")
    school = ("Järfälla", "Skolan")
    assert reach_after[school]["reached"] == reach_before.get(school, {}).get("reached", 0) + 23
    here = ("Järfälla", year)
    was = methods_before.get(here, {"started": 0, "scientific": 0})
    assert methods_after[here]["started"] == was["started"] + 1
    assert methods_after[here]["scientific"] == was["scientific"] + 1
    page.goto(f"{base_url}/reports?year={year}")
    assert "Påbörjade insatser med vetenskapligt stöd per kommun och år" in page.content()
    assert "Nåbarhetstrappan" in page.content()
    page.screenshot(path=str(tmp_path / "reports.png"), full_page=True)
