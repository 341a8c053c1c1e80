"""Issue 21: the daily digest and the start page (``app_user.email``, where the digest
goes; ``app_user.digest_opt_out``, the user declined it; ``app_user.home_seen_at``,
the last visit of the start page, for "changed since your last visit")."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "issue 21: app_user.email, digest_opt_out, home_seen_at (digest, start page)"


def _params(**extra: object) -> dict[str, object]:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **extra,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gvi", description=DESCRIPTION)
    columns = (
        ("email", Varchar, _params(length=254, default="")),
        ("digest_opt_out", Boolean, _params(default=False)),
        ("home_seen_at", Timestamptz, _params(default=None, null=True)),
    )
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="User",
            tablename="app_user",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
