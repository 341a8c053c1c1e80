"""Which local account a sign-in through the identity provider is, whether the
provider vouched for two factors, and the audit rows of refusals and links.

Accounts are provisioned by an administrator; this module never creates one.
No Litestar here: the controllers pass the address and user agent in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gvi.access.principal import Principal
from gvi.accounts.tables import Role, User
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.db import write_transaction
from gvi.i18n import N_
from gvi.oidc.tables import OidcLink

NO_ACCOUNT = N_(
    "Du är inloggad hos identitetsleverantören, men det finns inget aktivt konto i "
    "GVI-stöd för dig. Be en administratör att lägga upp eller aktivera ditt konto "
    "och försök sedan igen."
)


@dataclass(frozen=True)
class Client:
    """The browser side of the attempt, for the audit trail."""

    ip: str
    user_agent: str


class Refused(Exception):
    """The provider's person has no usable account here. ``reason`` is a short
    machine token for the audit trail."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def subject_key(issuer: str, subject: str) -> str:
    """One key per person at one provider (the subject is unique per issuer only)."""
    return hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()


def two_factors_asserted(
    claims: dict[str, Any], *, acr_values: Iterable[str], amr_values: Iterable[str]
) -> bool:
    """Whether the ID token says the person used two factors: an ``acr`` named in
    GVI_OIDC_TWO_FACTOR_ACR, or an ``amr`` entry named in GVI_OIDC_TWO_FACTOR_AMR."""
    acr = claims.get("acr")
    if isinstance(acr, str) and acr in set(acr_values):
        return True
    amr = claims.get("amr")
    if isinstance(amr, list):
        return bool({a for a in amr if isinstance(a, str)} & set(amr_values))
    return False


def _actor(user: User, client: Client) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        ip=client.ip,
        user_agent=client.user_agent,
    )


def _usable(user: User | None) -> bool:
    return user is not None and bool(user.is_active) and user.archived_at is None


async def account_for(
    claims: dict[str, Any], *, issuer: str, account_claim: str, client: Client
) -> User:
    """The active account of the person in *claims* (already validated).

    A linked person is found by issuer and subject alone. An unlinked one is
    matched once, by the configured claim, to an account an administrator made,
    and linked; an account already linked to another subject is not taken over
    (a reused e-mail address or user name at the provider)."""
    subject = str(claims["sub"])
    key = subject_key(issuer, subject)
    link = await OidcLink.objects().where(OidcLink.subject_key == key).first()
    if link is not None:
        user = await User.objects().where(User.id == link.user).first()
        if not _usable(user):
            await refuse(client, "inactive", user)
        assert user is not None
        return user
    value = claims.get(account_claim)
    if not isinstance(value, str) or not value.strip():
        await refuse(client, "no_account_claim", None)
    assert isinstance(value, str)
    user = await User.objects().where(User.username == value.strip().lower()).first()
    if user is None:
        await refuse(client, "unknown_account", None)
    assert user is not None
    if not _usable(user):
        await refuse(client, "inactive", user)
    async with write_transaction(User._meta.db):
        if await OidcLink.exists().where(OidcLink.user == user.id):
            taken = True
        else:
            taken = False
            await OidcLink(user=user.id, issuer=issuer, subject=subject, subject_key=key).save()
            await record(
                AuditAction.auth_oidc_linked,
                actor=_actor(user, client),
                target_type="user",
                target_id=user.id,
                details={"method": "oidc"},
            )
    if taken:
        await refuse(client, "linked_to_other_subject", user)
    return user


async def refuse(client: Client, reason: str, user: User | None) -> None:
    """Audit a refused sign-in through the provider and raise :class:`Refused`.

    As with a failed password: the account id when one is known, the address and
    the user agent, a reason token; never the claim values (a name or an e-mail
    address is personal data, and the trail cannot be corrected)."""
    await record_failure(client, reason, user)
    raise Refused(reason)


async def record_failure(client: Client, reason: str, user: User | None = None) -> None:
    async with write_transaction(User._meta.db):
        await record(
            AuditAction.auth_login_failed,
            actor=_actor(user, client) if user is not None else None,
            ip=client.ip,
            user_agent=client.user_agent,
            target_type="user",
            target_id=user.id if user is not None else "",
            details={"reason": reason, "method": "oidc"},
        )


async def unlink(username: str) -> bool:
    """Remove the account's link to the provider (``gvi oidc-unlink``), so its
    next sign-in links anew by the account claim: a move to another tenant, or a
    person the provider gave a new subject. False when there was no link."""
    user = await User.objects().where(User.username == username.strip().lower()).first()
    if user is None:
        return False
    async with write_transaction(User._meta.db):
        link = await OidcLink.objects().where(OidcLink.user == user.id).first()
        if link is None:
            return False
        await OidcLink.delete().where(OidcLink.id == link.id)
        await record(
            AuditAction.auth_oidc_unlinked,
            actor=None,
            target_type="user",
            target_id=user.id,
            details={"method": "cli"},
        )
    return True
