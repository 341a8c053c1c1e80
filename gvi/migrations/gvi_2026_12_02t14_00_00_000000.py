"""Issue 20: saved views of the group network (``saved_view``): an analyst's filters,
date, centre group, colouring and pinned positions, with a name and a note."""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class User(Table, tablename="app_user", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-12-02T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "issue 20: saved_view (saved pictures of the group network)"

BASE: dict[str, Any] = {
    "null": False,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}

COLUMNS: list[tuple[str, Any, dict[str, Any]]] = [
    ("id", Serial, {"primary_key": True}),
    ("name", Varchar, {"length": 100, "default": ""}),
    ("note", Text, {"default": ""}),
    ("params", JSON, {"default": "{}"}),
    (
        "owner",
        ForeignKey,
        {
            "references": User,
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "index": True,
        },
    ),
    ("created_at", Timestamptz, {"default": TimestamptzNow()}),
    ("archived_at", Timestamptz, {"default": None, "null": True}),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gvi", description=DESCRIPTION)
    manager.add_table(class_name="SavedView", tablename="saved_view", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="SavedView",
            tablename="saved_view",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={**BASE, **params},
            schema=None,
        )
    return manager
