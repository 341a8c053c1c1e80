"""Accounts: signing in (password, then second factor), the session's principal,
creating and changing users. The one place that knows these queries and audit rows.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.stores.base import Store
from piccolo.engine.postgres import PostgresEngine

from gvi.access.permissions import ROLES_NEEDING_TOTP
from gvi.access.principal import Principal
from gvi.accounts import passwords, totp
from gvi.accounts.tables import Role, User, UserMunicipality, UserUnit
from gvi.accounts.throttle import LoginThrottle
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.web import client_ip, user_agent
from gvi.db import pg_fetch, write_transaction
from gvi.i18n import N_, gettext
from gvi.municipalities.tables import Municipality, Unit, UnitMunicipality
from gvi.security.app_secret import app_secret
from gvi.security.sessions import Session, get_session

# A second factor must follow the password within this many seconds.
PENDING_TOTP_SECONDS = 300

LOGIN_FAILED = N_(
    "Inloggningen misslyckades. Kontrollera användarnamn och lösenord. "
    "Efter flera misslyckade försök spärras inloggningen en stund."
)
TOTP_FAILED = N_("Koden stämde inte eller har redan använts. Vänta på nästa kod och försök igen.")


FIRST_ADMIN_EXISTS = (
    "Det finns redan en administratör. En administratör skapar fler konton "
    "(Administration → Användare, eller `gvi create-user`)."
)
# Serialises `gvi create-first-admin` on PostgreSQL ("gvi_1adm").
_PG_FIRST_ADMIN_LOCK = 0x6776695F3161646D


class AccountError(Exception):
    """A problem a person can act on; the message is safe to show."""


@dataclass(frozen=True)
class PasswordStep:
    ok: bool
    needs_totp: bool = False
    message: str = ""


def _throttle(connection: ASGIConnection[Any, Any, Any, Any]) -> LoginThrottle:
    store: Store = connection.app.stores.get("throttle")
    return LoginThrottle(store, key_secret=app_secret())


def _anonymous_actor(
    connection: ASGIConnection[Any, Any, Any, Any], user: User | None
) -> Principal | None:
    if user is None:
        return None
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        ip=client_ip(connection),
        user_agent=user_agent(connection),
    )


def _engine() -> Any:
    return User._meta.db


async def _find_active_user(username: str) -> User | None:
    user: User | None = (
        await User.objects()
        .where(
            (User.username == username.strip().lower())
            & (User.is_active == True)  # noqa: E712 (Piccolo needs ==)
            & (User.archived_at.is_null())
        )
        .first()
    )
    return user


async def password_step(
    connection: ASGIConnection[Any, Any, Any, Any], username: str, password: str
) -> PasswordStep:
    """First step of signing in. The same answer, in similar time, whether or not
    the account exists."""
    throttle = _throttle(connection)
    ip = client_ip(connection)
    decision = await throttle.check(username, ip)
    user = await _find_active_user(username)
    if not decision.allowed:
        await passwords.verify_dummy_async()
        async with write_transaction(_engine()):
            await record(
                AuditAction.auth_login_failed,
                actor=_anonymous_actor(connection, user),
                # Unknown accounts too: the address is what the IP throttle and an
                # investigation of a password-spraying run go by.
                ip=client_ip(connection),
                user_agent=user_agent(connection),
                target_type="user",
                target_id=user.id if user else "",
                details={"reason": "throttled", "by": decision.reason or ""},
            )
        return PasswordStep(ok=False, message=gettext(LOGIN_FAILED))
    if user is None:
        ok = await passwords.verify_dummy_async(password)
    else:
        ok = await passwords.verify_password_async(user.password_hash, password)
    if not ok:
        after = await throttle.record_failure(username, ip)
        async with write_transaction(_engine()):
            await record(
                AuditAction.auth_login_failed,
                actor=_anonymous_actor(connection, user),
                # Unknown accounts too: the address is what the IP throttle and an
                # investigation of a password-spraying run go by.
                ip=client_ip(connection),
                user_agent=user_agent(connection),
                target_type="user",
                target_id=user.id if user else "",
                details={"reason": "password"},
            )
            if after.locked_now:
                await record(
                    AuditAction.auth_lockout,
                    actor=_anonymous_actor(connection, user),
                    # Unknown accounts too: the address is what the IP throttle and an
                    # investigation of a password-spraying run go by.
                    ip=client_ip(connection),
                    user_agent=user_agent(connection),
                    target_type="user",
                    target_id=user.id if user else "",
                    details={"by": after.reason or "", "seconds": after.retry_after_seconds},
                )
        return PasswordStep(ok=False, message=gettext(LOGIN_FAILED))
    assert user is not None
    if passwords.needs_rehash(user.password_hash):
        await User.update(
            {User.password_hash: await passwords.hash_password_async(password)}
        ).where(User.id == user.id)
    session = get_session(connection)
    if Role(user.role) in ROLES_NEEDING_TOTP or user.totp_secret_enc:
        # Settle this attempt without clearing earlier failures: the second factor
        # counts against the same limit, so knowing the password buys no extra guesses.
        await throttle.release(username, ip)
        session.clear()
        session["pending_user"] = user.id
        session["pending_at"] = time.time()
        return PasswordStep(ok=True, needs_totp=True)
    await _complete_login(connection, user, throttle)
    return PasswordStep(ok=True)


async def totp_step(connection: ASGIConnection[Any, Any, Any, Any], code: str) -> bool:
    """Second step: a TOTP code (single use) or a recovery code."""
    session = get_session(connection)
    user_id = session.get("pending_user")
    started = float(session.get("pending_at") or 0)
    if not user_id or time.time() - started > PENDING_TOTP_SECONDS:
        session.clear()
        raise AccountError(
            gettext("Inloggningen tog för lång tid. Börja om med användarnamn och lösenord.")
        )
    user = await User.objects().where((User.id == user_id) & (User.is_active == True)).first()  # noqa: E712
    if user is None or not user.totp_secret_enc:
        session.clear()
        raise AccountError(gettext("Kontot kan inte logga in. Kontakta en administratör."))
    throttle = _throttle(connection)
    ip = client_ip(connection)
    decision = await throttle.check(user.username, ip)
    used_totp = False
    used_recovery = False
    if decision.allowed:
        if "".join(code.split()).isascii() and "".join(code.split()).isdigit():
            # Checks and spends the code in one conditional update: single use.
            used_totp = await totp.use_totp_code(user.id, code)
        else:
            used_recovery = await totp.use_recovery_code(user.id, code)
    if not used_totp and not used_recovery:
        after = await throttle.record_failure(user.username, ip)
        async with write_transaction(_engine()):
            await record(
                AuditAction.auth_totp_failed,
                actor=_anonymous_actor(connection, user),
                # Unknown accounts too: the address is what the IP throttle and an
                # investigation of a password-spraying run go by.
                ip=client_ip(connection),
                user_agent=user_agent(connection),
                target_type="user",
                target_id=user.id,
            )
            if after.locked_now:
                await record(
                    AuditAction.auth_lockout,
                    actor=_anonymous_actor(connection, user),
                    # Unknown accounts too: the address is what the IP throttle and an
                    # investigation of a password-spraying run go by.
                    ip=client_ip(connection),
                    user_agent=user_agent(connection),
                    target_type="user",
                    target_id=user.id,
                    details={"by": after.reason or "", "seconds": after.retry_after_seconds},
                )
        return False
    await _complete_login(connection, user, throttle, recovery=used_recovery)
    return True


async def _complete_login(
    connection: ASGIConnection[Any, Any, Any, Any],
    user: User,
    throttle: LoginThrottle,
    *,
    recovery: bool = False,
) -> None:
    session: Session = get_session(connection)
    # A fresh id at the moment of authentication: whatever id the browser held before is dead.
    session.clear()
    session["user_id"] = user.id
    session["epoch"] = user.session_epoch
    session["lang"] = user.language
    await throttle.record_success(user.username, client_ip(connection))
    async with write_transaction(_engine()):
        await User.update({User.last_login_at: datetime.now(tz=UTC), User.failed_logins: 0}).where(
            User.id == user.id
        )
        await record(
            AuditAction.auth_login,
            actor=_anonymous_actor(connection, user),
            # Unknown accounts too: the address is what the IP throttle and an
            # investigation of a password-spraying run go by.
            ip=client_ip(connection),
            user_agent=user_agent(connection),
            target_type="user",
            target_id=user.id,
            details={"recovery_code": recovery},
        )


async def logout(
    connection: ASGIConnection[Any, Any, Any, Any], principal: Principal | None
) -> None:
    get_session(connection).clear()
    if principal is not None:
        await record(
            AuditAction.auth_logout,
            actor=principal,
            target_type="user",
            target_id=principal.user_id,
        )


def _principal_sql(engine_type: str) -> str:
    """The account, its scope and its further units (a joint defector unit) as one
    row: a user of all 290 municipalities got 290 rows, each repeating the
    account, which cost more than the query (``make bench``).

    The scope is the municipalities served by the user's home unit and joint
    units (active ones only) plus those granted explicitly."""
    # Table names come from the table classes; the user id is a parameter.
    grants = " ".join(
        ("SELECT municipality AS m FROM", UserMunicipality._meta.tablename, 'WHERE "user" = u.id')
    )
    served = " ".join(
        (
            "SELECT um.municipality AS m FROM",
            UnitMunicipality._meta.tablename,
            "um JOIN",
            Unit._meta.tablename,
            "n ON n.id = um.unit WHERE n.is_active AND n.archived_at IS NULL",
            "AND (um.unit = u.unit OR um.unit IN (SELECT unit FROM",
            UserUnit._meta.tablename,
            'WHERE "user" = u.id))',
        )
    )
    # The units whose cases the user works with: home and joint units, active ones
    # only, so a deactivated unit's cases leave its members' view with its scope.
    active_units = " ".join(
        (
            "SELECT n.id FROM",
            Unit._meta.tablename,
            "n WHERE n.is_active AND n.archived_at IS NULL",
            "AND (n.id = u.unit OR n.id IN (SELECT unit FROM",
            UserUnit._meta.tablename,
            'WHERE "user" = u.id))',
        )
    )
    if engine_type == "postgres":
        municipalities = f"ARRAY({grants} UNION {served})"
        units = f"ARRAY({active_units})"
    else:
        municipalities = f"(SELECT json_group_array(m) FROM ({grants} UNION {served}))"  # noqa: S608
        units = f"(SELECT json_group_array(id) FROM ({active_units}))"  # noqa: S608
    return (
        "SELECT u.id, u.username, u.role, u.unit, u.is_active, u.archived_at, "  # noqa: S608
        f"u.session_epoch, {municipalities} AS municipalities, {units} AS units "
        f"FROM {User._meta.tablename} u WHERE u.id = {{}}"
    )  # table and column names from the table classes; the id is a parameter


_PRINCIPAL_SQL = {engine: _principal_sql(engine) for engine in ("postgres", "sqlite")}
_PG_PRINCIPAL_SQL = _PRINCIPAL_SQL["postgres"].replace("{}", "$1")


def _ids(value: list[int] | str | None) -> frozenset[int]:
    """An id list as the engine returns it: an array, or SQLite's JSON text."""
    if isinstance(value, str):
        value = json.loads(value)
    return frozenset(int(i) for i in value or ())


