"""The one clock: today is Sweden's day, and tests can move it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from gvi.core import clock
from gvi.settings import Settings
from tests.conftest import MovableClock


def test_today_is_swedish_day_not_utc(move_clock: MovableClock) -> None:
    # 23:30 UTC on 31 Dec is already 1 Jan in Stockholm (UTC+1 in winter).
    move_clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert clock.today() == date(2027, 1, 1)
    assert clock.local_day(clock.now()) == date(2027, 1, 1)


def test_every_domain_today_is_the_clock(move_clock: MovableClock) -> None:
    from gvi.defectors import services as defectors
    from gvi.groups import services as groups
    from gvi.incidents import forms
    from gvi.networks import services as networks

    move_clock.set(datetime(2026, 6, 30, 22, 30, tzinfo=UTC))  # 00:30 on 1 July in Sweden
    for fn in (defectors.today, groups.today, forms.today, networks.today):
        assert fn() == date(2026, 7, 1)


def test_naive_override_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        clock.set_now(datetime(2026, 1, 1))


def test_env_override_only_in_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GVI_TEST_NOW", "2030-01-01T12:00")
    monkeypatch.setenv("GVI_ENV", "production")
    assert Settings.from_env().test_now == ""
    monkeypatch.setenv("GVI_ENV", "test")
    assert Settings.from_env().test_now == "2030-01-01T12:00"
