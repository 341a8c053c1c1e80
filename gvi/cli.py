"""The ``gvi`` command line: serve, migrate, seed, create-user, audit, keys.

Run ``gvi --help`` or ``gvi COMMAND --help``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

# Piccolo finds its configuration through this variable; set it before any table import.
os.environ.setdefault("PICCOLO_CONF", "gvi.piccolo_conf")

T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T], *, checkpoint: bool = True) -> T:
    """Run a command's work, then checkpoint the audit trail if the work moved it
    (a command's events are signed before it exits, as the app's are)."""

    async def run_and_checkpoint() -> T:
        result = await coro
        if checkpoint:
            from gvi.audit.checkpoints import checkpoint_quietly

            await checkpoint_quietly("command")
        return result

    return asyncio.run(run_and_checkpoint())


@contextmanager
def _refusals(*kinds: type[Exception]) -> Iterator[None]:
    """A refusal of one of *kinds* (default: any service refusal) ends the command
    with its message; for input problems, each field named with its problem."""
    from gvi.core.failures import Refused, field_detail

    caught = kinds or (Refused,)
    try:
        yield
    except caught as exc:
        errors = getattr(exc, "errors", None)
        if isinstance(errors, dict):
            raise click.ClickException(field_detail(errors)) from exc
        raise click.ClickException(str(exc)) from exc


def _create_account(**fields: Any) -> Any:
    """Create an account through the accounts service; refusals end the command."""
    from gvi.accounts.services import AccountError
    from gvi.accounts.services import create_user as do_create

    with _refusals(AccountError):
        return _run(do_create(**fields))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """GVI-stöd: operations tracker for Group Violence Intervention (Sluta skjut).

    Configuration comes from GVI_* environment variables (see README). With no
    GVI_DATABASE_URL the embedded SQLite database var/gvi.sqlite3 is used.
    """
    # Everything a command creates under var/ (database, WAL, sessions, keys,
    # checkpoints, backups) is the owner's alone.
    os.umask(0o077)


@main.command()
@click.option("--host", default=None, help="Address to bind (default GVI_HOST, 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to bind (default GVI_PORT, 8000).")
@click.option("--workers", default=1, show_default=True, help="Worker processes.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the web app and the API with uvicorn."""
    import uvicorn

    from gvi.jobs.worker import start_embedded_worker, stop_embedded_worker
    from gvi.settings import get_settings

    settings = get_settings()
    _refuse_unsafe_production(settings)
    embedded = start_embedded_worker(settings)  # GVI_EMBEDDED_WORKER=false: none
    try:
        _serve(uvicorn, settings, host, port, workers)
    finally:
        stop_embedded_worker(embedded)


def _serve(uvicorn: Any, settings: Any, host: str | None, port: int | None, workers: int) -> None:
    uvicorn.run(
        "gvi.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        # X-Forwarded-For/-Proto are believed only from the configured proxies:
        # anyone else (a local process included) could set them to forge the
        # audited address or dodge the login throttle.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or "",
        server_header=False,
        # Access logs carry paths only; query strings are dropped below.
        access_log=False,
        log_level=settings.log_level.lower(),
    )


def _refuse_unsafe_production(settings: Any) -> None:
    if not settings.is_production:
        return
    problems = []
    if not settings.secure_cookies:
        problems.append("GVI_SECURE_COOKIES must be true in production")
    if not settings.secret_key or "test" in settings.secret_key or len(settings.secret_key) < 32:
        problems.append("GVI_SECRET_KEY must be set to a random value of 32+ characters")
    if not settings.data_key:
        problems.append("GVI_DATA_KEY must be set in production (not a key file under var/)")
    if not settings.audit_key:
        problems.append("GVI_AUDIT_KEY must be set in production (not a key file under var/)")
    if not settings.audit_signing_key:
        problems.append(
            "GVI_AUDIT_SIGNING_KEY must be set in production (not a key file under var/)"
        )
    else:
        from gvi.audit.keys import AuditKeyError, load_chain_keys, load_signing_keys

        try:
            load_chain_keys(settings)
            load_signing_keys(settings)
        except AuditKeyError as exc:
            problems.append(str(exc))
    from gvi.oidc.config import production_problems

    problems += production_problems(settings)
    if problems:
        raise click.ClickException("Refusing to start: " + "; ".join(problems))
    from gvi.accounts.demo_guard import demo_accounts_present

    if _run(demo_accounts_present(), checkpoint=False):
        raise click.ClickException(
            "Refusing to start: demo accounts with known passwords or TOTP secrets exist. "
            "Disable them (`gvi disable-user USERNAME`) before running in production."
        )


