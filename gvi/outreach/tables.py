"""OutreachActivity: one information or contact activity, counted, never named."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Date, ForeignKey, Integer, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.core.columns import Archivable
from gvi.municipalities.tables import Municipality, Unit


class Channel(StrEnum):
    """How people were reached. The contact channels share their codes with a
    defector case's referral source, so the reach funnel can follow a channel
    from people reached to cases opened."""

    information_meeting = "information_meeting"
    web = "web"
    economic_assistance = "economic_assistance"
    addiction_care = "addiction_care"
    school = "school"
    police = "police"
    probation = "probation"
    sis = "sis"
    other = "other"


class OutreachActivity(Archivable, Table, tablename="outreach_activity"):
    unit = ForeignKey(Unit, on_delete=OnDelete.restrict)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict)
    held_on = Date()
    channel = Varchar(length=24, choices=Channel)
    people_reached = Integer(default=0)
    title = Varchar(
        length=120, default="", help_text="What the activity was; never a person's name."
    )
    recorded_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
