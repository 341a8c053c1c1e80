"""Applying and checking the migration history (``gvi migrate``, ``/readyz``)."""

from __future__ import annotations

from functools import lru_cache

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration

from gvi.piccolo_app import APP_CONFIG


class MigrationError(RuntimeError):
    pass


@lru_cache(maxsize=1)
def expected_migration_ids() -> frozenset[str]:
    """The migration ids shipped with this code (read once: files do not change at run time)."""
    manager = BaseMigrationManager()
    modules = manager.get_migration_modules(APP_CONFIG.resolved_migrations_folder_path)
    return frozenset(manager.get_migration_ids(modules))


async def applied_migration_ids() -> set[str]:
    rows = await Migration.select(Migration.name).where(Migration.app_name == APP_CONFIG.app_name)
    return {row["name"] for row in rows}


async def pending_migrations() -> set[str]:
    """Ids not yet applied; raises if the migration table is missing (never migrated)."""
    return set(expected_migration_ids()) - await applied_migration_ids()


async def migrate() -> bool:
    """The schema migrations, then the reference data (SCB's municipalities):
    both idempotent, so ``gvi migrate`` is safe on every start. False when the
    reference data changed without an audit event (no audit key configured yet)."""
    result = await run_forwards(app_name=APP_CONFIG.app_name)
    if not result.success:
        raise MigrationError(result.message or "migrations failed")
    # Imported here: the tables need the Piccolo configuration the caller set up.
    from gvi.municipalities.reference import sync_municipalities

    return (await sync_municipalities()).audited
