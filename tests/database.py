"""The test database: emptying it between tests, and the reference rows that
``gvi migrate`` loads and tests look up instead of creating."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gvi.piccolo_app import TABLES

if TYPE_CHECKING:
    from gvi.municipalities.tables import Municipality

# The trail is append-only (a trigger refuses UPDATE/DELETE); tests never empty it.
# Municipalities are reference data that `gvi migrate` loads (SCB's 290): tests
# look them up by code (:func:`reference_municipality`) and never create them.
_KEEP = {"audit_event", "municipality"}


async def empty_database() -> None:
    from gvi.municipalities.reference import reference_by_code, sync_municipalities

    engine = TABLES[0]._meta.db
    names = [t._meta.tablename for t in reversed(TABLES) if t._meta.tablename not in _KEEP]
    if engine.engine_type == "postgres":
        await engine._run_in_new_connection(
            "TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"
        )
    else:
        for name in names:
            # Names come from our own table classes, not from input.
            await engine._run_in_new_connection(f'DELETE FROM "{name}"')  # noqa: S608
    # A test that wrote a municipality row as a generic write probe (the write
    # queue, the pool) leaves a code that is not SCB's: remove it, and undo any
    # rename or archiving of a reference row.
    codes = ", ".join(f"'{c}'" for c in reference_by_code())
    await engine._run_in_new_connection(
        f'DELETE FROM "municipality" WHERE code NOT IN ({codes})'  # noqa: S608 (our own codes)
    )
    await sync_municipalities()


async def reference_municipality(code: str) -> Municipality:
    """The reference row (loaded by migrate) with this kommunkod, e.g. "0123" Järfälla."""
    from gvi.municipalities.tables import Municipality

    row = await Municipality.objects().where(Municipality.code == code).first()
    assert row is not None, f"no reference municipality {code}"
    return row
