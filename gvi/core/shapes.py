"""JSON shapes every API shares, defined once: the OpenAPI document then names
each once (two structs of one name made a generated client drop operations).

Pure: msgspec only.
"""

from __future__ import annotations

import msgspec


class CreatedOut(msgspec.Struct):
    """The id of what was just created (its URL is in ``Location``)."""

    id: int


class VersionIn(msgspec.Struct):
    """The version of the record as read (older actions; PATCH and DELETE take it
    in ``If-Match``)."""

    version: int
