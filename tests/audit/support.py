"""Helpers for the audit tests: fresh ids, a principal, and a privileged path
around the append-only guard (what someone with DBA powers could do)."""

from __future__ import annotations

import itertools
import secrets
from typing import Any

from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.audit.tables import AuditEvent

# Rows persist across tests, so every test names its own people and users.
_ids = itertools.count(secrets.randbelow(10**6) * 1000 + 10**8)


def fresh_id() -> int:
    return next(_ids)


def principal(user_id: int | None = None, role: Role = Role.outreach) -> Principal:
    uid = fresh_id() if user_id is None else user_id
    return Principal(
        user_id=uid, username=f"u{uid}", role=role, ip="192.0.2.7", user_agent="pytest"
    )


async def bypassing_guard(sql: str, *args: Any) -> None:
    """Run one statement with the append-only triggers off, in one transaction."""
    await bypassing_guard_all([(sql, args)])


async def bypassing_guard_all(statements: list[tuple[str, tuple[Any, ...]]]) -> None:
    """Run the statements with the append-only triggers off, in one transaction."""
    engine = AuditEvent._meta.db
    async with engine.transaction():
        if engine.engine_type == "postgres":
            await AuditEvent.raw("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
            await AuditEvent.raw("GRANT UPDATE, DELETE ON audit_event TO CURRENT_USER")
            for sql, args in statements:
                await AuditEvent.raw(sql, *args)
            await AuditEvent.raw("REVOKE UPDATE, DELETE ON audit_event FROM CURRENT_USER")
            await AuditEvent.raw("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
        else:
            triggers = await AuditEvent.raw(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'audit_event'"
            )
            assert triggers, "the append-only triggers are missing"
            for trigger in triggers:
                await AuditEvent.raw(f'DROP TRIGGER "{trigger["name"]}"')
            for sql, args in statements:
                await AuditEvent.raw(sql, *args)
            for trigger in triggers:
                await AuditEvent.raw(trigger["sql"])


async def raw_row(seq: int) -> dict[str, Any]:
    rows = await AuditEvent.raw("SELECT * FROM audit_event WHERE seq = {}", seq)
    assert len(rows) == 1
    row: dict[str, Any] = rows[0]
    return row


async def reinsert(row: dict[str, Any]) -> None:
    """Put a deleted row back exactly as it was (INSERT is allowed)."""
    columns = list(row)
    placeholders = ", ".join("{}" for _ in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    await AuditEvent.raw(
        f"INSERT INTO audit_event ({names}) VALUES ({placeholders})",  # noqa: S608
        *[row[c] for c in columns],
    )