@main.command()
def migrate() -> None:
    """Apply every pending database migration (safe to run repeatedly)."""
    from gvi.core.migrate import migrate as run_migrate

    audited = _run(run_migrate())
    click.echo("Migrations are current.")
    if not audited:
        click.echo(
            "Note: no audit key is configured yet (GVI_AUDIT_KEY), so loading the "
            "municipality list wrote no audit event. Set GVI_AUDIT_KEY and "
            "GVI_AUDIT_SIGNING_KEY before `gvi serve` (production refuses to start without).",
            err=True,
        )


@main.command("init-key")
def init_key() -> None:
    """Create the local data-key and audit-key files under var/ where no key is
    configured (development only)."""
    from gvi.audit.keys import chain_key_path, ensure_local_audit_keys, signing_key_path
    from gvi.security.crypto import ensure_local_key_file
    from gvi.settings import get_settings

    settings = get_settings()
    if settings.is_production:
        raise click.ClickException(
            "In production, set GVI_DATA_KEY, GVI_AUDIT_KEY and GVI_AUDIT_SIGNING_KEY "
            "from your secret store."
        )
    path = ensure_local_key_file(settings)
    ensure_local_audit_keys(settings)
    click.echo(f"Data key: {'GVI_DATA_KEY' if settings.data_key else path}")
    click.echo(f"Audit key: {'GVI_AUDIT_KEY' if settings.audit_key else chain_key_path(settings)}")
    signing = "GVI_AUDIT_SIGNING_KEY" if settings.audit_signing_key else signing_key_path(settings)
    click.echo(f"Audit signing key: {signing}")


@main.command()
@click.option("--demo/--no-demo", default=True, show_default=True, help="Load the demo data set.")
@click.option(
    "--scale",
    type=click.Choice(["demo", "national"]),
    default="demo",
    show_default=True,
    help="national: ~62,000 people, 300 groups, 200,000 ties (fictional).",
)
@click.option("--seed", "seed_value", default=1, show_default=True, help="Random seed (national).")
@click.option("--print-logins/--no-print-logins", default=True, show_default=True)
def seed(demo: bool, scale: str, seed_value: int, print_logins: bool) -> None:
    """Load fictional data. Idempotent: loading twice adds nothing."""
    from gvi.settings import get_settings

    if get_settings().is_production:
        raise click.ClickException("Demo data is refused in production.")
    if scale == "national":
        from seeds.national import load_national

        def progress(stage: str, done: int, total: int) -> None:
            click.echo(f"\r  {stage}: {done}/{total}", nl=done >= total)

        counts = _run(load_national(seed=seed_value, progress=progress))
    else:
        from seeds.demo import load_demo

        counts = _run(load_demo(progress=lambda msg: click.echo(f"  {msg}")))
    created = sum(counts.values())
    click.echo(
        f"Seed done: {created} rows created." if created else "Seed: already loaded, nothing to do."
    )
    if print_logins and scale == "demo":
        _print_demo_logins()


def _print_demo_logins() -> None:
    from gvi.accounts.totp import provisioning_uri
    from seeds.demo import DEMO_PASSWORD, DEMO_USERS

    click.echo("\nDemo logins (fictional data; all share the password below):")
    click.echo(f"  password: {DEMO_PASSWORD}")
    for u in DEMO_USERS:
        click.echo(f"  {u.username:<20} role={u.role:<12} totp={u.totp_secret}")
        click.echo(f"      {provisioning_uri(u.totp_secret, u.username)}")
    click.echo(
        "  Get a current code with: "
        ".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\""
    )


