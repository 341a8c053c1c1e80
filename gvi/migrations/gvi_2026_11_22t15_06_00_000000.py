"""Indexes on the foreign keys the pages and reports look rows up by.

Neither engine indexes a foreign key by itself, so at national scale (200,000
memberships) a person's page scanned every membership (90 ms on SQLite; 0.1 ms
with the index), and the analyst and outreach dashboards spent seconds scanning
offers and their status changes. Raw SQL like the audit indexes: Piccolo's
``index=True`` takes one column, and some of these are composite.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T15:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes on looked-up foreign keys"

_INDEXES = {
    "membership_person": 'membership ("person")',
    "membership_group": 'membership ("group")',
    "incident_person_person": 'incident_person ("person")',
    "incident_person_incident": 'incident_person ("incident")',
    "incident_group_group": 'incident_group ("group")',
    "incident_group_incident": 'incident_group ("incident")',
    "notification_person": 'notification ("person")',
    "support_offer_person": 'support_offer ("person")',
    "support_offer_case_status": 'support_offer ("defector_case", "status")',
    "support_offer_status_change_offer_to": 'support_offer_status_change ("offer", "to_status")',
    "case_status_change_case": 'case_status_change ("case")',
}


async def _run(statements):
    engine = engine_finder()
    for statement in statements:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gvi", description=DESCRIPTION)

    async def run():
        await _run([f"CREATE INDEX IF NOT EXISTS {name} ON {on}" for name, on in _INDEXES.items()])

    async def run_backwards():
        await _run([f"DROP INDEX IF EXISTS {name}" for name in _INDEXES])

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
