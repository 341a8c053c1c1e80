"""The one clock: "now" and "today" as Sweden's calendar sees them.

Every rule that asks "has it started yet", "is it overdue" or "what is today"
reads this module, so the whole app agrees on one day (Europe/Stockholm, not
the server's zone) and tests can move the clock in one place.

Tests move the clock with :func:`set_now` (in-process) or, for a separate
server process, with ``GVI_TEST_NOW`` (an ISO moment), honoured only when
``GVI_ENV=test``: a production server never reads a faked clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

# i18n formats every date in this zone at import already, so tzdata is a hard requirement.
STOCKHOLM = ZoneInfo("Europe/Stockholm")

_override: datetime | None = None


def _from_env() -> datetime | None:
    # Imported here: settings import nothing from gvi, and the clock must not pull in more.
    from gvi.settings import get_settings

    settings = get_settings()
    if settings.env != "test" or not settings.test_now:
        return None
    moment = datetime.fromisoformat(settings.test_now)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=STOCKHOLM)
    return moment.astimezone(UTC)


def now() -> datetime:
    """The current moment, aware, in UTC."""
    if _override is not None:
        return _override
    return _from_env() or datetime.now(tz=UTC)


def today() -> date:
    """Today's date in Sweden."""
    return local_day(now())


def local_day(moment: datetime) -> date:
    """The Swedish calendar day a moment falls on."""
    return moment.astimezone(STOCKHOLM).date()


def local_moment(day: date, clock: time) -> datetime:
    """A Swedish wall-clock time as an aware UTC datetime (DST as the calendar says)."""
    return datetime.combine(day, clock, tzinfo=STOCKHOLM).astimezone(UTC)


def set_now(moment: datetime | None) -> None:
    """Tests only: freeze the clock at ``moment`` (aware), or release it with ``None``."""
    global _override
    if moment is not None and moment.tzinfo is None:
        raise ValueError("set_now needs an aware datetime")
    _override = None if moment is None else moment.astimezone(UTC)
