"""Form bodies of the task pages."""

from __future__ import annotations

import msgspec

from gvi.core.batch import SelectionForm


class DoneForm(msgspec.Struct):
    version: str = ""
    back: str = ""  # which list to return to: "all", "mine", "unit" or "pool"


class BulkDoneForm(SelectionForm):
    """ "Markera valda som klara": the ticked tasks as ``id:version``."""

    back: str = ""
    status: str = ""
    q: str = ""