async def load_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The signed-in user for this request, or None. A disabled, archived or
    epoch-bumped account ends the session here, on its next request."""
    session = get_session(connection)
    user_id = session.get("user_id")
    if not user_id:
        return None
    # One query, one row, on every request (on PostgreSQL past Piccolo, whose
    # query building cost a third of the query).
    engine = User._meta.db
    if isinstance(engine, PostgresEngine):
        rows: list[Any] = await pg_fetch(engine, _PG_PRINCIPAL_SQL, user_id)
    else:
        rows = await User.raw(_PRINCIPAL_SQL[engine.engine_type], user_id)
    user = rows[0] if rows else None
    if (
        user is None
        or not user["is_active"]
        or user["archived_at"] is not None
        or user["session_epoch"] != session.get("epoch")
    ):
        session.clear()
        return None
    municipality_ids = _ids(user["municipalities"])
    unit_ids = _ids(user["units"])
    return Principal(
        user_id=user["id"],
        username=user["username"],
        role=Role(user["role"]),
        unit_id=user["unit"],
        municipality_ids=municipality_ids,
        unit_ids=unit_ids,
        ip=client_ip(connection),
        user_agent=user_agent(connection),
    )


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


def login_throttle(connection: ASGIConnection[Any, Any, Any, Any]) -> LoginThrottle:
    """The sign-in throttle for administrators (lock status, unlock): the same store
    and key secret as signing in uses, so the same counters."""
    return _throttle(connection)


async def set_language(connection: ASGIConnection[Any, Any, Any, Any], language: str) -> None:
    from gvi.i18n import LANGUAGES

    if language not in LANGUAGES:
        return
    session = get_session(connection)
    session["lang"] = language
    user_id = session.get("user_id")
    if user_id:
        await User.update({User.language: language}).where(User.id == user_id)
