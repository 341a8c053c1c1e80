"""API tokens, service accounts and calendar-feed addresses: creating, listing,
revoking, and turning a presented secret into the principal it acts as.

A token is ``gvi_<lookup>_<secret>`` (a feed address ``gvf_…``): *lookup* is
12 hex characters that find the row, *secret* 32 random bytes. Only the SHA-256
of the whole string is stored; it is shown once, at creation.

What a token may do is decided at every request, never frozen at creation: its
permissions and municipalities are intersected with what its owner has *now*
(:func:`authenticate`), so an owner who is disabled, archived, moved to another
unit or given another role loses through the token what they lost themselves.
At creation a token can only be given what its owner has (:func:`create_token`).

Tokens are managed with a session only: a token that could mint tokens could
outlive its own expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gvi.access.loading import current_account
from gvi.access.permissions import ROLE_PERMISSIONS, Permission
from gvi.access.principal import Principal
from gvi.accounts.tables import Role, User, UserKind, UserMunicipality
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.db import write_transaction
from gvi.i18n import gettext
from gvi.municipalities.tables import Municipality, Unit
from gvi.tokens.tables import ApiToken, TokenKind

MAX_DAYS = 90
NAME_MAX = 80
# Writing last_used_at on every request would make every read a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)
PREFIX = {TokenKind.api: "gvi", TokenKind.feed: "gvf"}
_SHAPE = re.compile(r"(gvi|gvf)_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
WHOLE_SCOPE = "*"
# Never carried by a token: everyone signed in has it, and ``public`` needs nothing.
IMPLIED = frozenset({Permission.public, Permission.authenticated})
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}")


class TokenError(Exception):
    """Input a person can correct: field → Swedish message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class TokenNotFound(Exception):
    """No such token, or not the actor's to see: the two answer alike."""


@dataclass(frozen=True)
class TokenView:
    id: int
    kind: str
    name: str
    owner_id: int
    lookup: str
    permissions: tuple[str, ...]
    municipality_ids: tuple[int, ...]
    whole_scope: bool
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= _now():
            return "expired"
        return "active"


@dataclass(frozen=True)
class NewToken:
    token: TokenView
    secret: str  # shown once, never stored


@dataclass(frozen=True)
class ServiceAccountView:
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    municipality_ids: tuple[int, ...]
    is_active: bool


def _now() -> datetime:
    return datetime.now(tz=UTC)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def grantable_permissions(role: Role | str) -> list[Permission]:
    """What a token of an account with this role can carry, in the enum's order."""
    if role not in {r.value for r in Role}:
        return []
    own = ROLE_PERMISSIONS.get(Role(role), frozenset())
    return [p for p in Permission if p in own and p not in IMPLIED]


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split() if part)


