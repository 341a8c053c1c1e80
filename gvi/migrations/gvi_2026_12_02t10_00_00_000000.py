"""Issue 19: job rows for the Huey queue (gvi/jobs): ``attempts`` and
``cancel_requested`` on import_job and analysis_job; statuses cancelling, cancelled."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "issue 19: job attempts, cancel requested, statuses cancelling and cancelled"

_OLD = {"queued": "queued", "running": "running", "done": "done", "failed": "failed"}
_NEW = {**_OLD, "cancelling": "cancelling", "cancelled": "cancelled"}
_TABLES = (("ImportJob", "import_job"), ("AnalysisJob", "analysis_job"))


def _params(default: object) -> dict[str, object]:
    return {
        "default": default,
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="gvi", description=DESCRIPTION)
    for class_name, tablename in _TABLES:
        for name, column_class, default in (
            ("attempts", Integer, 0),
            ("cancel_requested", Boolean, False),
        ):
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=_params(default),
                schema=None,
            )
        manager.alter_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name="status",
            db_column_name="status",
            params={"choices": Enum("Status", _NEW)},
            old_params={"choices": Enum("Status", _OLD)},
            column_class=Varchar,
            old_column_class=Varchar,
            schema=None,
        )
    return manager
