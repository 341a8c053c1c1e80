"""The audit chain is keyed: each row's ``hash`` is an HMAC-SHA-256 under a key
kept outside the database, and the row names the key in ``key_id``.

Rows written before this migration keep ``key_id`` NULL and their plain SHA-256
hash (payload version 1). They are not re-chained: a trail cannot be corrected,
and recomputing it would erase the evidence it holds. ``gvi audit verify``
accepts them the old way only as a prefix of the trail (a NULL-key row after a
keyed one is a forgery) and only up to a signed checkpoint: the app writes one
of the head at its first start after this migration (and ``gvi audit
checkpoint`` writes one on demand). Until then verify reports the legacy rows as
unanchored. The first keyed row links to the last legacy hash, so a recomputed
legacy history breaks that link even before a checkpoint exists.

PostgreSQL: ``gvi_audit_append`` takes the key id and the key's two HMAC pads
per call (never stored) and computes ``sha256(outer || sha256(inner || text))``
with the built-in ``sha256()``, still in one round trip under the chain lock;
the earlier 14-argument function is dropped.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.engine.finder import engine_finder

ID = "2026-12-01T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "keyed audit chain (HMAC, key id per row)"

_OLD_SIGNATURE = (
    "bigint, text, text, text, timestamptz, integer, varchar, varchar, varchar, varchar, "
    "integer, json, varchar, varchar"
)
_NEW_SIGNATURE = _OLD_SIGNATURE + ", varchar, bytea, bytea"

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
    p_user_agent varchar,
    p_key_id varchar,
    mac_inner bytea,
    mac_outer bytea
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
        sha256(mac_outer || sha256(mac_inner || convert_to(
            hashed_before || new_prev_hash || hashed_middle || new_seq::text || hashed_after,
            'UTF8'
        ))),
        'hex'
    );
    INSERT INTO audit_event (
        seq, occurred_at, actor_id, actor_username, action, target_type, target_id,
        person_id, details, ip, user_agent, key_id, prev_hash, hash
    ) VALUES (
        new_seq, p_occurred_at, p_actor_id, p_actor_username, p_action, p_target_type,
        p_target_id, p_person_id, p_details, p_ip, p_user_agent, p_key_id, new_prev_hash,
        new_hash
    );
    RETURN NEXT;
END
$$
"""


async def _pg(statement):
    engine = engine_finder()
    if engine.engine_type == "postgres":
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gvi", description=DESCRIPTION)

    manager.add_column(
        table_class_name="AuditEvent",
        tablename="audit_event",
        column_name="key_id",
        db_column_name="key_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
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

    async def run():
        await _pg(f"DROP FUNCTION IF EXISTS gvi_audit_append({_OLD_SIGNATURE})")
        await _pg(_CREATE)

    async def run_backwards():
        # The 14-argument function comes back with the earlier migration's backwards step
        # being undone only if that migration is re-applied; keyed rows stay keyed.
        await _pg(f"DROP FUNCTION IF EXISTS gvi_audit_append({_NEW_SIGNATURE})")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