def _view(row: dict[str, Any]) -> TokenView:
    munis = _split(row["municipalities"])
    return TokenView(
        id=row["id"],
        kind=row["kind"],
        name=row["name"],
        owner_id=row["owner"],
        lookup=row["lookup"],
        permissions=_split(row["permissions"]),
        municipality_ids=tuple(int(m) for m in munis if m != WHOLE_SCOPE),
        whole_scope=WHOLE_SCOPE in munis,
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


_COLUMNS = (
    ApiToken.id,
    ApiToken.kind,
    ApiToken.name,
    ApiToken.owner,
    ApiToken.lookup,
    ApiToken.permissions,
    ApiToken.municipalities,
    ApiToken.created_at,
    ApiToken.expires_at,
    ApiToken.revoked_at,
    ApiToken.last_used_at,
)


def _session_only(actor: Principal) -> None:
    if actor.token_id is not None:
        raise TokenNotFound()


async def _service_account(actor: Principal, user_id: int) -> dict[str, Any]:
    """An active service account an admin manages (else 404)."""
    if not actor.can(Permission.users_manage):
        raise TokenNotFound()
    account = await current_account(user_id)
    if account is None or account["kind"] != UserKind.service:
        raise TokenNotFound()
    return account


async def _managed_account(actor: Principal, user_id: int) -> None:
    """A service account an admin manages, active or not (listing and revoking
    its tokens stay possible once it is disabled); else 404."""
    if not actor.can(Permission.users_manage):
        raise TokenNotFound()
    if not await User.exists().where(
        (User.id == user_id) & (User.kind == UserKind.service) & User.archived_at.is_null()
    ):
        raise TokenNotFound()


async def _owner_for(actor: Principal, owner_id: int) -> dict[str, Any]:
    """The account a token is made for: the actor's own, or a service account
    the actor administers."""
    _session_only(actor)
    if owner_id == actor.user_id:
        account = await current_account(owner_id)
        if account is None:
            raise TokenNotFound()
        return account
    return await _service_account(actor, owner_id)


async def create_token(
    actor: Principal,
    *,
    owner_id: int,
    name: str,
    permissions: list[str],
    municipality_ids: list[int],
    days: int | None,
) -> NewToken:
    """A new API token for *owner_id* (the actor, or a service account an admin
    manages), never with more than the owner has now."""
    owner = await _owner_for(actor, owner_id)
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = gettext("Ge nyckeln ett namn som säger vad den används till.")
    elif len(name) > NAME_MAX:
        errors["name"] = gettext("Namnet får vara högst %(max)s tecken.") % {"max": NAME_MAX}
    grantable = {p.value for p in grantable_permissions(owner["role"])}
    chosen = sorted(set(permissions))
    if not chosen:
        errors["permissions"] = gettext("Välj minst en behörighet.")
    elif set(chosen) - grantable:
        errors["permissions"] = gettext(
            "En nyckel kan bara få behörigheter som kontot har: ta bort de övriga."
        )
    scope: set[int] = owner["municipality_ids"]
    munis = sorted(set(municipality_ids))
    if set(munis) - scope:
        errors["municipalities"] = gettext(
            "En nyckel kan bara gälla kommuner som kontot har tillgång till."
        )
    elif scope and not munis:
        errors["municipalities"] = gettext("Välj minst en kommun.")
    if days is None:
        errors["days"] = gettext("Ange hur många dagar nyckeln ska gälla (1–%(max)s).") % {
            "max": MAX_DAYS
        }
    elif not 1 <= days <= MAX_DAYS:
        errors["days"] = gettext("En nyckel kan gälla i högst %(max)s dagar, minst en dag.") % {
            "max": MAX_DAYS
        }
    if errors:
        raise TokenError(errors)
    assert days is not None
    return await _insert(
        actor,
        owner_id=owner_id,
        kind=TokenKind.api,
        name=name,
        permissions=" ".join(chosen),
        municipalities=" ".join(str(m) for m in munis),
        expires_at=_now() + timedelta(days=days),
        audit=AuditAction.api_token_create,
        details={
            "owner": owner_id,
            "permissions": chosen,
            "municipalities": munis,
            "days": days,
        },
    )


async def create_feed(actor: Principal, *, name: str) -> NewToken:
    """A calendar-feed address for the actor: call-ins (``callins:read``) of the
    actor's scope as it is at each fetch; no expiry, revocable."""
    _session_only(actor)
    if not actor.can(Permission.callins_read):
        raise TokenNotFound()
    name = " ".join(name.split()) or gettext("Kalender")
    if len(name) > NAME_MAX:
        raise TokenError(
            {"name": gettext("Namnet får vara högst %(max)s tecken.") % {"max": NAME_MAX}}
        )
    return await _insert(
        actor,
        owner_id=actor.user_id,
        kind=TokenKind.feed,
        name=name,
        permissions=Permission.callins_read.value,
        municipalities=WHOLE_SCOPE,
        expires_at=None,
        audit=AuditAction.calendar_feed_create,
        details={"owner": actor.user_id},
    )


async def _insert(
    actor: Principal,
    *,
    owner_id: int,
    kind: TokenKind,
    name: str,
    permissions: str,
    municipalities: str,
    expires_at: datetime | None,
    audit: AuditAction,
    details: dict[str, Any],
) -> NewToken:
    lookup = secrets.token_hex(6)
    secret = f"{PREFIX[kind]}_{lookup}_{secrets.token_urlsafe(32)}"
    row = ApiToken(
        owner=owner_id,
        kind=kind,
        name=name,
        lookup=lookup,
        secret_hash=token_hash(secret),
        permissions=permissions,
        municipalities=municipalities,
        # The command line acts as the system, which is no account.
        created_by=actor.user_id or None,
        created_at=_now(),
        expires_at=expires_at,
    )
    async with write_transaction(ApiToken._meta.db):
        await row.save()
        await record(audit, actor=actor, target_type="api_token", target_id=row.id, details=details)
    saved = await ApiToken.select(*_COLUMNS).where(ApiToken.id == row.id).first()
    assert saved is not None
    return NewToken(token=_view(saved), secret=secret)


async def list_tokens(actor: Principal, owner_id: int, kind: TokenKind) -> list[TokenView]:
    """The owner's tokens (or feeds), newest first, revoked and expired included."""
    if owner_id != actor.user_id:
        await _managed_account(actor, owner_id)
    rows = (
        await ApiToken.select(*_COLUMNS)
        .where((ApiToken.owner == owner_id) & (ApiToken.kind == kind))
        .order_by(ApiToken.id, ascending=False)
    )
    return [_view(r) for r in rows]


async def revoke_token(actor: Principal, token_id: int) -> TokenView:
    """Revoke one of the actor's tokens or feeds, or a service account's token."""
    _session_only(actor)
    row = await ApiToken.select(*_COLUMNS).where(ApiToken.id == token_id).first()
    if row is None:
        raise TokenNotFound()
    if row["owner"] != actor.user_id:
        await _managed_account(actor, row["owner"])
    view = _view(row)
    if view.revoked_at is None:
        action = (
            AuditAction.calendar_feed_revoke
            if view.kind == TokenKind.feed
            else AuditAction.api_token_revoke
        )
        async with write_transaction(ApiToken._meta.db):
            await ApiToken.update(
                {ApiToken.revoked_at: _now(), ApiToken.revoked_by: actor.user_id or None}
            ).where((ApiToken.id == token_id) & ApiToken.revoked_at.is_null())
            await record(
                action,
                actor=actor,
                target_type="api_token",
                target_id=token_id,
                details={"owner": view.owner_id},
            )
    refreshed = await ApiToken.select(*_COLUMNS).where(ApiToken.id == token_id).first()
    assert refreshed is not None
    return _view(refreshed)


async def authenticate(
    secret: str, kind: TokenKind, *, ip: str = "", user_agent: str = ""
) -> Principal | None:
    """The principal a presented token acts as now, or None (unknown, wrong kind,
    expired, revoked, or an owner who can no longer act)."""
    match = _SHAPE.fullmatch(secret.strip())
    if match is None or match.group(1) != PREFIX[kind]:
        return None
    row = (
        await ApiToken.select(
            ApiToken.id,
            ApiToken.owner,
            ApiToken.kind,
            ApiToken.secret_hash,
            ApiToken.permissions,
            ApiToken.municipalities,
            ApiToken.expires_at,
            ApiToken.revoked_at,
            ApiToken.last_used_at,
        )
        .where(ApiToken.lookup == match.group(2))
        .first()
    )
    if row is None or not hmac.compare_digest(row["secret_hash"], token_hash(secret.strip())):
        return None
    now = _now()
    if (
        row["kind"] != kind
        or row["revoked_at"] is not None
        or (row["expires_at"] is not None and row["expires_at"] <= now)
    ):
        return None
    owner = await current_account(row["owner"])
    if owner is None:
        return None
    role = Role(owner["role"])
    allowed = ROLE_PERMISSIONS.get(role, frozenset())
    carried = {
        Permission(p) for p in _split(row["permissions"]) if p in Permission._value2member_map_
    }
    permissions = frozenset((carried & allowed) | {Permission.authenticated})
    municipality_ids: frozenset[int] = owner["municipality_ids"]
    unit_ids: frozenset[int] = owner["unit_ids"]
    munis = _split(row["municipalities"])
    if WHOLE_SCOPE not in munis:
        chosen = {int(m) for m in munis}
        narrowed = municipality_ids & chosen
        if narrowed != municipality_ids and unit_ids:
            # Units scope defector cases: keep those whose home is still in scope.
            homes = await Unit.select(Unit.id).where(
                Unit.id.is_in(list(unit_ids)) & Unit.municipality.is_in(list(narrowed) or [-1])
            )
            unit_ids = frozenset(u["id"] for u in homes)
        municipality_ids = frozenset(narrowed)
    last = row["last_used_at"]
    if last is None or now - last >= LAST_USED_GRANULARITY:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    return Principal(
        user_id=owner["id"],
        username=owner["username"],
        role=role,
        unit_id=owner["unit"],
        municipality_ids=municipality_ids,
        unit_ids=unit_ids,
        ip=ip,
        user_agent=user_agent,
        token_id=row["id"],
        token_permissions=permissions,
    )


# --- service accounts -----------------------------------------------------------------


async def create_service_account(
    actor: Principal,
    *,
    username: str,
    display_name: str,
    role: str,
    unit_id: int | None,
    municipality_ids: list[int],
) -> ServiceAccountView:
    """A user of kind ``service``: a role and a scope like anyone's, no password,
    no second factor, no pages; it acts only through tokens an admin makes."""
    _session_only(actor)
    if not actor.can(Permission.users_manage):
        raise TokenNotFound()
    errors: dict[str, str] = {}
    username = username.strip().lower()
    if not USERNAME.fullmatch(username):
        errors["username"] = gettext(
            "Användarnamnet: 2–63 tecken, små bokstäver a–z, siffror, punkt, bindestreck "
            "eller understreck."
        )
    elif await User.exists().where(User.username == username):
        errors["username"] = gettext("Användarnamnet är upptaget.")
    display_name = " ".join(display_name.split())
    if not display_name or len(display_name) > 120:
        errors["display_name"] = gettext(
            "Skriv vilket system kontot är till för (högst 120 tecken)."
        )
    if role not in {r.value for r in Role} or role == Role.admin:
        errors["role"] = gettext("Välj en roll (ett tjänstekonto kan inte vara administratör).")
    if unit_id is not None and not await Unit.exists().where(
        (Unit.id == unit_id) & Unit.archived_at.is_null() & (Unit.is_active == True)  # noqa: E712 (Piccolo needs ==)
    ):
        errors["unit"] = gettext("Välj en aktiv enhet.")
    munis = sorted(set(municipality_ids))
    found = await Municipality.select(Municipality.id).where(Municipality.id.is_in(munis or [-1]))
    if len(found) != len(munis):
        errors["municipalities"] = gettext("Välj kommuner ur listan.")
    if errors:
        raise TokenError(errors)
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        unit=unit_id,
        # Not an argon2 hash: no password ever matches it.
        password_hash="!service-account",  # noqa: S106 (a marker, not a password)
        kind=UserKind.service,
    )
    async with write_transaction(User._meta.db):
        await user.save()
        for m in munis:
            await UserMunicipality(user=user.id, municipality=m).save()
        await record(
            AuditAction.service_account_create,
            actor=actor,
            target_type="user",
            target_id=user.id,
            details={"role": role, "unit": unit_id, "municipalities": munis},
        )
    return ServiceAccountView(
        id=user.id,
        username=username,
        display_name=display_name,
        role=role,
        unit_id=unit_id,
        municipality_ids=tuple(munis),
        is_active=True,
    )


