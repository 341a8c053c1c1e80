"""``gvi token …``: service accounts and their API tokens from the command line.

The commands act as the system (as ``gvi org`` does) and go through the same
services, limits and audit events as the admin pages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import click

T = TypeVar("T")
_ROLES = click.Choice(["coordinator", "outreach", "police", "analyst"])


def _run(coro: Coroutine[Any, Any, T]) -> T:
    async def run_and_checkpoint() -> T:
        result = await coro
        from gvi.audit.checkpoints import checkpoint_quietly

        await checkpoint_quietly("command")
        return result

    return asyncio.run(run_and_checkpoint())


def _errors(exc: Exception) -> click.ClickException:
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict):
        return click.ClickException("; ".join(f"{k}: {v}" for k, v in errors.items()))
    return click.ClickException("Inget sådant tjänstekonto eller sådan nyckel.")


async def _municipality_ids(codes: tuple[str, ...]) -> list[int]:
    from gvi.municipalities.tables import Municipality

    rows = await Municipality.select(Municipality.id, Municipality.code).where(
        Municipality.code.is_in(list(codes) or ["-"])
    )
    missing = set(codes) - {r["code"] for r in rows}
    if missing:
        raise click.ClickException(f"Okända kommunkoder: {', '.join(sorted(missing))}")
    return [r["id"] for r in rows]


async def _account_id(username: str) -> int:
    from gvi.access.principal import SYSTEM
    from gvi.tokens import services

    for account in await services.list_service_accounts(SYSTEM):
        if account.username == username.strip().lower():
            return account.id
    raise click.ClickException(f"Inget tjänstekonto heter {username!r}.")


@click.group("token")
def token_group() -> None:
    """Service accounts and their API tokens (at most 90 days; shown once)."""


@token_group.command("service-account-create")
@click.option("--username", required=True, help="Login name of the system (lower case).")
@click.option("--name", "display_name", required=True, help="Which system it is.")
@click.option("--role", required=True, type=_ROLES)
@click.option("--unit", "unit_id", type=int, default=None, help="Unit id (gvi org units).")
@click.option("--municipality", "codes", multiple=True, help="Kommunkod; repeat for several.")
def service_account_create(
    username: str, display_name: str, role: str, unit_id: int | None, codes: tuple[str, ...]
) -> None:
    """Create a service account: a role and a scope, no password, no pages."""
    from gvi.access.principal import SYSTEM
    from gvi.tokens import services

    async def work() -> services.ServiceAccountView:
        return await services.create_service_account(
            SYSTEM,
            username=username,
            display_name=display_name,
            role=role,
            unit_id=unit_id,
            municipality_ids=await _municipality_ids(codes),
        )

    try:
        account = _run(work())
    except (services.TokenError, services.TokenNotFound) as exc:
        raise _errors(exc) from exc
    click.echo(f"Created service account {account.username} (id {account.id}, {account.role}).")


@token_group.command("create")
@click.option("--account", "username", required=True, help="The service account's username.")
@click.option("--name", required=True, help="What the token is for.")
@click.option("--permission", "permissions", multiple=True, required=True, help="Repeat.")
@click.option(
    "--municipality", "codes", multiple=True, help="Kommunkod; default: all of the account's."
)
@click.option("--days", type=int, required=True, help="Valid this many days (1-90).")
def token_create(
    username: str, name: str, permissions: tuple[str, ...], codes: tuple[str, ...], days: int
) -> None:
    """Create an API token for a service account; the token is printed once."""
    from gvi.access.loading import current_account
    from gvi.access.principal import SYSTEM
    from gvi.tokens import services

    async def work() -> services.NewToken:
        owner_id = await _account_id(username)
        if codes:
            munis = await _municipality_ids(codes)
        else:
            account = await current_account(owner_id)
            munis = sorted(account["municipality_ids"]) if account else []
        return await services.create_token(
            SYSTEM,
            owner_id=owner_id,
            name=name,
            permissions=list(permissions),
            municipality_ids=munis,
            days=days,
        )

    try:
        new = _run(work())
    except (services.TokenError, services.TokenNotFound) as exc:
        raise _errors(exc) from exc
    click.echo(f"Token {new.token.id} valid until {new.token.expires_at:%Y-%m-%d %H:%M} UTC.")
    click.echo("Store it now; it is not shown again:")
    click.echo(new.secret)


@token_group.command("list")
@click.option("--account", "username", required=True, help="The service account's username.")
def token_list(username: str) -> None:
    """The account's tokens: id, status, expiry, last use, permissions (never the secret)."""
    from gvi.access.principal import SYSTEM
    from gvi.tokens import services
    from gvi.tokens.tables import TokenKind

    async def work() -> list[services.TokenView]:
        return await services.list_tokens(SYSTEM, await _account_id(username), TokenKind.api)

    for t in _run(work()):
        last = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        expires = f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "-"
        click.echo(
            f"{t.id:>5}  {t.status:<8} expires={expires} last_used={last} "
            f"{t.name!r} {' '.join(t.permissions)}"
        )


@token_group.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke a service account's token at once."""
    from gvi.access.principal import SYSTEM
    from gvi.tokens import services

    try:
        view = _run(services.revoke_token(SYSTEM, token_id))
    except services.TokenNotFound as exc:
        raise _errors(exc) from exc
    click.echo(f"Token {view.id} is {view.status}.")
