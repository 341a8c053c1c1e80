"""The migration history applies from empty and agrees with the table classes."""

from __future__ import annotations

from piccolo.apps.migrations.commands.new import AutoMigrationManager

from gvi.core.migrate import expected_migration_ids, pending_migrations
from gvi.piccolo_app import APP_CONFIG, TABLES


async def test_migrations_apply_and_nothing_is_pending(migrated: None) -> None:
    assert expected_migration_ids()
    assert await pending_migrations() == set()


async def test_table_classes_and_migrations_agree(migrated: None) -> None:
    statements = await AutoMigrationManager(auto_input="y").get_alter_statements(
        app_config=APP_CONFIG
    )
    pending = [s for group in statements for s in group.statements]
    assert pending == [], "table classes differ from migrations; run `make migration`"


async def test_every_table_and_column_exists_in_the_database(migrated: None) -> None:
    engine = TABLES[0]._meta.db
    for table in TABLES:
        name = table._meta.tablename
        if engine.engine_type == "postgres":
            rows = await engine._run_in_new_connection(
                "SELECT column_name AS name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = $1",
                [name],
            )
        else:
            rows = await engine._run_in_new_connection(f'PRAGMA table_info("{name}")')
        in_db = {r["name"] for r in rows}
        declared = {c._meta.db_column_name for c in table._meta.columns}
        assert declared <= in_db, f"{name}: missing {declared - in_db}"
