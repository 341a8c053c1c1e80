"""API shapes for user administration under /api/v1/admin."""

from __future__ import annotations

from datetime import datetime

import msgspec

from gvi.accounts.tables import Role


class UserOut(msgspec.Struct):
    id: int
    username: str
    display_name: str
    role: Role
    unit_id: int | None
    unit: str | None
    municipality_ids: list[int]
    municipalities: list[str]
    is_active: bool
    locked: bool
    last_login_at: datetime | None
    version: int
    joint_unit_ids: list[int] = []
    joint_units: list[str] = []
    unit_lead: bool = False  # enhetschef: approves case plans and closings


class UserPage(msgspec.Struct):
    items: list[UserOut]
    total: int
    page: int
    page_size: int


class UserCreateIn(msgspec.Struct):
    username: str
    display_name: str
    role: Role
    password: str
    unit_id: int | None = None
    municipality_ids: list[int] = []
    joint_unit_ids: list[int] = []


class UserCreatedOut(msgspec.Struct):
    """The second factor is in this answer only: it is never shown again."""

    user: UserOut
    totp_secret: str | None
    totp_uri: str | None
    recovery_codes: list[str]


class UnitLeadIn(msgspec.Struct):
    """Unit lead (enhetschef) or not: approves case plans and closings in the user's units."""

    version: int
    unit_lead: bool


class UserUnitsIn(msgspec.Struct):
    """Move a user: the home unit (None for none) and the joint units, replaced as a whole."""

    version: int
    unit_id: int | None = None
    joint_unit_ids: list[int] = []
