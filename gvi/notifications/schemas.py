"""API bodies of /api/v1/notifications."""

from __future__ import annotations

from datetime import date

import msgspec


class NotificationOut(msgspec.Struct):
    id: int
    person_id: int
    person_code: str
    municipality: str
    delivered_on: date
    delivered_by: str
    outcome: str
    follow_up_due: date | None


class NotificationPage(msgspec.Struct):
    items: list[NotificationOut]
    total: int
    page: int
    page_size: int


class NotificationDetailOut(msgspec.Struct):
    id: int
    version: int
    person_id: int
    person_code: str
    municipality: str
    delivered_on: date
    delivered_by: str
    outcome: str
    offer_made: str
    follow_up_due: date | None
    task_ids: list[int]


class NotificationIn(msgspec.Struct):
    person_code: str
    delivered_on: date
    delivered_by: str
    outcome: str
    offer_made: str = ""
    follow_up_days: int = 7
    # The held call-in whose message and promises the notification carries.
    call_in_id: int | None = None


class OutcomeIn(msgspec.Struct):
    version: int
    outcome: str
    delivered_on: date
    delivered_by: str
    offer_made: str = ""
    follow_up_days: int = 7
