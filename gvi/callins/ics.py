"""A call-in as an iCalendar (.ics) event, for the coordinators' calendars.

Times are written in Europe/Stockholm (``DTSTART;TZID=Europe/Stockholm``) with the
zone's VTIMEZONE, so a calendar shows the meeting at the Swedish wall-clock time
on both sides of a daylight-saving change. The event carries what a calendar
needs and nothing about people: no invitees, no speakers, no message.

Pure: icalendar and the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event

from gvi.core.clock import STOCKHOLM
from gvi.core.text import strip_for_xml

PRODID = "-//Sluta skjut//GVI-stöd//SV"
# A UID needs a domain: the installation's host name (GVI_PUBLIC_HOST, else the
# first of GVI_ALLOWED_HOSTS; Settings.host_name), the same as the calendar
# feed's (gvi/tokens/feed.py), so a calendar holding both sees one event.


@dataclass(frozen=True)
class CallInEvent:
    id: int
    version: int
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    municipality: str
    cancelled: bool = False


def uid(call_in_id: int, domain: str) -> str:
    return f"call-in-{call_in_id}@{domain}"


def callin_calendar(event: CallInEvent, *, uid_domain: str, now: datetime | None = None) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    ev = Event()
    ev.add("uid", uid(event.id, uid_domain))
    ev.add("dtstamp", (now or datetime.now(tz=UTC)).astimezone(UTC))
    ev.add("dtstart", event.starts_at.astimezone(STOCKHOLM))
    ev.add("dtend", event.ends_at.astimezone(STOCKHOLM))
    # RFC 5545 allows no control characters; rows from before they were refused.
    ev.add("summary", strip_for_xml(event.title))
    ev.add("location", strip_for_xml(", ".join(p for p in (event.venue, event.municipality) if p)))
    ev.add("sequence", max(0, event.version - 1))
    ev.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    ev.add("class", "CONFIDENTIAL")
    cal.add_component(ev)
    cal.add_missing_timezones()
    body: bytes = cal.to_ical()
    return body
