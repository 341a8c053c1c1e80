"""Admin services for user accounts: reading, creating and changing them.

The one place that knows the queries, the access check and the audit row of
each change to a user. Every change is an optimistic-locked UPDATE
(``WHERE id = ? AND version = ?``, ``version = version + 1``) and writes its
audit event in the same transaction; changes that alter what a user may do
(disabling, role, second factor, scope) raise ``session_epoch`` so the user's
live sessions end on their next request.

Admins never see case content or identities. The audit trail's views live in
:mod:`gvi.admin.trail`, alerts in :mod:`gvi.admin.alerts`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio.to_thread
from markupsafe import Markup

from gvi.access.permissions import ROLES_NEEDING_TOTP, Permission, can_lead
from gvi.access.principal import Principal, require
from gvi.accounts import passwords, totp
from gvi.accounts import services as accounts
from gvi.accounts.qr import qr_svg
from gvi.accounts.tables import RecoveryCode, Role, User, UserMunicipality, UserUnit
from gvi.accounts.throttle import LoginThrottle
from gvi.audit import services as audit
from gvi.audit.events import AuditAction
from gvi.core import failures
from gvi.core.failures import FormErrors as FormErrors
from gvi.core.failures import NotVisible, Refused
from gvi.core.versioning import bump_version
from gvi.db import writing
from gvi.i18n import N_, gettext
from gvi.municipalities.tables import Municipality, Unit

CONFLICT_MESSAGE = N_("Någon annan har ändrat användaren under tiden. Ladda om och försök igen.")
SELF_DISABLE_MESSAGE = N_(
    "Du kan inte stänga av ditt eget konto. Be en annan administratör om det behövs."
)
SELF_ROLE_MESSAGE = N_("Du kan inte ändra din egen roll. Be en annan administratör om det behövs.")

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


class AdminError(Refused):
    """A refusal of an admin action a person can act on (400); safe to show."""


class VersionConflict(failures.VersionConflict, AdminError):
    """The user changed since the form was shown (409); nothing was written."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or gettext(CONFLICT_MESSAGE))


# --- users: reading ------------------------------------------------------------


@dataclass(frozen=True)
class UserSummary:
    id: int
    username: str
    display_name: str
    role: Role
    unit_id: int | None
    unit_name: str | None
    municipality_ids: tuple[int, ...]
    municipalities: tuple[str, ...]
    is_active: bool
    locked: bool
    last_login_at: datetime | None
    version: int
    joint_unit_ids: tuple[int, ...] = ()
    joint_units: tuple[str, ...] = ()
    unit_lead: bool = False


@dataclass(frozen=True)
class UserDetail:
    user: UserSummary
    has_totp: bool
    recovery_codes_left: int
    created_at: datetime | None
    password_changed_at: datetime | None


@dataclass(frozen=True)
class Choice:
    id: int
    label: str
    group: str = ""  # a municipality's county


_USER_COLUMNS = (
    User.id,
    User.username,
    User.display_name,
    User.role,
    User.unit,
    User.unit.name,
    User.is_active,
    User.last_login_at,
    User.version,
    User.unit_lead,
)


async def is_locked(throttle: LoginThrottle, username: str) -> bool:
    """Whether sign-in for this username is locked now (only looks, reserves nothing)."""
    decision = await throttle.check(username, "", reserve=False)
    return decision.reason == "account"


async def _summaries(rows: Sequence[dict[str, Any]], throttle: LoginThrottle) -> list[UserSummary]:
    ids = [row["id"] for row in rows]
    scope: dict[int, list[tuple[int, str]]] = {}
    if ids:
        for m in await (
            UserMunicipality.select(
                UserMunicipality.user,
                UserMunicipality.municipality,
                UserMunicipality.municipality.name,
            )
            .where(UserMunicipality.user.is_in(ids))
            .order_by(UserMunicipality.municipality.name)
        ):
            scope.setdefault(m["user"], []).append((m["municipality"], m["municipality.name"]))
    joint: dict[int, list[tuple[int, str]]] = {}
    if ids:
        for u in await (
            UserUnit.select(UserUnit.user, UserUnit.unit, UserUnit.unit.name)
            .where(UserUnit.user.is_in(ids))
            .order_by(UserUnit.unit.name)
        ):
            joint.setdefault(u["user"], []).append((u["unit"], u["unit.name"]))
    result = []
    for row in rows:
        municipalities = scope.get(row["id"], [])
        result.append(
            UserSummary(
                id=row["id"],
                username=row["username"],
                display_name=row["display_name"],
                role=Role(row["role"]),
                unit_id=row["unit"],
                unit_name=row["unit.name"],
                municipality_ids=tuple(m[0] for m in municipalities),
                municipalities=tuple(m[1] for m in municipalities),
                is_active=row["is_active"],
                locked=await is_locked(throttle, row["username"]),
                last_login_at=row["last_login_at"],
                version=row["version"],
                joint_unit_ids=tuple(u[0] for u in joint.get(row["id"], [])),
                joint_units=tuple(u[1] for u in joint.get(row["id"], [])),
                unit_lead=bool(row["unit_lead"]),
            )
        )
    return result


