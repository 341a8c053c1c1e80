"""Alerts for admins: break-the-glass grants, lockouts and unusual reading.

Lockouts and unusual reading are found in the audit trail; :func:`open_alerts`
turns the ones not yet seen into ``Alert`` rows (idempotently) before listing,
so an admin acknowledges them like break-the-glass alerts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.access.tables import Alert, BreakGlass
from gvi.accounts.tables import User
from gvi.admin.trail import UNUSUAL_DEFAULT_THRESHOLD, person_codes
from gvi.audit import services as audit
from gvi.audit.events import AuditAction
from gvi.audit.tables import AuditEvent
from gvi.core import clock
from gvi.core.batch import each_in_one_transaction
from gvi.core.failures import NotVisible
from gvi.db import writing

# How far back open_alerts looks for lockouts and unusual reading to raise.
ALERT_LOOKBACK = timedelta(days=7)
ALERT_LIMIT = 200

# Serialises the alert sweep on PostgreSQL ("gvi_alrt"); SQLite's immediate
# transaction already does.
_PG_ALERT_LOCK = 0x6776695F616C7274


@dataclass(frozen=True)
class AlertView:
    id: int
    kind: str
    raised_at: datetime
    username: str | None
    display_name: str | None
    actor_id: int | None = None
    person_code: str | None = None
    reason: str | None = None
    granted_at: datetime | None = None
    expires_at: datetime | None = None
    persons: int | None = None
    threshold: int | None = None
    lock_by: str | None = None
    lock_seconds: int | None = None


def _details(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


async def _existing_users(ids: Iterable[int | None]) -> set[int]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return set()
    return {r["id"] for r in await User.select(User.id).where(User.id.is_in(wanted))}


async def _raise_pending_alerts(now: datetime) -> None:
    """Turn lockouts and unusual reading of the last ALERT_LOOKBACK into Alert rows,
    once each; the caller holds a write transaction."""
    if Alert._meta.db.engine_type == "postgres":
        await Alert.raw("SELECT pg_advisory_xact_lock({})", _PG_ALERT_LOCK)
    since = now - ALERT_LOOKBACK
    # Unusual-reading alerts are stamped with the start of their hour, before `since`.
    known_since = since - timedelta(hours=1)
    lockouts = (
        await AuditEvent.select(
            AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor_id, AuditEvent.details
        )
        .where(
            (AuditEvent.action == str(AuditAction.auth_lockout)) & (AuditEvent.occurred_at >= since)
        )
        .order_by(AuditEvent.seq)
    )
    heavy = await audit.unusual_reading(UNUSUAL_DEFAULT_THRESHOLD, since=since)
    if not lockouts and not heavy:
        return
    known = await Alert.select(Alert.kind, Alert.details).where(
        Alert.kind.is_in([Alert.Kind.lockout, Alert.Kind.unusual_reading])
        & (Alert.raised_at >= known_since)
    )
    seen_seqs: set[Any] = set()
    seen_hours: set[tuple[Any, Any]] = set()
    for row in known:
        details = _details(row["details"])
        if row["kind"] == Alert.Kind.lockout:
            seen_seqs.add(details.get("audit_seq"))
        else:
            seen_hours.add((details.get("actor_id"), details.get("hour")))
    users = await _existing_users([e["actor_id"] for e in lockouts] + [h.actor_id for h in heavy])
    new: list[Alert] = []
    for event in lockouts:
        if event["seq"] in seen_seqs:
            continue
        details = _details(event["details"])
        actor = event["actor_id"]
        new.append(
            Alert(
                kind=Alert.Kind.lockout,
                raised_at=event["occurred_at"],
                subject_user=actor if actor in users else None,
                details={
                    "audit_seq": event["seq"],
                    "actor_id": actor,
                    "by": details.get("by"),
                    "seconds": details.get("seconds"),
                },
            )
        )
    for reading in heavy:
        hour = reading.hour.isoformat()
        if (reading.actor_id, hour) in seen_hours:
            continue
        new.append(
            Alert(
                kind=Alert.Kind.unusual_reading,
                raised_at=reading.hour,
                subject_user=reading.actor_id if reading.actor_id in users else None,
                details={
                    "actor_id": reading.actor_id,
                    "hour": hour,
                    "persons": reading.persons,
                    "threshold": UNUSUAL_DEFAULT_THRESHOLD,
                },
            )
        )
    if new:
        await Alert.insert(*new)


async def open_alerts(principal: Principal, kind: str = "") -> list[AlertView]:
    """Unacknowledged alerts, newest first (after raising any pending ones), the
    newest ALERT_LIMIT of them; *kind* keeps one kind."""
    require(principal, Permission.alerts_read)
    where: Any = Alert.acknowledged_at.is_null()
    if kind:
        where &= Alert.kind == kind
    async with writing():
        await _raise_pending_alerts(clock.now())
        rows = (
            await Alert.select(
                Alert.id,
                Alert.kind,
                Alert.raised_at,
                Alert.subject_user,
                Alert.subject_user.username,
                Alert.subject_user.display_name,
                Alert.details,
            )
            .where(where)
            .order_by(Alert.raised_at, ascending=False)
            .order_by(Alert.id, ascending=False)
            .limit(ALERT_LIMIT)
        )
        details = {r["id"]: _details(r["details"]) for r in rows}
        grant_ids = sorted(
            {d["grant_id"] for d in details.values() if isinstance(d.get("grant_id"), int)}
        )
        grants = {
            g["id"]: g
            for g in (
                await BreakGlass.select(
                    BreakGlass.id,
                    BreakGlass.person,
                    BreakGlass.reason,
                    BreakGlass.granted_at,
                    BreakGlass.expires_at,
                ).where(BreakGlass.id.is_in(grant_ids))
                if grant_ids
                else []
            )
        }
        codes = await person_codes(g["person"] for g in grants.values())
        await audit.record(
            AuditAction.audit_read,
            actor=principal,
            target_type="alert",
            details={"view": "alerts", "rows": len(rows)},
        )
    result = []
    for row in rows:
        d = details[row["id"]]
        grant = grants.get(d.get("grant_id")) if row["kind"] == Alert.Kind.break_glass else None
        result.append(
            AlertView(
                id=row["id"],
                kind=row["kind"],
                raised_at=row["raised_at"],
                username=row["subject_user.username"],
                display_name=row["subject_user.display_name"],
                actor_id=d.get("actor_id") if isinstance(d.get("actor_id"), int) else None,
                person_code=codes.get(grant["person"]) if grant else None,
                reason=grant["reason"] if grant else None,
                granted_at=grant["granted_at"] if grant else None,
                expires_at=grant["expires_at"] if grant else None,
                persons=d.get("persons") if isinstance(d.get("persons"), int) else None,
                threshold=d.get("threshold") if isinstance(d.get("threshold"), int) else None,
                lock_by=str(d["by"]) if d.get("by") else None,
                lock_seconds=d.get("seconds") if isinstance(d.get("seconds"), int) else None,
            )
        )
    return result


async def acknowledge_alert(principal: Principal, alert_id: int) -> bool:
    """Mark an alert as seen; False if someone already had (nothing changes then)."""
    require(principal, Permission.alerts_read)
    async with writing():
        row = await Alert.select(Alert.kind).where(Alert.id == alert_id).first()
        if row is None:
            raise NotVisible()
        changed = (
            await Alert.update(
                {Alert.acknowledged_by: principal.user_id, Alert.acknowledged_at: clock.now()}
            )
            .where((Alert.id == alert_id) & Alert.acknowledged_at.is_null())
            .returning(Alert.id)
        )
        if not changed:
            return False
        await audit.record(
            AuditAction.alert_acknowledge,
            actor=principal,
            target_type="alert",
            target_id=alert_id,
            details={"kind": row["kind"]},
        )
    return True


async def acknowledge_alerts(principal: Principal, alert_ids: list[int]) -> int:
    """ "Kvittera valda": :func:`acknowledge_alert` for each in one transaction (all or
    none); how many this call acknowledged (someone else may have been first)."""
    done = await each_in_one_transaction(
        alert_ids, lambda alert_id: acknowledge_alert(principal, alert_id)
    )
    return sum(done)
