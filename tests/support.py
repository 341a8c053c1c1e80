"""Helpers for tests: emptying the database between tests."""

from __future__ import annotations

from gvi.piccolo_app import TABLES

# The trail is append-only (a trigger refuses UPDATE/DELETE); tests never empty it.
_KEEP = {"audit_event"}


async def empty_database() -> None:
    engine = TABLES[0]._meta.db
    names = [t._meta.tablename for t in reversed(TABLES) if t._meta.tablename not in _KEEP]
    if engine.engine_type == "postgres":
        await engine._run_in_new_connection(
            "TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"
        )
    else:
        for name in names:
            await engine._run_in_new_connection(f'DELETE FROM "{name}"')