async def list_service_accounts(actor: Principal) -> list[ServiceAccountView]:
    if not actor.can(Permission.users_manage):
        raise TokenNotFound()
    users = (
        await User.select(
            User.id, User.username, User.display_name, User.role, User.unit, User.is_active
        )
        .where((User.kind == UserKind.service) & User.archived_at.is_null())
        .order_by(User.username)
    )
    grants = await UserMunicipality.select(
        UserMunicipality.user, UserMunicipality.municipality
    ).where(UserMunicipality.user.is_in([u["id"] for u in users] or [-1]))
    by_user: dict[int, list[int]] = {}
    for g in grants:
        by_user.setdefault(g["user"], []).append(g["municipality"])
    return [
        ServiceAccountView(
            id=u["id"],
            username=u["username"],
            display_name=u["display_name"],
            role=u["role"],
            unit_id=u["unit"],
            municipality_ids=tuple(sorted(by_user.get(u["id"], []))),
            is_active=u["is_active"],
        )
        for u in users
    ]


async def get_service_account(actor: Principal, user_id: int) -> ServiceAccountView:
    for account in await list_service_accounts(actor):
        if account.id == user_id:
            return account
    raise TokenNotFound()


async def owner_scope(actor: Principal, owner_id: int) -> tuple[str, list[dict[str, Any]]]:
    """The owner's role and current municipalities (id, name): what a token form
    offers; no role (nothing to offer) for a disabled service account."""
    try:
        owner = await _owner_for(actor, owner_id)
    except TokenNotFound:
        await _managed_account(actor, owner_id)
        return "", []
    rows = (
        await Municipality.select(Municipality.id, Municipality.name)
        .where(Municipality.id.is_in(list(owner["municipality_ids"]) or [-1]))
        .order_by(Municipality.name)
    )
    return str(owner["role"]), list(rows)