async def list_users(
    principal: Principal,
    *,
    throttle: LoginThrottle,
    search: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[UserSummary], int]:
    """Accounts (archived ones left out) whose username contains *search*, by username."""
    require(principal, Permission.users_manage)
    where: Any = User.archived_at.is_null()
    term = search.strip().lower()
    if term:
        # Usernames are stored in lower case; LIKE then behaves alike on both engines.
        where = where & User.username.like(f"%{term}%")
    rows = (
        await User.select(*_USER_COLUMNS)
        .where(where)
        .order_by(User.username)
        .limit(limit)
        .offset(offset)
    )
    total: int = await User.count().where(where)
    return await _summaries(rows, throttle), total


async def get_user(principal: Principal, user_id: int, *, throttle: LoginThrottle) -> UserDetail:
    require(principal, Permission.users_manage)
    row = (
        await User.select(
            *_USER_COLUMNS,
            User.totp_secret_enc,
            User.created_at,
            User.password_changed_at,
        )
        .where((User.id == user_id) & User.archived_at.is_null())
        .first()
    )
    if row is None:
        raise NotVisible()
    (summary,) = await _summaries([row], throttle)
    return UserDetail(
        user=summary,
        has_totp=row["totp_secret_enc"] is not None,
        recovery_codes_left=await totp.count_unused_recovery_codes(user_id),
        created_at=row["created_at"],
        password_changed_at=row["password_changed_at"],
    )


async def unit_choices(principal: Principal) -> list[Choice]:
    require(principal, Permission.users_manage)
    rows = (
        await Unit.select(Unit.id, Unit.name, Unit.municipality.name)
        .where(Unit.archived_at.is_null() & (Unit.is_active == True))  # noqa: E712 (Piccolo needs ==)
        .order_by(Unit.name)
    )
    return [Choice(r["id"], f"{r['name']} ({r['municipality.name']})") for r in rows]


async def municipality_choices(principal: Principal) -> list[Choice]:
    require(principal, Permission.users_manage)
    rows = (
        await Municipality.select(Municipality.id, Municipality.name, Municipality.county)
        .where(Municipality.archived_at.is_null())
        .order_by(Municipality.county, Municipality.name)
    )
    return [Choice(r["id"], r["name"], r["county"]) for r in rows]


# --- users: validation -----------------------------------------------------------


def _clean_display_name(value: str, errors: dict[str, str]) -> str:
    name = " ".join(value.split())
    if not name:
        errors["display_name"] = gettext("Skriv det namn som ska visas för användaren.")
    elif len(name) > 120:
        errors["display_name"] = gettext("Namnet får vara högst 120 tecken.")
    return name


async def _check_unit(unit_id: int | None, errors: dict[str, str]) -> str | None:
    """The unit's name, or None; records an error for an unknown unit."""
    if unit_id is None:
        return None
    row = (
        await Unit.select(Unit.name)
        .where(
            (Unit.id == unit_id) & Unit.archived_at.is_null() & (Unit.is_active == True)  # noqa: E712 (Piccolo needs ==)
        )
        .first()
    )
    if row is None:
        errors["unit"] = gettext("Välj en enhet i listan.")
        return None
    name: str = row["name"]
    return name


async def _check_municipalities(ids: Iterable[int], errors: dict[str, str]) -> list[dict[str, Any]]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows: list[dict[str, Any]] = await Municipality.select(
        Municipality.id, Municipality.code
    ).where(Municipality.id.is_in(wanted) & Municipality.archived_at.is_null())
    if len(rows) != len(wanted):
        errors["municipalities"] = gettext("Välj kommuner i listan.")
    return rows


