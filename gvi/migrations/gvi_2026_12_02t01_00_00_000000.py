"""Issue 15, re-import: ``person_identity.import_digest``, an HMAC (under the blind
index key) of the identity an import wrote, so a second upload of the same file
can tell an unchanged identity from a changed one without decrypting anything.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "issue 15: digest of an imported identity, for re-import"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gvi", description=DESCRIPTION)

    manager.add_column(
        table_class_name="PersonIdentity",
        tablename="person_identity",
        column_name="import_digest",
        db_column_name="import_digest",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": None,
            "null": True,
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