@main.command("create-user")
@click.option("--username", required=True, help="Login name (lower case).")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "coordinator", "outreach", "police", "analyst"]),
)
@click.option(
    "--municipality",
    "municipalities",
    multiple=True,
    help="Kommunkod the user may see; repeat for several (e.g. --municipality 0123).",
)
@click.option("--unit", default=None, help="Name of the user's unit.")
@click.option(
    "--joint-unit",
    "joint_units",
    multiple=True,
    help="Id or name of a joint unit the user also works in; repeat for several.",
)
@click.password_option(help="At least 12 characters; prompted if not given.")
def create_user(
    username: str,
    display_name: str,
    role: str,
    municipalities: tuple[str, ...],
    unit: str | None,
    joint_units: tuple[str, ...],
    password: str,
) -> None:
    """Create an account. Prints the TOTP secret and recovery codes once."""
    from gvi.accounts.services import AccountError
    from gvi.accounts.services import create_user as do_create
    from gvi.accounts.tables import Role, User
    from gvi.db import write_transaction
    from gvi.org import services as org

    async def work() -> Any:
        joint = {(await _unit_of(key)).id for key in joint_units}
        errors: dict[str, str] = {}
        await org.check_joint_units(joint, errors)
        if errors:
            raise click.ClickException("Joint units must be active units.")
        # One transaction: the account and its joint units, or neither.
        async with write_transaction(User._meta.db):
            new = await do_create(
                username=username,
                display_name=display_name,
                role=Role(role),
                password=password,
                municipality_codes=list(municipalities),
                unit_name=unit,
            )
            if joint:
                home = new.user.unit if isinstance(new.user.unit, int) else None
                await org.join_units(_org_principal(), new.user.id, joint, home=home)
        return new

    with _refusals(AccountError):
        new = _run(work())
    click.echo(f"Created {new.user.username} ({role}).")
    if new.totp_uri:
        _print_second_factor(new)


def _print_second_factor(new: Any) -> None:
    from gvi.accounts.qr import qr_terminal

    click.echo(f"TOTP secret: {new.totp_secret}\n  {new.totp_uri}")
    click.echo("Scan this QR code with the authenticator app (shown once):")
    click.echo(qr_terminal(new.totp_uri))
    click.echo("Recovery codes (store them safely; shown once):")
    for code in new.recovery_codes:
        click.echo(f"  {code}")


@main.command("create-first-admin")
@click.option("--username", required=True, help="Login name (lower case).")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.password_option(help="At least 12 characters; prompted if not given.")
def create_first_admin(username: str, display_name: str, password: str) -> None:
    """Create the first administrator of an empty install (production too).

    Refused when any administrator exists. Prints the TOTP secret, its QR code
    and the recovery codes once: the admin signs in with a second factor.
    """
    from gvi.accounts.tables import Role

    new = _create_account(
        username=username,
        display_name=display_name,
        role=Role.admin,
        password=password,
        municipality_codes=[],
        first_admin=True,
    )
    click.echo(f"Created the first administrator {new.user.username}.")
    _print_second_factor(new)
    click.echo("Next: sign in at /login, then create units (Administration → Enheter).")


@main.command("oidc-unlink")
@click.argument("username")
def oidc_unlink(username: str) -> None:
    """Unlink an account from its person at the identity provider: the next
    sign-in through the provider links it again by the account claim."""
    from gvi.oidc.services import unlink

    if not _run(unlink(username)):
        raise click.ClickException(f"{username!r} is not linked to an identity provider.")
    click.echo(f"Unlinked {username.strip().lower()}; the next sign-in links it anew.")


@main.group()
def org() -> None:
    """The organisation: units and the municipalities they serve (SCB kommunkoder)."""


def _org_principal() -> Any:
    from gvi.access.principal import SYSTEM

    return SYSTEM


def _unit_line(u: Any) -> str:
    serves = ",".join(m.code for m in u.serves)
    state = "active" if u.is_active else "inactive"
    return (
        f"{u.id:>5}  {u.name}  kind={u.kind} agency={u.agency} home={u.home.code} "
        f"serves={serves} users={u.members} {state} version={u.version}"
    )


@org.command("units")
def org_units() -> None:
    """List the units (id, name, kind, agency, home and served kommunkoder)."""
    from gvi.org import services

    for unit in _run(services.list_units(_org_principal())):
        click.echo(_unit_line(unit))


_KINDS = click.Choice(["social_services", "police", "coordination", "joint_defector_unit", "other"])
_AGENCIES = click.Choice(["social_services", "police", "municipality"])


