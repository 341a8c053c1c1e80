"""Form bodies of the task pages."""

from __future__ import annotations

import msgspec


class DoneForm(msgspec.Struct):
    version: str = ""
    back: str = ""  # which list to return to: "all", "mine", "unit" or "pool"
