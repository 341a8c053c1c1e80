"""Swedish by default, English by choice or by Accept-Language; Swedish formats."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jinja2 import Environment
from litestar.testing import AsyncTestClient

from gvi.i18n import (
    format_date,
    format_datetime,
    format_number,
    format_percent,
    gettext,
    ngettext,
    pick_language,
    set_language,
    template_gettext,
)
from tests.clients import csrf_from


async def test_swedish_by_default_and_english_from_the_browser(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    sv = await client.get("/login")
    assert '<html lang="sv">' in sv.text
    assert "Logga in" in sv.text
    en = await client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in en.text
    assert "Sign in" in en.text
    assert "Användarnamn" not in en.text


async def test_language_choice_is_remembered_over_the_browser(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    page = await client.get("/login")
    r = await client.post(
        "/language",
        data={"lang": "en", "next": "/login", "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/login"
    after = await client.get("/login", headers={"Accept-Language": "sv"})
    assert "Sign in" in after.text
    # Never an open redirect.
    evil = await client.post(
        "/language",
        data={"lang": "sv", "next": "//evil.example/", "csrf_token": csrf_from(after.text)},
        follow_redirects=False,
    )
    assert evil.headers["location"] == "/"


def test_pick_language() -> None:
    assert pick_language(None, "") == "sv"
    assert pick_language(None, "de-DE,en;q=0.5") == "en"
    assert pick_language(None, "en;q=0.4,sv;q=0.8") == "sv"
    assert pick_language("en", "sv") == "en"


def test_swedish_formats_in_stockholm_time() -> None:
    assert format_date(date(2024, 3, 9)) == "2024-03-09"
    assert format_datetime(datetime(2024, 7, 1, 12, 0, tzinfo=UTC)) == "2024-07-01 14:00"  # CEST
    assert format_datetime(datetime(2024, 1, 15, 12, 0, tzinfo=UTC)) == "2024-01-15 13:00"  # CET
    assert format_number(12345.5, 1) == "12\xa0345,5"
    assert format_percent(0.4513) == "45,1\xa0%"


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize(
    ("source", "variables"),
    [
        ('{{ _("Personer") }}', {}),
        ('{{ _("Ny person") }} & {{ _("Sök") }}', {}),
        # A catalogue message with a placeholder, given markup to escape.
        (
            '{{ _("Visar de %(n)s senaste. Kvittera dem eller välj en typ för att se fler.",'
            " n=v) }}",
            {"v": '<b>"5"</b>'},
        ),
        ('{{ _("Inte i katalogen: 100%% <b>fet</b> %(x)s", x=v) }}', {"v": "a&b"}),
        ('{% autoescape false %}{{ _("Rå: %(x)s", x=v) }}{% endautoescape %}', {"v": "<i>"}),
    ],
)
def test_the_templates_gettext_answers_as_the_i18n_extension_does(
    language: str, source: str, variables: dict[str, str]
) -> None:
    """``_`` in templates is :func:`gvi.i18n.template_gettext`, a shortcut past the
    extension's three context calls: same translation, same escaping, same
    ``%`` formatting, with and without autoescaping."""

    def env(shortcut: bool) -> Environment:
        e = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
        e.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
        if shortcut:
            e.globals["_"] = template_gettext
        return e

    set_language(language)
    try:
        ours = env(True).from_string(source).render(**variables)
        theirs = env(False).from_string(source).render(**variables)
    finally:
        set_language("sv")
    assert ours == theirs
    assert "<b>" not in ours.replace("<b>fet</b>", "")  # variables are escaped
