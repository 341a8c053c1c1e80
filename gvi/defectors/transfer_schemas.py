"""API shapes for transfers of defector cases between units; the services hand
out the same structs.

A :class:`TransferView` is a transfer as one side sees it: the receiving unit
sees what it needs to decide (the case number, the sending unit, the reason,
the dates), never the case's free text or the person; the sending unit, once
the case has left it, sees the case number, the receiving unit and the outcome.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from gvi.defectors.tables import TransferState


class TransferView(msgspec.Struct, frozen=True):
    id: int
    case_reference: str
    from_unit: str
    to_unit: str
    state: TransferState
    # "incoming" (to one of the reader's units) or "outgoing" (from one of them).
    direction: str
    offered_at: datetime
    decided_at: datetime | None = None
    # Shown while the reader may see what it says: to the receiving unit, and to the
    # sending unit while the case is still its own.
    reason: str | None = None
    offered_by: str | None = None
    decline_reason: str | None = None
    decided_by: str | None = None
    caseworker_after: str | None = None
    # The case, when the reader may open it (the receiver after accepting, the sender
    # before); None otherwise.
    case_id: int | None = None
    version: int = 1


class TransferPage(msgspec.Struct):
    items: list[TransferView]
    total: int
    page: int
    page_size: int


class TransferOfferIn(msgspec.Struct):
    to_unit_id: int
    reason: str


class TransferAcceptIn(msgspec.Struct):
    caseworker_id: int


class TransferDeclineIn(msgspec.Struct):
    decline_reason: str = ""


class TransferOutcome(msgspec.Struct):
    """What an acceptance did: the case moved, and what it did to the police track
    (recomputed at once: a consent not in force ends it, as a withdrawal does)."""

    case_id: int
    police_track_active: bool
    police_track_ended: bool
    # The consents whose absence ended the track (agency values), if it ended.
    missing_consents: list[str] = []
