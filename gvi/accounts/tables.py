"""User, the user's municipality scope, and hashed recovery codes."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Boolean, Bytea, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.core.columns import Archivable, Keyed
from gvi.municipalities.tables import Municipality, Unit


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    outreach = "outreach"
    police = "police"
    analyst = "analyst"


class UserKind(StrEnum):
    person = "person"
    # A system (a statistics job, a case system): no password, no second factor,
    # no pages; it reaches /api/v1 only, with API tokens an admin creates.
    service = "service"


class User(Archivable, Table, tablename="app_user"):
    username = Varchar(length=64, unique=True)
    display_name = Varchar(length=120)
    role = Varchar(length=16, choices=Role)
    unit = ForeignKey(Unit, on_delete=OnDelete.restrict, null=True)
    password_hash = Varchar(length=255, secret=True, help_text="argon2id")
    totp_secret_enc = Bytea(null=True, default=None, secret=True)
    totp_last_step = Integer(
        null=True, default=None, help_text="Last used TOTP step: codes are single-use."
    )
    is_active = Boolean(default=True)
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    last_login_at = Timestamptz(null=True, default=None)
    password_changed_at = Timestamptz(null=True, default=None)
    session_epoch = Integer(
        default=0,
        help_text="Raised on logout-everywhere, disabling and role change: older sessions die.",
    )
    language = Varchar(length=5, default="sv")
    kind = Varchar(length=16, choices=UserKind, default=UserKind.person)
    # The daily digest (gvi/notify): where it goes, whether the user declined it,
    # and when the start page was last opened ("changed since your last visit").
    email = Varchar(length=254, default="")
    digest_opt_out = Boolean(default=False)
    home_seen_at = Timestamptz(null=True, default=None)
    # Enhetschef: approves case plans and the closing of cases in the user's units
    # (Permission.cases_approve, granted by this flag, not by a role).
    unit_lead = Boolean(default=False)


class UserMunicipality(Keyed, Table, tablename="user_municipality"):
    """The municipalities whose records a user may see (scoping in every query)."""

    user = ForeignKey(User, on_delete=OnDelete.restrict)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict)


class RecoveryCode(Keyed, Table, tablename="recovery_code"):
    user = ForeignKey(User, on_delete=OnDelete.restrict)
    code_hash = Varchar(length=255, secret=True)
    used_at = Timestamptz(null=True, default=None)


class UserUnit(Keyed, Table, tablename="user_unit"):
    """A further unit the user works in, besides ``User.unit``: a social secretary
    who also serves in a joint defector unit sees that unit's cases."""

    user = ForeignKey(User, on_delete=OnDelete.restrict)
    unit = ForeignKey(Unit, on_delete=OnDelete.restrict)
