"""Issue 16: a call-in's whole road to an intervention, in a real browser, with the
app's clock moved between the planning and the meeting.

The coordinator plans a call-in two days ahead in Järfälla and invites one member
of each of three groups (past a rivalry warning, with a reason); marking it held
early is refused. The server is then restarted on the same database with its
clock (``GVI_TEST_NOW``) after the meeting's start: the coordinator holds it and
records attendance; the outreach worker logs an offer from the call-in for an
attendee, opens the attendee's defector case, links the offer in one step and
takes the case through its gated statuses (each gate refused first, with its
message, then passed) to Insatser, starts the offer and records a follow-up.
The figures for Järfälla in the call-in's year (no demo data lies there) show
exactly what the test did.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.e2e.support import settled, sign_in
from tests.servers import running_app

# Europe/Stockholm moments: the call-in starts between them.
BEFORE = "2031-03-10T09:00:00+01:00"
AFTER = "2031-03-12T19:30:00+01:00"
DAY = "2031-03-12"
YEAR = "2031"
GROUPS = ("Demoligan", "Exempelnätverket Väst", "Exempelnätverket Splittrat")


@contextmanager
def app_at(moment: str) -> Iterator[str]:
    """The app on the test database with its clock standing at *moment*."""
    with running_app({"GVI_ENV": "test", "GVI_TEST_NOW": moment}) as base:
        yield base


@contextmanager
def signed_in(browser: Any, base: str, username: str) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    ctx.set_default_timeout(10_000)
    try:
        page = ctx.new_page()
        sign_in(page, base, username)
        yield page
    finally:
        ctx.close()


def flash(page: Any) -> str:
    return str(page.locator(".flash").first.inner_text())


def fact(page: Any, label: str) -> str:
    return str(page.locator(f"dl.facts dt:text-is('{label}') + dd").first.inner_text()).strip()


def report_rows(page: Any, name: str) -> list[dict[str, str]]:
    table = page.locator(f"#table-{name}")
    heads = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    rows = []
    for tr in table.locator("tbody tr").all():
        cells = [c.strip() for c in tr.locator("th, td").all_inner_texts()]
        rows.append(dict(zip(heads, cells, strict=True)))
    return rows


def case_links(page: Any, base: str, code: str) -> list[str]:
    """The cases the signed-in user finds for a person code."""
    page.goto(f"{base}/cases?q={code}")
    hrefs = page.locator("main a[href^='/cases/']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    return [h for h in hrefs if re.fullmatch(r"/cases/\d+", h)]


def figures_for(page: Any, base: str) -> None:
    """The figures page filtered, through its form, to Järfälla in the call-in's year."""
    page.goto(f"{base}/reports")
    page.get_by_label("Järfälla", exact=True).check()
    page.fill("#year", YEAR)
    page.locator("form.report-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"/reports\?.*year=" + YEAR))
    settled(page)  # the URL is pushed before the new tables are swapped in
    assert page.locator("h1").first.inner_text() != "Felaktiga uppgifter"


def move_case(page: Any, target: str) -> None:
    page.get_by_role("button", name=f"Vidare till {target}").click()
    page.wait_for_load_state()


def case_status(page: Any) -> str:
    return fact(page, "Status")


def test_callin_held_to_intervention_and_figures(browser: Any) -> None:
    # --- 1-2: plan, invite from three groups, refused to hold early ----------------
    with app_at(BEFORE) as base, signed_in(browser, base, "samordnare") as page:
        page.goto(f"{base}/callins/new")
        page.fill("#title", "E2E-regler Järfälla")
        page.fill("#day", DAY)
        page.fill("#start", "17:00")
        page.fill("#end", "19:00")
        page.fill("#venue", "Kulturhuset (demo)")
        jarfalla = page.locator("#municipality option", has_text="Järfälla").first
        page.select_option("#municipality", value=jarfalla.get_attribute("value"))
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"/callins/\d+$"))
        call_in_path = page.url.removeprefix(base)
        call_in_id = call_in_path.rsplit("/", 1)[1]

        page.goto(f"{base}{call_in_path}/invite")
        for name in GROUPS:
            page.get_by_label(re.compile(rf"^{re.escape(name)} \(")).check()
        page.get_by_role("button", name="Visa medlemmar och kontrollera").click()
        warning = page.locator("#warnings")
        assert "aktiv rivalitet" in warning.inner_text()
        group_ids = [
            page.get_by_label(re.compile(rf"^{re.escape(name)} \(")).get_attribute("value")
            for name in GROUPS
        ]
        invited: dict[str, str] = {}  # code -> group id
        for gid in group_ids:
            boxes = page.locator(f"input[name=person]:not([disabled])[value^='{gid}:']")
            for i in range(boxes.count()):
                box = boxes.nth(i)
                label = page.locator(f"label[for='{box.get_attribute('id')}']").inner_text()
                code = label.split(" ", 1)[0]
                if "skyddade uppgifter" in label or code in invited:
                    continue
                box.check()
                invited[code] = gid
                break
        assert len(invited) == 3, invited
        page.fill("#override_reason", "Alla tre grupperna måste höra budskapet; polis på plats.")
        page.get_by_role("button", name="Bjud in de valda").click()
        page.wait_for_url(re.compile(r"/callins/\d+(#invitations)?$"))
        assert "3 inbjudna" in flash(page)

        # Marking it held before it starts is refused, and nothing changes.
        page.get_by_role("button", name="Markera som genomfört").click()
        error = page.locator("#status-status-error")
        assert "Mötet har inte börjat än" in error.inner_text()
        page.goto(f"{base}{call_in_path}")
        assert fact(page, "Status") == "Planerad"
        assert page.get_by_role("button", name="Markera som genomfört").count() == 1
        # Attendance is refused too before the start.
        page.goto(f"{base}{call_in_path}/attendance")
        page.locator(".attendance-card").first.locator("button[value=attended]").click()
        assert "Mötet har inte börjat än" in page.locator(".attendance .field-error").inner_text()
        page.goto(f"{base}{call_in_path}/attendance")
        assert page.locator(".attendance-card.status-invited").count() == 3

        # Who of them has no defector case yet (the outreach worker's case list)?
        with signed_in(browser, base, "socialsekreterare") as outreach:
            without_case = [c for c in invited if not case_links(outreach, base, c)]
        assert without_case, invited

    # The one who gets a case from this call-in comes; so does one more; one does not.
    person = without_case[0]
    others = [c for c in invited if c != person]
    attendees = [person, others[0]]
    codes = [*attendees, others[1]]

    # --- 3-4: the day comes; held, attendance ---------------------------------------
    with app_at(AFTER) as base, signed_in(browser, base, "samordnare") as coord:
        coord.goto(f"{base}{call_in_path}/attendance")
        for code in codes:
            card = coord.locator(".attendance-card", has=coord.locator(f"strong:text-is('{code}')"))
            value = "attended" if code in attendees else "no_show"
            card.locator(f"button[value={value}]").click()
            # Saved in place (attendance.js): the card's live region says so.
            card.locator(".save-status", has_text="Närvaron är sparad").wait_for()
            card = coord.locator(".attendance-card", has=coord.locator(f"strong:text-is('{code}')"))
            assert card.locator(f"button[value={value}]").get_attribute("aria-pressed") == "true"
        coord.goto(f"{base}{call_in_path}")
        coord.get_by_role("button", name="Markera som genomfört").click()
        coord.wait_for_url(re.compile(rf"{call_in_path}$"))
        assert flash(coord).startswith("Mötet är markerat som genomfört. 3 uppgifter skapades")
        assert fact(coord, "Status") == "Genomförd"

        # --- 5-8: the outreach worker: offer, case, gates, follow-up ----------------
        with signed_in(browser, base, "socialsekreterare") as page:
            page.goto(f"{base}/offers/new")
            page.fill("#person_code", person)
            page.select_option("#link", value=f"call_in:{call_in_id}")
            category = page.locator("#category option:not([value=''])").first
            category_label = category.inner_text().strip()
            page.select_option("#category", value=category.get_attribute("value"))
            page.fill("#notes", "E2E: erbjudande efter call-in")
            page.click("main form button[type=submit]")
            page.wait_for_url(re.compile(r"/offers/\d+$"))
            offer_path = page.url.removeprefix(base)
            assert flash(page).startswith("Erbjudandet är registrerat")

            # The attendee has no case yet: open one through the page.
            page.goto(f"{base}/cases?q={person}")
            page.goto(f"{base}/cases/new")
            page.fill("#person_code", person)
            unit = page.locator("#unit_id option", has_text="Socialtjänsten Järfälla").first
            page.select_option("#unit_id", value=unit.get_attribute("value"))
            home = page.locator("#municipality_id option", has_text="Järfälla").first
            page.select_option("#municipality_id", value=home.get_attribute("value"))
            referral = page.locator("#referral_source option:not([value=''])").first
            page.select_option("#referral_source", value=referral.get_attribute("value"))
            page.click("main form button[type=submit]")
            page.wait_for_url(re.compile(r"/cases/\d+$"))
            case_url = page.url
            assert case_status(page) == "Kontakt"
            assert page.locator("dd.code").first.inner_text().strip() == person

            # 6: the offer from the call-in is listed, linked in one step.
            linkable = page.locator(
                "#interventions li", has=page.locator(f"a[href='{offer_path}']")
            )
            assert "call-in" in linkable.inner_text().lower()
            linkable.get_by_role("button", name="Koppla till ärendet").click()
            page.wait_for_url(re.compile(r"/cases/\d+(#.*)?$"))
            table = page.locator("#interventions table")
            assert table.locator(f"a[href='{offer_path}']").count() == 1
            assert page.locator("#interventions li").count() == 0

            # 7: the gated statuses.
            move_case(page, "Motivationsbedömning")
            move_case(page, "Samtycke")
            assert case_status(page) == "Samtycke"
            move_case(page, "Riskbedömning")
            assert (
                "Ärendet kan inte lämna Samtycke: inget samtycke gäller"
                in page.locator("#status-to_status-error").inner_text()
            )
            page.goto(case_url)
            assert case_status(page) == "Samtycke"
            agency = page.locator("#consent-agency option:not([value=''])").first
            page.select_option("#consent-agency", value=agency.get_attribute("value"))
            page.fill("#consent-given_on", DAY)
            page.get_by_role("button", name="Registrera samtycke").click()
            page.wait_for_load_state()
            assert page.locator("#consents ul.records li").count() == 1
            move_case(page, "Riskbedömning")
            assert case_status(page) == "Riskbedömning"

            move_case(page, "Utredning och beslut")
            assert (
                "Ärendet kan inte lämna Riskbedömning: ingen hotbildsbedömning"
                in page.locator("#status-to_status-error").inner_text()
            )
            page.goto(case_url)
            assert case_status(page) == "Riskbedömning"
            page.select_option("#edit-threat_level", value="medium")
            page.fill("#edit-threat_assessed_on", DAY)
            page.get_by_role("button", name="Spara bedömningar").click()
            page.wait_for_load_state()
            move_case(page, "Utredning och beslut")
            assert case_status(page) == "Utredning och beslut"

            move_case(page, "Överenskommelse")
            assert (
                "socialtjänstens beslut om stöd (behovsbedömningen) saknas"
                in page.locator("#status-to_status-error").inner_text()
            )
            page.goto(case_url)
            assert case_status(page) == "Utredning och beslut"
            page.select_option("#edit-social_services_eligible", value="true")
            page.get_by_role("button", name="Spara bedömningar").click()
            page.wait_for_load_state()
            move_case(page, "Överenskommelse")
            assert case_status(page) == "Överenskommelse"
            move_case(page, "Insatser")
            assert case_status(page) == "Insatser"
            assert fact(page, "Ledde till insats").startswith("Nej")

            # The offer accepted and started: the case led to an intervention.
            page.goto(f"{base}{offer_path}")
            for target in ("accepted", "started"):
                page.locator(f"button[name=to_status][value={target}]").click()
                page.wait_for_url(re.compile(rf"{offer_path}(#.*)?$"))
            assert fact(page, "Status") == "Påbörjad"
            page.goto(case_url)
            assert fact(page, "Ledde till insats").startswith("Ja")

            # 8: a follow-up, every area "Okänd" unless told otherwise.
            page.locator("#follow-ups summary").click()
            phase = page.locator("#followup-phase option:not([value=''])").first
            page.select_option("#followup-phase", value=phase.get_attribute("value"))
            page.fill("#followup-follow_up_on", DAY)
            areas = page.locator("#follow-ups select[id^='followup-']:not(#followup-phase)")
            n_areas = areas.count()
            assert n_areas > 0
            for i in range(n_areas):
                sel = areas.nth(i)
                assert sel.locator("option:checked").inner_text().strip() == "Okänd"
            page.get_by_role("button", name="Spara uppföljningen").click()
            page.wait_for_load_state()
            rows = page.locator("#follow-ups tbody tr")
            assert rows.count() == 1
            assert rows.first.inner_text().count("Okänd") == n_areas

            # --- 9: the figures for Järfälla in the call-in's year (no demo data there)
            figures_for(page, base)
            cases = report_rows(page, "cases")
            assert [
                (r["Kommun"], r["År"], r["Ärenden"], r["Ledde till insats"]) for r in cases
            ] == [("Järfälla", YEAR, "1", "1")]
            offers = report_rows(page, "offers")
            assert [
                (r["Kategori"], r["Erbjudna"], r["Accepterade"], r["Genomförda"]) for r in offers
            ] == [(category_label, "1", "1", "0")]
            outcomes = report_rows(page, "outcomes")
            assert len(outcomes) == n_areas
            for r in outcomes:
                assert (r["Bra"], r["Delvis"], r["Dåligt"], r["Okänt"]) == ("0", "0", "0", "1"), r

        # The coordinator's figures: exactly this call-in, held, 3 invited, 2 came.
        page = coord
        figures_for(page, base)
        callins = report_rows(page, "callins")
        assert callins == [
            {
                "År": YEAR,
                "Genomförda": "1",
                "Inbjudna": "3",
                "Närvarande": "2",
                "Andel närvarande": "66,7\xa0%",
                "Grupper som nåtts": str(len({invited[c] for c in attendees})),
            }
        ]