@dataclass(frozen=True)
class UserDraft:
    """What an admin typed to create an account (page or API)."""

    username: str
    display_name: str
    role: str
    password: str
    unit_id: int | None = None
    municipality_ids: tuple[int, ...] = ()
    joint_unit_ids: tuple[int, ...] = ()  # e.g. a joint defector unit beside the home unit


async def create_user(
    principal: Principal, draft: UserDraft, *, known_errors: dict[str, str] | None = None
) -> accounts.NewUser:
    """Create an account; :class:`FormErrors` says what to fix, field by field.

    *known_errors* are problems the caller found reading the form (a tampered
    select); they are reported together with the rest, and nothing is created.
    """
    require(principal, Permission.users_manage)
    errors: dict[str, str] = dict(known_errors or {})
    username = draft.username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        errors["username"] = gettext(
            "Användarnamnet ska vara 2–64 tecken: små bokstäver a–z, siffror, "
            "punkt, bindestreck eller understreck, och börja med en bokstav eller siffra."
        )
    elif await User.exists().where(User.username == username):
        errors["username"] = gettext("Användarnamnet är upptaget. Välj ett annat.")
    display_name = _clean_display_name(draft.display_name, errors)
    role: Role | None = None
    try:
        role = Role(draft.role)
    except ValueError:
        errors["role"] = gettext("Välj en roll.")
    unit_name = await _check_unit(draft.unit_id, errors)
    # accounts.create_user finds the unit by name; refuse a name two units share.
    if unit_name is not None and await Unit.count().where(Unit.name == unit_name) > 1:
        errors["unit"] = gettext("Flera enheter har det namnet. Byt namn på en av dem först.")
    municipalities = await _check_municipalities(draft.municipality_ids, errors)
    from gvi.org import services as org

    joint = await org.check_joint_units(draft.joint_unit_ids, errors)
    problems = passwords.check_password_policy(
        draft.password, username=username, context_words=(display_name,)
    )
    if problems:
        errors["password"] = " ".join(p.message_sv for p in problems)
    if errors or role is None:
        raise FormErrors(errors)
    try:
        # One transaction: the account and its joint units, or neither.
        async with writing():
            new = await accounts.create_user(
                username=username,
                display_name=display_name,
                role=role,
                password=draft.password,
                municipality_codes=[m["code"] for m in municipalities],
                unit_name=unit_name,
                actor=principal,
            )
            if joint:
                await org.join_units(principal, new.user.id, joint, home=draft.unit_id)
        return new
    except accounts.AccountError as exc:
        # The name was taken between the check above and the insert.
        raise FormErrors({"username": str(exc)}) from exc


# --- users: changes --------------------------------------------------------------


async def _versioned_update(user_id: int, version: int, values: dict[Any, Any]) -> None:
    """UPDATE … WHERE id = ? AND version = ?, raising the version; VersionConflict if
    the row moved on, 404 if there is no such (unarchived) user."""
    if not await bump_version(User, user_id, version, values, live_only=True):
        if await User.exists().where((User.id == user_id) & User.archived_at.is_null()):
            raise VersionConflict()
        raise NotVisible()


async def _current(user_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await User.select(User.username, User.role, User.version, User.totp_secret_enc, User.unit)
        .where((User.id == user_id) & User.archived_at.is_null())
        .first()
    )
    if row is None:
        raise NotVisible()
    return row


async def disable_user(principal: Principal, user_id: int, version: int) -> None:
    """Stop the account signing in and end its sessions at once."""
    require(principal, Permission.users_manage)
    if user_id == principal.user_id:
        raise AdminError(gettext(SELF_DISABLE_MESSAGE))
    async with writing():
        await _versioned_update(
            user_id, version, {User.is_active: False, User.session_epoch: User.session_epoch + 1}
        )
        await record_user_event(principal, AuditAction.user_disable, user_id, sessions_ended=True)


async def enable_user(principal: Principal, user_id: int, version: int) -> None:
    require(principal, Permission.users_manage)
    async with writing():
        await _versioned_update(user_id, version, {User.is_active: True})
        await record_user_event(principal, AuditAction.user_enable, user_id)


LEAD_ROLE_MESSAGE = N_(
    "Bara handläggare (rollen Socialtjänst) kan vara enhetschefer: de godkänner planer "
    "och avslut i sina enheter."
)


