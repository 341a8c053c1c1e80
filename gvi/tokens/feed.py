"""The calendar feed: call-ins of the owner's current scope as one iCalendar file.

What a subscribed calendar gets is what the call-in's own .ics export carries
(gvi/callins/ics.py): title, time, place, municipality, status. Never invitees,
speakers, the message, person codes or notes. Event UIDs end in the
installation's host name (``GVI_PUBLIC_HOST``, else the first of
``GVI_ALLOWED_HOSTS``), so two installations never share a UID.

No Litestar here: the route (gvi/tokens/controllers.py) checks the address and
the rate; this module queries and writes the calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.callins.ics import PRODID, CallInEvent
from gvi.callins.services import callin_scope
from gvi.callins.tables import CallIn
from gvi.core.text import strip_for_xml
from gvi.incidents.forms import STOCKHOLM

# A calendar wants what is coming and a little of what was; older meetings
# would only make every refresh bigger.
PAST_DAYS = 90
MAX_EVENTS = 1000


def feed_uid(call_in_id: int, domain: str) -> str:
    return f"call-in-{call_in_id}@{domain}"


def feed_calendar(
    events: Sequence[CallInEvent], *, uid_domain: str, name: str, now: datetime | None = None
) -> bytes:
    """Pure: the events as one VCALENDAR with the zone's VTIMEZONE."""
    stamp = (now or datetime.now(tz=UTC)).astimezone(UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", strip_for_xml(name))
    # How often a subscribing calendar should fetch again (Outlook and Apple read these).
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for event in events:
        ev = Event()
        ev.add("uid", feed_uid(event.id, uid_domain))
        ev.add("dtstamp", stamp)
        ev.add("dtstart", event.starts_at.astimezone(STOCKHOLM))
        ev.add("dtend", event.ends_at.astimezone(STOCKHOLM))
        ev.add("summary", strip_for_xml(event.title))
        place = ", ".join(p for p in (event.venue, event.municipality) if p)
        ev.add("location", strip_for_xml(place))
        ev.add("sequence", max(0, event.version - 1))
        ev.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
        ev.add("class", "CONFIDENTIAL")
        cal.add_component(ev)
    cal.add_missing_timezones()
    body: bytes = cal.to_ical()
    return body


async def feed_events(principal: Principal) -> list[CallInEvent]:
    """Call-ins in the principal's scope from PAST_DAYS ago on, soonest first."""
    if not principal.can(Permission.callins_read):
        return []
    since = datetime.now(tz=UTC) - timedelta(days=PAST_DAYS)
    rows = (
        await CallIn.select(
            CallIn.id,
            CallIn.version,
            CallIn.title,
            CallIn.starts_at,
            CallIn.ends_at,
            CallIn.venue,
            CallIn.status,
            CallIn.municipality.name.as_alias("municipality_name"),
        )
        .where(callin_scope(principal) & (CallIn.ends_at >= since))
        .order_by(CallIn.starts_at)
        .limit(MAX_EVENTS)
    )
    return [
        CallInEvent(
            id=r["id"],
            version=r["version"],
            title=r["title"],
            starts_at=r["starts_at"],
            ends_at=r["ends_at"],
            venue=r["venue"],
            municipality=r["municipality_name"] or "",
            cancelled=r["status"] == CallIn.Status.cancelled,
        )
        for r in rows
    ]
