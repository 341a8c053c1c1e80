"""Numbers, percentages, dates and chart separators follow the request's language."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from gvi import i18n
from gvi.reports.charts import ChartSpec, figure

T = TypeVar("T")


def _in(language: str, fn: Callable[[], T]) -> T:
    def run() -> T:
        i18n.set_language(language)
        return fn()

    return contextvars.copy_context().run(run)


def test_swedish_and_english_formats() -> None:
    def shown() -> tuple[str, str, str, str]:
        return (
            i18n.format_number(12345.5, 1),
            i18n.format_number(0.231, 3),
            i18n.format_percent(0.4513),
            i18n.format_date(date(2024, 3, 9)),
        )

    assert _in("sv", shown) == ("12\xa0345,5", "0,231", "45,1\xa0%", "2024-03-09")
    assert _in("en", shown) == ("12,345.5", "0.231", "45.1\xa0%", "09/03/2024")


def test_charts_separate_decimals_as_the_text_does() -> None:
    def separators() -> str:
        fig = figure("T", [{"x": "a", "y": 6.5}], ChartSpec(x="x", series=("y",)), {})
        return str(fig["layout"]["separators"])

    assert _in("sv", separators) == ",\xa0"
    assert _in("en", separators) == ".,"


def test_the_template_filters_are_registered() -> None:
    from gvi.app import _template_config
    from gvi.settings import get_settings

    env = _template_config(get_settings()).engine_instance.engine
    html = env.from_string("{{ 0.231|num(3) }} {{ 0.5|pct }} {{ d|date }}").render(
        d=date(2024, 3, 9)
    )
    assert html == "0,231 50,0\xa0% 2024-03-09"
