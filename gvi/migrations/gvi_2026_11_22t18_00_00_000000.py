"""PostgreSQL: append an audit event in one round trip.

Every audited request appended its event with three statements: the chain lock
(``pg_advisory_xact_lock``), a read of the last row, and the insert of a row whose
hash covers the last row's hash. The lock and the read can not be one plain
statement (a statement's snapshot is taken before its lock is granted, so it
could miss the row the previous holder just committed), but in a VOLATILE
function each statement takes a new snapshot. The function therefore takes the
lock, reads the last row, hashes the new row's canonical text (which the app
hands over in three parts around ``prev_hash`` and ``seq``:
``gvi.audit.services.chain_parts``) and inserts it. ``gvi audit verify``
recomputes every hash in Python, so a function that hashed differently would be
caught at once. SQLite needs none of this: its immediate transaction is the lock.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append an audit event in one round trip (PostgreSQL)"

_CREATE = """
CREATE OR REPLACE FUNCTION gvi_audit_append(
    lock_key bigint,
    hashed_before text,
    hashed_middle text,
    hashed_after text,
    p_occurred_at timestamptz,
    p_actor_id integer,
    p_actor_username varchar,
    p_action varchar,
    p_target_type varchar,
    p_target_id varchar,
    p_person_id integer,
    p_details json,
    p_ip varchar,
    p_user_agent varchar
)
RETURNS TABLE (new_seq bigint, new_prev_hash varchar, new_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT e.seq, e.hash INTO new_seq, new_prev_hash
    FROM audit_event e ORDER BY e.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        new_seq := 0;
        new_prev_hash := repeat('0', 64);
    END IF;
    new_seq := new_seq + 1;
    new_hash := encode(
        sha256(convert_to(
            hashed_before || new_prev_hash || hashed_middle || new_seq::text || hashed_after,
            'UTF8'
        )),
        'hex'
    );
    INSERT INTO audit_event (
        seq, occurred_at, actor_id, actor_username, action, target_type, target_id,
        person_id, details, ip, user_agent, prev_hash, hash
    ) VALUES (
        new_seq, p_occurred_at, p_actor_id, p_actor_username, p_action, p_target_type,
        p_target_id, p_person_id, p_details, p_ip, p_user_agent, new_prev_hash, new_hash
    );
    RETURN NEXT;
END
$$
"""

_DROP = (
    "DROP FUNCTION IF EXISTS gvi_audit_append(bigint, text, text, text, timestamptz, integer, "
    "varchar, varchar, varchar, varchar, integer, json, varchar, varchar)"
)


async def _run(statement):
    engine = engine_finder()
    if engine.engine_type == "postgres":
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gvi", description=DESCRIPTION)

    async def run():
        await _run(_CREATE)

    async def run_backwards():
        await _run(_DROP)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