async def set_unit_lead(principal: Principal, user_id: int, version: int, lead: bool) -> None:
    """Make the user a unit lead (enhetschef: approves case plans and closings in
    their units) or end it. What they may do changes, so their sessions end."""
    require(principal, Permission.users_manage)
    current = await _current(user_id)
    if lead and not can_lead(current["role"]):
        raise AdminError(gettext(LEAD_ROLE_MESSAGE))
    async with writing():
        await _versioned_update(
            user_id,
            version,
            {User.unit_lead: lead, User.session_epoch: User.session_epoch + 1},
        )
        await record_user_event(
            principal, AuditAction.user_lead_change, user_id, unit_lead=lead, sessions_ended=True
        )


async def make_unit_lead(principal: Principal, user_id: int, version: int) -> None:
    await set_unit_lead(principal, user_id, version, True)


async def end_unit_lead(principal: Principal, user_id: int, version: int) -> None:
    await set_unit_lead(principal, user_id, version, False)


async def end_sessions(principal: Principal, user_id: int, version: int) -> None:
    """Sign the user out everywhere (their next request goes to the login page)."""
    require(principal, Permission.users_manage)
    async with writing():
        await _versioned_update(user_id, version, {User.session_epoch: User.session_epoch + 1})
        await record_user_event(
            principal, AuditAction.auth_logout_everywhere, user_id, sessions_ended=True
        )


async def unlock_user(
    principal: Principal, user_id: int, version: int, *, throttle: LoginThrottle
) -> None:
    """Lift a sign-in lockout: the throttle forgets the account, the counters reset."""
    require(principal, Permission.users_manage)
    async with writing():
        current = await _current(user_id)
        await _versioned_update(user_id, version, {User.failed_logins: 0, User.locked_until: None})
        # Inside the transaction: if the store refuses, the row and its audit event roll back.
        await throttle.unlock_account(current["username"])
        await record_user_event(principal, AuditAction.user_unlock, user_id)


@dataclass(frozen=True)
class SecondFactor:
    """A new TOTP secret and recovery codes: shown once, never stored in the clear."""

    username: str
    secret: str
    uri: str
    recovery_codes: list[str]

    @property
    def qr_svg(self) -> Markup:
        """The provisioning URI as a QR code, inline SVG made by the app."""
        return qr_svg(self.uri, title=gettext("QR-kod för autentiseringsappen"))


async def _new_second_factor(username: str) -> tuple[SecondFactor, list[str]]:
    """A fresh secret and codes, and the codes' hashes (made before any transaction:
    argon2 takes a while and SQLite's write lock is shared)."""
    secret = totp.new_secret()
    codes = totp.generate_recovery_codes()
    hashes = await anyio.to_thread.run_sync(
        lambda: [totp.hash_recovery_code(code) for code in codes], limiter=passwords.hash_limiter
    )
    factor = SecondFactor(
        username=username,
        secret=secret,
        uri=totp.provisioning_uri(secret, username),
        recovery_codes=codes,
    )
    return factor, hashes


async def _install_second_factor(user_id: int, factor: SecondFactor, hashes: list[str]) -> None:
    """In the caller's transaction: replace unused recovery codes (used ones stay as history)."""
    await RecoveryCode.delete().where(
        (RecoveryCode.user == user_id) & RecoveryCode.used_at.is_null()
    )
    await RecoveryCode.insert(*(RecoveryCode(user=user_id, code_hash=h) for h in hashes))


def _second_factor_values(user_id: int, factor: SecondFactor) -> dict[Any, Any]:
    return {
        User.totp_secret_enc: totp.seal_secret(factor.secret, user_id),
        User.totp_last_step: None,
    }


async def reset_second_factor(principal: Principal, user_id: int, version: int) -> SecondFactor:
    """A new TOTP secret and recovery codes; the old ones stop working, sessions end."""
    require(principal, Permission.users_manage)
    current = await _current(user_id)
    if current["version"] != version:
        raise VersionConflict()
    factor, hashes = await _new_second_factor(current["username"])
    async with writing():
        await _versioned_update(
            user_id,
            version,
            {
                **_second_factor_values(user_id, factor),
                User.session_epoch: User.session_epoch + 1,
            },
        )
        await _install_second_factor(user_id, factor, hashes)
        await record_user_event(
            principal, AuditAction.auth_totp_enrolled, user_id, by_admin=True, sessions_ended=True
        )
    return factor


