"""PostgreSQL: take the audit chain's lock and read its head in one round trip.

Every audited request appended its event with three statements: the chain lock
(``pg_advisory_xact_lock``), a read of the last row, the insert. The first two
can not be one plain statement: a statement's snapshot is taken before its lock
is granted, so it could miss the row the previous holder just committed. In a
VOLATILE function each statement takes a new snapshot, so the read after the lock
sees that row. SQLite needs nothing: its immediate transaction is the lock.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit chain head in one round trip (PostgreSQL)"

_CREATE = """
CREATE OR REPLACE FUNCTION gvi_audit_chain_head(lock_key bigint)
RETURNS TABLE (seq bigint, hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY SELECT e.seq, e.hash FROM audit_event e ORDER BY e.seq DESC LIMIT 1;
END
$$
"""


async def _run(statement):
    engine = engine_finder()
    if engine.engine_type == "postgres":
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gvi", description=DESCRIPTION)

    async def run():
        await _run(_CREATE)

    async def run_backwards():
        await _run("DROP FUNCTION IF EXISTS gvi_audit_chain_head(bigint)")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
