"""The audit trail is append-only: the database itself refuses UPDATE, DELETE and
TRUNCATE on audit_event, whoever asks through ordinary SQL.

Grants alone would not do: a superuser or the table owner bypasses or re-grants
them, so a trigger does the refusing. Someone who can drop the trigger can still
edit the table; the hash chain (gvi.audit.services.verify) is what shows it.

Also two indexes for the audit views ("since" filters and per-user reads); they
are raw SQL, so Piccolo's table classes do not know about them.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T11:16:56:396919"
VERSION = "1.38.0"
DESCRIPTION = "audit trail is append-only"

_INDEXES = [
    "CREATE INDEX IF NOT EXISTS audit_event_occurred_at ON audit_event (occurred_at)",
    "CREATE INDEX IF NOT EXISTS audit_event_actor_occurred_at "
    "ON audit_event (actor_id, occurred_at)",
]

_SQLITE_FORWARDS = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    *_INDEXES,
]

_SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP INDEX IF EXISTS audit_event_occurred_at",
    "DROP INDEX IF EXISTS audit_event_actor_occurred_at",
]

_POSTGRES_FORWARDS = [
    """
    CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """,
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    # Row triggers do not fire on TRUNCATE.
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
    # Belt and braces for non-owner roles; the owner and superusers are held by
    # the triggers above, not by these.
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM PUBLIC",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM CURRENT_USER",
    *_INDEXES,
]

_POSTGRES_BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
    "GRANT UPDATE, DELETE, TRUNCATE ON audit_event TO CURRENT_USER",
    "DROP INDEX IF EXISTS audit_event_occurred_at",
    "DROP INDEX IF EXISTS audit_event_actor_occurred_at",
]


async def _run(statements_by_engine):
    engine = engine_finder()
    statements = statements_by_engine["postgres" if engine.engine_type == "postgres" else "sqlite"]
    # One statement per call: asyncpg prepares each, and sqlite3 runs only one.
    for statement in statements:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gvi", description=DESCRIPTION)

    async def run():
        await _run({"postgres": _POSTGRES_FORWARDS, "sqlite": _SQLITE_FORWARDS})

    async def run_backwards():
        await _run({"postgres": _POSTGRES_BACKWARDS, "sqlite": _SQLITE_BACKWARDS})

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