@org.command("unit-create")
@click.option("--name", required=True, help="The unit's name (unique).")
@click.option("--kind", required=True, type=_KINDS)
@click.option("--agency", required=True, type=_AGENCIES, help="The partition its records are in.")
@click.option("--home", required=True, help="Kommunkod of the home municipality, e.g. 0123.")
@click.option("--serves", multiple=True, help="Kommunkod it also serves; repeat for several.")
def org_unit_create(name: str, kind: str, agency: str, home: str, serves: tuple[str, ...]) -> None:
    """Create a unit; the home municipality is always among those it serves."""
    from gvi.org import services

    draft = services.UnitDraft(name=name, kind=kind, agency=agency, home=home, serves=serves)
    with _refusals():
        unit = _run(services.create_unit(_org_principal(), draft))
    click.echo(f"Created unit {unit.id}:")
    click.echo(_unit_line(unit))


async def _unit_of(key: str) -> Any:
    from gvi.core.failures import NotVisible
    from gvi.org import services

    try:
        return await services.find_unit(_org_principal(), key)
    except NotVisible:
        raise click.ClickException(f"No unit with id or name {key!r}.") from None


def _find(key: str) -> Any:
    return _run(_unit_of(key))


@org.command("unit-update")
@click.argument("unit")
@click.option("--name", default=None, help="New name.")
@click.option("--kind", default=None, type=_KINDS)
@click.option("--agency", default=None, type=_AGENCIES)
@click.option("--home", default=None, help="Kommunkod of the new home municipality.")
@click.option(
    "--serves", multiple=True, help="Kommunkod served; repeat. Replaces the whole set when given."
)
def org_unit_update(
    unit: str,
    name: str | None,
    kind: str | None,
    agency: str | None,
    home: str | None,
    serves: tuple[str, ...],
) -> None:
    """Change a unit (UNIT is its id or exact name); what is not given stays.
    Changed served municipalities end the sessions of the unit's users."""
    from gvi.org import services

    current = _find(unit)
    draft = services.UnitDraft(
        name=name if name is not None else current.name,
        kind=kind or current.kind,
        agency=agency or current.agency,
        home=home or current.home.code,
        serves=serves or tuple(m.code for m in current.serves),
    )
    with _refusals():
        change = _run(services.update_unit(_org_principal(), current.id, current.version, draft))
    click.echo(_unit_line(_find(str(current.id))))
    if change.sessions_ended:
        click.echo(f"Scope changed: sessions of {change.sessions_ended} user(s) ended.")


@org.command("unit-deactivate")
@click.argument("unit")
def org_unit_deactivate(unit: str) -> None:
    """Deactivate a unit (id or exact name). Refused while it has open defector
    cases: they are listed by reference, to be reassigned first."""
    from gvi.org import services

    current = _find(unit)
    with _refusals():
        try:
            change = _run(services.deactivate_unit(_org_principal(), current.id, current.version))
        except services.OpenCasesRefusal as exc:
            click.echo(f"Refused: {exc.count} open defector case(s) in this unit:", err=True)
            for case in exc.cases:
                click.echo(f"  {case.reference} (id {case.id})", err=True)
            sys.exit(1)
    click.echo(f"Deactivated {current.name}; sessions of {change.sessions_ended} user(s) ended.")


@org.command("unit-reactivate")
@click.argument("unit")
def org_unit_reactivate(unit: str) -> None:
    """Make a deactivated unit (id or exact name) active again; its users'
    sessions end, and they sign in again with the unit's municipalities."""
    from gvi.org import services

    current = _find(unit)
    with _refusals():
        change = _run(services.reactivate_unit(_org_principal(), current.id, current.version))
    click.echo(f"Reactivated {current.name}; sessions of {change.sessions_ended} user(s) ended.")


@org.command("municipalities")
@click.option("--county", default="", help='Only this county (län), e.g. "Stockholms län".')
def org_municipalities(county: str) -> None:
    """SCB's municipalities: kommunkod, name, county."""
    from gvi.org import services

    rows = _run(services.municipalities(_org_principal(), county))
    if county and not rows:
        raise click.ClickException(f"No municipalities in {county!r} (write e.g. 'Uppsala län').")
    for m in rows:
        click.echo(f"{m.code}  {m.name}  ({m.county})")


