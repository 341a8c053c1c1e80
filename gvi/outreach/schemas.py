"""API shapes of the outreach log; the services hand out the same structs."""

from __future__ import annotations

from datetime import date

import msgspec
from msgspec import UNSET, UnsetType

from gvi.outreach.tables import Channel


class ActivityView(msgspec.Struct, frozen=True):
    id: int
    unit_id: int
    unit: str
    municipality_id: int
    municipality: str
    held_on: date
    channel: str
    people_reached: int
    title: str
    recorded_by: str | None
    version: int


class ActivityPage(msgspec.Struct):
    items: list[ActivityView]
    total: int
    page: int
    page_size: int


class ActivityIn(msgspec.Struct):
    """An activity of ``unit_id`` (one of yours) in ``municipality_id`` (one of yours)."""

    unit_id: int
    municipality_id: int
    channel: Channel
    people_reached: int
    held_on: date | None = None  # today when left out
    title: str = ""


class ActivityChangesIn(msgspec.Struct, kw_only=True):
    """Fields left out keep their value; the version you read goes in If-Match."""

    municipality_id: int | UnsetType = UNSET
    channel: Channel | UnsetType = UNSET
    people_reached: int | UnsetType = UNSET
    held_on: date | UnsetType = UNSET
    title: str | UnsetType = UNSET


class ActivityUpdateIn(ActivityChangesIn, kw_only=True):
    version: int
