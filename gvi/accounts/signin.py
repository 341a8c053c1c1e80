"""Signing in and out over HTTP: the password and second-factor steps, the
provider's sign-in, sign-out and the language choice. The web face of
:mod:`gvi.accounts.services`: these take the request's connection (its session,
its address, the throttle store); the services take none.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.stores.base import Store

from gvi.access.permissions import ROLES_NEEDING_TOTP
from gvi.access.principal import Principal
from gvi.accounts import passwords, totp
from gvi.accounts.services import (
    LOGIN_FAILED,
    PASSWORD_LOGIN_OFF,
    PENDING_TOTP_SECONDS,
    AccountError,
    PasswordStep,
    _engine,
    _find_active_user,
    password_login_allowed,
)
from gvi.accounts.tables import Role, User
from gvi.accounts.throttle import LoginThrottle
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.web import client_ip, user_agent
from gvi.db import write_transaction
from gvi.i18n import gettext
from gvi.security.app_secret import app_secret
from gvi.security.sessions import Session, get_session

# A second factor must follow the password within this many seconds.


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


async def password_step(
    connection: ASGIConnection[Any, Any, Any, Any], username: str, password: str
) -> PasswordStep:
    """First step of signing in. The same answer, in similar time, whether or not
    the account exists."""
    throttle = _throttle(connection)
    ip = client_ip(connection)
    if not password_login_allowed(username):
        # Sign-in goes through the identity provider (gvi/oidc); the password form
        # is kept for the break-glass account alone. No password is checked.
        async with write_transaction(_engine()):
            await record(
                AuditAction.auth_login_failed,
                actor=None,
                ip=ip,
                user_agent=user_agent(connection),
                target_type="user",
                details={"reason": "password_login_off"},
            )
        return PasswordStep(ok=False, message=gettext(PASSWORD_LOGIN_OFF))
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
    await _complete_login(connection, user, throttle, second_factor="none")
    return PasswordStep(ok=True)


async def provider_login(
    connection: ASGIConnection[Any, Any, Any, Any],
    user: User,
    *,
    two_factors: bool,
    id_token: str,
) -> bool:
    """A sign-in the organisation's identity provider vouched for (gvi/oidc): from
    here on the same path as a password's, session rotation included. True when
    the local TOTP step still follows: the provider did not assert two factors
    and the role reads person data (the same rule as after a password)."""
    throttle = _throttle(connection)
    session = get_session(connection)
    if not two_factors and (Role(user.role) in ROLES_NEEDING_TOTP or user.totp_secret_enc):
        session.clear()
        session["pending_user"] = user.id
        session["pending_at"] = time.time()
        session["pending_oidc"] = {"user": user.id, "id_token": id_token}
        return True
    session["pending_oidc"] = {"user": user.id, "id_token": id_token}
    await _complete_login(
        connection, user, throttle, second_factor="provider" if two_factors else "none"
    )
    return False


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
    second_factor: str = "totp",
) -> None:
    session: Session = get_session(connection)
    # What a sign-in through the identity provider keeps for sign-out (gvi/oidc),
    # only when it belongs to this very user.
    provider = session.get("pending_oidc")
    if not isinstance(provider, dict) or provider.get("user") != user.id:
        provider = None
    # A fresh id at the moment of authentication: whatever id the browser held before is dead.
    session.clear()
    session["user_id"] = user.id
    session["epoch"] = user.session_epoch
    session["lang"] = user.language
    if provider is not None:
        session["oidc_id_token"] = provider.get("id_token")
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
            details={
                "recovery_code": recovery,
                "method": "oidc" if provider is not None else "password",
                "second_factor": second_factor,
            },
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