@main.command("backup")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Backup file (default var/backups/gvi-<engine>-<time>.gvibak).",
)
def backup_command(out: Path | None) -> None:
    """Write an encrypted backup (SQLite online backup or pg_dump), sealed with the data key."""
    from datetime import UTC, datetime

    from gvi.ops.backup import BackupError, backup
    from gvi.security.crypto import get_keyring
    from gvi.settings import get_settings

    settings = get_settings()
    engine = "postgres" if settings.is_postgres else "sqlite"
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    target = out or settings.var_dir / "backups" / f"gvi-{engine}-{stamp}.gvibak"
    with _refusals(BackupError):
        header = backup(settings, get_keyring(), target)
    click.echo(f"Backup written: {target} ({engine}, data key {header.key_id}).")


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: the configured database is replaced.")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the configured database with an encrypted backup. Stop the app first."""
    from gvi.ops.backup import BackupError, restore
    from gvi.security.crypto import get_keyring
    from gvi.settings import get_settings

    if not yes:
        raise click.ClickException("Restoring replaces the whole database: add --yes to confirm.")
    with _refusals(BackupError):
        header = restore(get_settings(), get_keyring(), source)
    click.echo(f"Restored the {header.engine} backup made {header.created}.")
    click.echo("Check it with `gvi audit verify` before starting the app.")


