"""Issue 16, the workflow rules: a case status change records the gate it passed by a
recorded exception (consent, threat assessment, eligibility decision)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case status changes record an overridden gate"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gvi", description=DESCRIPTION)

    manager.add_column(
        table_class_name="CaseStatusChange",
        tablename="case_status_change",
        column_name="overridden_gate",
        db_column_name="overridden_gate",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
