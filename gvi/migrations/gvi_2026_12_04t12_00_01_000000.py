"""One pending transfer per case, even when two offers are made at the same
moment: a partial unique index (both engines take ``WHERE`` on an index; Piccolo's
``index=True`` cannot say it). Its own migration because a migration's raw SQL
runs before its new tables are made."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T12:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "issue 22: one pending transfer per case"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gvi", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS case_transfer_one_pending "
            "ON case_transfer (\"case\") WHERE state = 'pending'"
        )

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS case_transfer_one_pending")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
