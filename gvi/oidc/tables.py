"""The link between a local account and a person at the identity provider."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.core.columns import Keyed


class OidcLink(Keyed, Table, tablename="oidc_link"):
    """Fixed at the account's first sign-in through the provider: later sign-ins
    match on issuer and subject, never again on the (renameable) account claim."""

    user = ForeignKey(User, on_delete=OnDelete.restrict, unique=True)
    issuer = Varchar(length=255)
    subject = Varchar(length=255)
    subject_key = Varchar(
        length=64, unique=True, help_text="sha256 of issuer and subject: one account per person"
    )
    linked_at = Timestamptz(default=TimestamptzNow())