@main.command("retention")
@click.option("--apply", "apply_", is_flag=True, help="Anonymise for real (default: dry run).")
@click.option(
    "--years", default=5, show_default=True, help="Years after a closed case's last entry."
)
@click.option(
    "--as-of", "as_of", default=None, help="Date to count from (YYYY-MM-DD; default today)."
)
def retention_command(apply_: bool, years: int, as_of: str | None) -> None:
    """Retention (gallring): list or anonymise closed cases past the retention period."""
    from datetime import date

    from gvi.core import clock
    from gvi.ops.retention import run

    day = date.fromisoformat(as_of) if as_of else clock.today()
    report = _run(run(as_of=day, years=years, dry_run=not apply_))
    verb = "Anonymised" if report.applied else "Would anonymise"
    click.echo(f"{verb} {len(report.candidates)} closed case(s) with no entry since {years} years:")
    for c in report.candidates:
        person = "person kept (recent activity elsewhere)" if c.person_kept else "identity deleted"
        click.echo(f"  case {c.case_id}: last entry {c.last_entry}; {person}")
    if not report.applied and report.candidates:
        click.echo("Nothing was changed. Run again with --apply to anonymise.")


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
@click.option(
    "--checkpoints",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Signed checkpoints to check against (default GVI_AUDIT_CHECKPOINT_FILE); "
    "a copy taken from syslog works too.",
)
def audit_verify(checkpoint_file: Path | None) -> None:
    """Check every row's HMAC and link and the signed checkpoints; exit 1 if any
    row was edited, deleted or rewritten, the tail was cut or checkpoints stopped."""
    from gvi.audit.services import verify_command

    sys.exit(_run(verify_command(checkpoint_file=checkpoint_file), checkpoint=False))


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the current head now (after the keyed-chain migration: anchors the
    older SHA-256 rows). Refused when the chain does not verify."""
    from gvi.audit.services import checkpoint_command

    sys.exit(_run(checkpoint_command(), checkpoint=False))


@main.command("rotate-key")
@click.option(
    "--new-key-id",
    default=None,
    help="Id for the new key (default: random). Naming the active key resumes without adding one.",
)
@click.option(
    "--retire",
    "retire_id",
    default=None,
    metavar="OLD_ID",
    help="Remove this key once no row uses it (recomputes the blind index if it changes).",
)
@click.option(
    "--reindex",
    is_flag=True,
    help="Only recompute every personnummer blind index with the configured keys.",
)
@click.option("--dry-run", is_flag=True, help="Decrypt and count, but write nothing.")
@click.option(
    "--batch-size",
    default=500,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Rows per write transaction.",
)
def rotate_key(
    new_key_id: str | None, retire_id: str | None, reindex: bool, dry_run: bool, batch_size: int
) -> None:
    """Rotate the identity data key without losing anything.

    \b
    1. gvi rotate-key                      add a key first in the key file, re-encrypt
       (restart every app instance so new writes use the new key)
    2. gvi rotate-key --new-key-id NEW     sweep rows written meanwhile (adds no key)
    3. gvi rotate-key --retire OLD         refused while any row uses OLD
       (restart every app instance; then `--reindex` if they wrote in between)

    With GVI_DATA_KEY the new value is printed for you to set; the pass then
    runs when you start this command again after the restart. Each step is
    audited and can be interrupted and run again.
    """
    from gvi.security import rotation
    from gvi.settings import get_settings

    if retire_id and (new_key_id or reindex):
        raise click.UsageError("--retire cannot be combined with --new-key-id or --reindex")
    if reindex and new_key_id:
        raise click.UsageError("--reindex cannot be combined with --new-key-id")
    source = rotation.KeySource.from_settings(get_settings())
    shown: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if shown.get(stage) != done:
            shown[stage] = done
            click.echo(f"\r  {stage}: {done}/{total}", nl=False)
            if done >= total:
                click.echo()

    def print_env_value(value: str) -> None:
        click.echo("Set GVI_DATA_KEY to this value in your secret store (a secret):", err=True)
        click.echo(value)

    prefix = "[dry run] " if dry_run else ""
    with _refusals(rotation.RotationError):
        if retire_id:
            retired = _run(
                rotation.retire(
                    source, retire_id, batch_size=batch_size, progress=progress, dry_run=dry_run
                )
            )
            click.echo()
            if retired.reindexed is not None:
                click.echo(
                    f"{prefix}Blind index recomputed: {retired.reindexed.updated} of "
                    f"{retired.reindexed.scanned} rows changed."
                )
            if retired.removed_from_file:
                click.echo(f"Key {retire_id} removed from {source.describe}.")
            elif dry_run:
                click.echo(f"{prefix}Key {retire_id} can be retired; nothing was changed.")
            if retired.new_env_value:
                print_env_value(retired.new_env_value)
            if not dry_run:
                click.echo(
                    "Restart every app instance now, then run `gvi rotate-key --reindex` "
                    "if any of them wrote identities in between."
                    if retired.index_changed
                    else "Restart every app instance now."
                )
            return
        if reindex:
            indexed = _run(
                rotation.reindex(source, batch_size=batch_size, progress=progress, dry_run=dry_run)
            )
            click.echo(f"\n{prefix}Blind index: {indexed.updated} of {indexed.scanned} changed.")
            return
        rotated = _run(
            rotation.rotate(
                source,
                new_key_id=new_key_id,
                batch_size=batch_size,
                progress=progress,
                dry_run=dry_run,
            )
        )
    if rotated.new_env_value:
        click.echo(f"New key {rotated.active_key_id} made; nothing re-encrypted yet.")
        print_env_value(rotated.new_env_value)
        click.echo(
            "Restart every app instance with it, then run "
            f"`gvi rotate-key --new-key-id {rotated.active_key_id}` to re-encrypt."
        )
        return
    result = rotated.reencrypted
    assert result is not None
    if rotated.key_added:
        where = "(not written: dry run)" if dry_run else f"first in {source.describe}"
        click.echo(f"\n{prefix}New key {rotated.active_key_id} {where}.")
    click.echo(
        f"\n{prefix}Re-encrypted under {result.active_key_id}: "
        f"{result.identities_reencrypted} identities, {result.totp_reencrypted} TOTP secrets; "
        f"{result.skipped} rows already on it."
    )
    if result.failures:
        click.echo(f"{len(result.failures)} ciphertext(s) did not decrypt and were left:", err=True)
        for failure in result.failures[:50]:
            click.echo(
                f"  {failure.table} id={failure.row_id} {failure.column}: {failure.reason}",
                err=True,
            )
        sys.exit(1)
    if rotated.key_added and not dry_run:
        click.echo(
            "Restart every app instance so new writes use the new key, then run "
            f"`gvi rotate-key --new-key-id {rotated.active_key_id}` once more before retiring."
        )


@main.command("send-digest")
def send_digest_command() -> None:
    """Send the daily digest now (counts and links only; opted-out users get none)."""
    from gvi.notify.services import send_daily_digest
    from gvi.settings import get_settings

    if not get_settings().smtp_host:
        click.echo("GVI_SMTP_HOST is not set: no digest sent.", err=True)
        sys.exit(1)
    sent = _run(send_daily_digest())
    click.echo(f"Digest sent to {sent} user(s).")


def _add_token_commands() -> None:
    from gvi.jobs.cli import worker_command
    from gvi.tokens.cli import token_group

    main.add_command(token_group)
    main.add_command(worker_command)


_add_token_commands()

if __name__ == "__main__":
    main()
