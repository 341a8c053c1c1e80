"""Form bodies of the enforcement pages (read with :mod:`gvi.core.forms`)."""

from __future__ import annotations

import msgspec


class ActionForm(msgspec.Struct):
    version: str = ""
    group: str = ""
    municipality: str = ""
    triggering_incident: str = ""
    promise: str = ""
    agency: str = "police"
    kind: str = ""
    action_date: str = ""
    status: str = "planned"
    notes: str = ""
