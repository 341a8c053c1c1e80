"""Accounts: signing in (password, then second factor), the session's principal,
creating and changing users. The one place that knows these queries and audit rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from gvi.access.permissions import ROLES_NEEDING_TOTP
from gvi.access.principal import Principal
from gvi.accounts import passwords, totp
from gvi.accounts.tables import Role, User, UserKind, UserMunicipality
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.db import write_transaction
from gvi.i18n import N_
from gvi.municipalities.tables import Municipality, Unit

# A second factor must follow the password within this many seconds.
PENDING_TOTP_SECONDS = 300

LOGIN_FAILED = N_(
    "Inloggningen misslyckades. Kontrollera användarnamn och lösenord. "
    "Efter flera misslyckade försök spärras inloggningen en stund."
)
PASSWORD_LOGIN_OFF = N_(
    "Inloggning med lösenord är avstängd. Logga in med organisationens konto i stället."
)
TOTP_FAILED = N_("Koden stämde inte eller har redan använts. Vänta på nästa kod och försök igen.")


FIRST_ADMIN_EXISTS = (
    "Det finns redan en administratör. En administratör skapar fler konton "
    "(Administration → Användare, eller `gvi create-user`)."
)
# Serialises `gvi create-first-admin` on PostgreSQL ("gvi_1adm").
_PG_FIRST_ADMIN_LOCK = 0x6776695F3161646D


def password_login_allowed(username: str) -> bool:
    """Whether the password form may be used for *username*: always, unless
    ``GVI_PASSWORD_LOGIN=false``; then only for the break-glass account."""
    from gvi.settings import get_settings

    settings = get_settings()
    if settings.password_login:
        return True
    return bool(settings.break_glass_account) and (
        username.strip().lower() == settings.break_glass_account
    )


class AccountError(Exception):
    """A problem a person can act on; the message is safe to show."""


@dataclass(frozen=True)
class PasswordStep:
    ok: bool
    needs_totp: bool = False
    message: str = ""


def _engine() -> Any:
    return User._meta.db


async def _find_active_user(username: str) -> User | None:
    user: User | None = (
        await User.objects()
        .where(
            (User.username == username.strip().lower())
            & (User.is_active == True)  # noqa: E712 (Piccolo needs ==)
            & (User.archived_at.is_null())
            # Service accounts have no password: they never sign in (gvi/tokens).
            & (User.kind == UserKind.person)
        )
        .first()
    )
    return user


@dataclass(frozen=True)
class NewUser:
    user: User
    totp_secret: str | None
    totp_uri: str | None
    recovery_codes: list[str]


async def create_user(
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    municipality_codes: list[str],
    unit_name: str | None = None,
    actor: Principal | None = None,
    totp_secret: str | None = None,
    first_admin: bool = False,
) -> NewUser:
    """Create an account; roles that read person data get a TOTP secret and recovery codes.

    *first_admin*: the first administrator of an empty install (``gvi
    create-first-admin``); refused, inside the same write transaction, when any
    administrator account exists."""
    username = username.strip().lower()
    problems = passwords.check_password_policy(password, username=username)
    if problems:
        raise AccountError("; ".join(p.message_sv for p in problems))
    if await User.exists().where(User.username == username):
        raise AccountError(f"Användarnamnet {username!r} är upptaget.")
    municipalities = await Municipality.select(Municipality.id, Municipality.code).where(
        Municipality.code.is_in(municipality_codes or ["-"])
    )
    missing = set(municipality_codes) - {m["code"] for m in municipalities}
    if missing:
        raise AccountError(f"Okända kommunkoder: {', '.join(sorted(missing))}")
    unit_id = None
    if unit_name:
        unit = (
            await Unit.select(Unit.id)
            .where(
                (Unit.name == unit_name) & Unit.archived_at.is_null() & (Unit.is_active == True)  # noqa: E712 (Piccolo needs ==)
            )
            .first()
        )
        if unit is None:
            raise AccountError(f"Okänd enhet: {unit_name}")
        unit_id = unit["id"]
    needs_totp = role in ROLES_NEEDING_TOTP
    secret = totp_secret or (totp.new_secret() if needs_totp else None)
    codes = totp.generate_recovery_codes() if secret else []
    # Hash before the transaction: argon2 takes a while and SQLite's write lock is shared.
    password_hash = await passwords.hash_password_async(password)
    async with write_transaction(_engine()):
        if first_admin:
            if isinstance(_engine(), PostgresEngine):
                # Two first-admin runs at once: the second waits, then sees the first.
                await User.raw("SELECT pg_advisory_xact_lock({})", _PG_FIRST_ADMIN_LOCK)
            if await User.exists().where(
                (User.role == Role.admin.value) & User.archived_at.is_null()
            ):
                raise AccountError(FIRST_ADMIN_EXISTS)
        user = User(
            username=username,
            display_name=display_name,
            role=role.value,
            unit=unit_id,
            password_hash=password_hash,
            password_changed_at=datetime.now(tz=UTC),
        )
        await user.save()
        if secret:
            await User.update({User.totp_secret_enc: totp.seal_secret(secret, user.id)}).where(
                User.id == user.id
            )
        for m in municipalities:
            await UserMunicipality(user=user.id, municipality=m["id"]).save()
        if codes:
            await totp.store_recovery_codes(user.id, codes)
        await record(
            AuditAction.first_admin_create if first_admin else AuditAction.user_create,
            actor=actor,
            target_type="user",
            target_id=user.id,
            details={"role": role.value, "municipalities": len(municipalities)},
        )
    return NewUser(
        user=user,
        totp_secret=secret,
        totp_uri=totp.provisioning_uri(secret, username) if secret else None,
        recovery_codes=codes,
    )