async def change_role(
    principal: Principal, user_id: int, version: int, role: str
) -> SecondFactor | None:
    """Give the user another role; their sessions end. A role that needs a second
    factor, for a user without one, enrols one (returned, to be shown once)."""
    require(principal, Permission.users_manage)
    try:
        new_role = Role(role)
    except ValueError:
        raise FormErrors({"role": gettext("Välj en roll.")}) from None
    if user_id == principal.user_id:
        raise AdminError(gettext(SELF_ROLE_MESSAGE))
    current = await _current(user_id)
    if current["version"] != version:
        raise VersionConflict()
    if current["role"] == new_role.value:
        raise FormErrors({"role": gettext("Användaren har redan den rollen.")})
    factor: SecondFactor | None = None
    hashes: list[str] = []
    if new_role in ROLES_NEEDING_TOTP and current["totp_secret_enc"] is None:
        factor, hashes = await _new_second_factor(current["username"])
    values: dict[Any, Any] = {
        User.role: new_role.value,
        User.session_epoch: User.session_epoch + 1,
    }
    if factor is not None:
        values.update(_second_factor_values(user_id, factor))
    async with writing():
        await _versioned_update(user_id, version, values)
        await record_user_event(
            principal,
            AuditAction.user_role_change,
            user_id,
            **{"from": current["role"], "to": new_role.value, "sessions_ended": True},
        )
        if factor is not None:
            await _install_second_factor(user_id, factor, hashes)
            await record_user_event(
                principal, AuditAction.auth_totp_enrolled, user_id, by_admin=True
            )
    return factor


async def update_user(
    principal: Principal,
    user_id: int,
    version: int,
    *,
    display_name: str,
    unit_id: int | None,
    municipality_ids: Sequence[int],
    joint_unit_ids: Sequence[int] | None = None,
) -> bool:
    """Change name, home unit, joint units (None: leave them) and explicit
    municipalities. Any of those changes what the user may read (their scope is
    their units' municipalities plus the explicit ones), so it ends their
    sessions; returns whether it did."""
    from gvi.org import services as org

    require(principal, Permission.users_manage)
    errors: dict[str, str] = {}
    name = _clean_display_name(display_name, errors)
    current_unit = (await _current(user_id))["unit"]
    if unit_id != current_unit:
        # Keeping a unit that has since been deactivated is no error; moving into one is.
        await _check_unit(unit_id, errors)
    municipalities = await _check_municipalities(municipality_ids, errors)
    joint: set[int] | None = None
    if joint_unit_ids is not None:
        held_joint = await org.joint_unit_ids(user_id)
        fresh = set(joint_unit_ids) - held_joint
        joint = (set(joint_unit_ids) & held_joint) | await org.check_joint_units(fresh, errors)
    if errors:
        raise FormErrors(errors)
    wanted = {m["id"] for m in municipalities}
    async with writing():
        current = await _current(user_id)
        held = {
            r["municipality"]
            for r in await UserMunicipality.select(UserMunicipality.municipality).where(
                UserMunicipality.user == user_id
            )
        }
        held_units = await org.joint_unit_ids(user_id)
        units_changed = current["unit"] != unit_id or (joint is not None and joint != held_units)
        scope_changed = units_changed or held != wanted
        values: dict[Any, Any] = {User.display_name: name, User.unit: unit_id}
        if scope_changed:
            values[User.session_epoch] = User.session_epoch + 1
        await _versioned_update(user_id, version, values)
        if held != wanted:
            await UserMunicipality.delete().where(UserMunicipality.user == user_id)
            if wanted:
                await UserMunicipality.insert(
                    *(UserMunicipality(user=user_id, municipality=m) for m in sorted(wanted))
                )
        if joint is not None:
            await org.replace_joint_units(user_id, joint)
        if units_changed:
            await record_user_event(
                principal,
                AuditAction.user_unit_change,
                user_id,
                home_from=current["unit"],
                home_to=unit_id,
                joint_units=len(joint if joint is not None else held_units),
                sessions_ended=True,
            )
        await record_user_event(
            principal,
            AuditAction.user_update,
            user_id,
            unit_id=unit_id,
            municipalities=len(wanted),
            scope_changed=scope_changed,
            sessions_ended=scope_changed,
        )
    return scope_changed


async def record_user_event(
    principal: Principal, action: AuditAction, user_id: int, **details: Any
) -> None:
    await audit.record(
        action, actor=principal, target_type="user", target_id=user_id, details=details
    )
