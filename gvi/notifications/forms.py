"""Form bodies of the custom-notification pages (read with :mod:`gvi.core.forms`)."""

from __future__ import annotations

import msgspec


class NotificationForm(msgspec.Struct):
    code: str = ""
    delivered_on: str = ""
    delivered_by: str = ""
    outcome: str = ""
    offer_made: str = ""
    follow_up_days: str = "7"
    call_in: str = ""


class OutcomeForm(msgspec.Struct):
    version: str = ""
    outcome: str = ""
    delivered_on: str = ""
    delivered_by: str = ""
    offer_made: str = ""
    follow_up_days: str = "7"
