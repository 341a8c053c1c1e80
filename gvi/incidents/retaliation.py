"""The retaliation-risk alert of an incident: ranking the groups, keeping the
ranking in the incident's ``Alert`` and proposing custom-notification tasks.

After an incident is recorded (and when its date or groups change) the groups
are ranked with :func:`gvi.networks.risk.retaliation_risk` on the signed graph as
of the incident's day, with the groups' incidents of the
:data:`RECENT_INCIDENT_DAYS` before it. The alert's details carry ids, scores and
dates only (never names). It is *open* from the incident's day for
:data:`RETALIATION_WINDOW_DAYS` days. For the :data:`PROPOSAL_LIMIT` highest groups
scoring at least :data:`PROPOSAL_MIN_SCORE`, a custom-notification task is
proposed to the coordinators of the group's municipality (once per group and
incident). Scope and audit are the caller's (:mod:`gvi.incidents.services`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import networkx as nx
from piccolo.columns.combination import WhereRaw

from gvi.access.principal import Principal
from gvi.access.tables import Alert
from gvi.core import clock
from gvi.core.clock import local_day, today
from gvi.core.failures import NotVisible
from gvi.incidents import graphdata
from gvi.incidents.tables import Incident, IncidentGroup
from gvi.networks.risk import RiskScore, retaliation_risk
from gvi.tasks.services import add_task
from gvi.tasks.tables import Task

RETALIATION_WINDOW_DAYS = 125
"""How long a retaliation-risk alert stays open after the incident's day."""
RECENT_INCIDENT_DAYS = 90
"""The look-back window for "recent incidents" in the risk score."""
PROPOSAL_LIMIT = 3
PROPOSAL_MIN_SCORE = 3.0
PROPOSAL_DUE_DAYS = 3
"""Custom notifications work best before a retaliation: propose them for within days."""
RANKING_KEPT = 10


@dataclass(frozen=True)
class RiskRow:
    group_id: int
    name: str | None  # None: a group the user may not see by name
    municipality: str
    score: float
    direction: str
    position: str
    positions: tuple[str, ...]
    recent_incidents: int
    triads: int


@dataclass(frozen=True)
class RiskView:
    alert_id: int
    raised_at: datetime
    incident_day: date
    open_until: date
    is_open: bool
    ranking: list[RiskRow]
    proposed_groups: list[int]


def alert_details(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def visible_names(
    g: nx.Graph, infos: dict[int, graphdata.GroupInfo], principal: Principal
) -> set[int]:
    """Groups the user may see by name: those of the user's municipalities and those
    with a relation to one of them (as the group register shows relations)."""
    scope = principal.municipality_ids
    mine = {i for i, info in infos.items() if info.municipality_id in scope}
    visible = set(mine)
    for group in mine:
        if group in g:
            visible.update(g.adj[group])
    return visible


def risk_rows(
    ranking: Iterable[dict[str, Any]],
    infos: dict[int, graphdata.GroupInfo],
    visible: set[int],
) -> list[RiskRow]:
    rows = []
    for item in ranking:
        group_id = item.get("group_id")
        if not isinstance(group_id, int):
            continue
        info = infos.get(group_id)
        rows.append(
            RiskRow(
                group_id=group_id,
                name=info.name if info and group_id in visible else None,
                municipality=info.municipality if info else "",
                score=float(item.get("score", 0.0)),
                direction=str(item.get("direction", "")),
                position=str(item.get("position", "")),
                positions=tuple(str(p) for p in item.get("positions", [])),
                recent_incidents=int(item.get("recent", 0)),
                triads=int(item.get("triads", 0)),
            )
        )
    return rows


def detail_field(name: str) -> str:
    """SQL for one top-level field of ``alert.details`` as text, per engine. ``name``
    is one of our own constant keys, never input."""
    if Incident._meta.db.engine_type == "postgres":
        return f"(details::jsonb ->> '{name}')"
    return f"CAST(json_extract(details, '$.{name}') AS TEXT)"


async def _risk_alert(incident_id: int) -> dict[str, Any] | None:
    """The incident's retaliation alert (the newest, should there be several)."""
    rows = (
        await Alert.select(Alert.id, Alert.raised_at, Alert.details)
        .where(
            (Alert.kind == Alert.Kind.retaliation_risk)
            & WhereRaw(f"{detail_field('incident_id')} = {{}}", str(incident_id))
        )
        .order_by(Alert.id, ascending=False)
    )
    for row in rows:
        details = alert_details(row["details"])
        if details.get("incident_id") == incident_id:
            return {"id": row["id"], "raised_at": row["raised_at"], "details": details}
    return None


async def risk_view(principal: Principal, incident_id: int) -> RiskView | None:
    alert = await _risk_alert(incident_id)
    if alert is None:
        return None
    d = alert["details"]
    try:
        incident_day = date.fromisoformat(str(d.get("incident_day")))
        open_until = date.fromisoformat(str(d.get("open_until")))
    except ValueError:
        return None
    g, infos = await graphdata.signed_graph(incident_day)
    visible = visible_names(g, infos, principal)
    return RiskView(
        alert_id=alert["id"],
        raised_at=alert["raised_at"],
        incident_day=incident_day,
        open_until=open_until,
        is_open=today() <= open_until,
        ranking=risk_rows(d.get("ranking", []), infos, visible),
        proposed_groups=[g for g in d.get("proposed", []) if isinstance(g, int)],
    )


async def _recent_counts(incident_id: int, occurred_at: datetime) -> dict[int, int]:
    """Per group, the other incidents it was involved in during the look-back window.

    All municipalities count: a group's conflicts do not stop at a border, and only
    the count leaves this function.
    """
    since = occurred_at - timedelta(days=RECENT_INCIDENT_DAYS)
    rows = await IncidentGroup.select(IncidentGroup.group, IncidentGroup.incident).where(
        (IncidentGroup.incident != incident_id)
        & (IncidentGroup.incident.occurred_at >= since.astimezone(UTC))
        & (IncidentGroup.incident.occurred_at <= occurred_at.astimezone(UTC))
        & IncidentGroup.incident.archived_at.is_null()
    )
    seen: dict[int, set[int]] = {}
    for r in rows:
        seen.setdefault(r["group"], set()).add(r["incident"])
    return {group: len(incidents) for group, incidents in seen.items()}


def _ranking_details(ranking: Sequence[RiskScore]) -> list[dict[str, Any]]:
    return [
        {
            "group_id": s.group_id,
            "score": s.score,
            "direction": s.direction,
            "position": s.position,
            "positions": list(s.positions),
            "recent": s.recent_incidents,
            "triads": s.triads,
        }
        for s in ranking[:RANKING_KEPT]
    ]


async def assess_retaliation(principal: Principal, incident_id: int) -> list[RiskScore]:
    """Rank the groups after an incident, keep the ranking in the incident's alert and
    propose custom-notification tasks. Runs in the caller's write transaction."""
    row = (
        await Incident.select(Incident.id, Incident.occurred_at, Incident.municipality)
        .where(Incident.id == incident_id)
        .first()
    )
    if row is None:
        raise NotVisible()
    day = local_day(row["occurred_at"])
    links = await IncidentGroup.select(IncidentGroup.group, IncidentGroup.role).where(
        IncidentGroup.incident == incident_id
    )
    victims = [r["group"] for r in links if r["role"] == IncidentGroup.Role.victim]
    suspected = [r["group"] for r in links if r["role"] == IncidentGroup.Role.suspected]
    g, infos = await graphdata.signed_graph(day)
    counts = await _recent_counts(incident_id, row["occurred_at"])
    ranking = retaliation_risk(g, victims, suspected, counts)
    existing = await _risk_alert(incident_id)
    details: dict[str, Any] = dict(existing["details"]) if existing else {}
    proposed: list[int] = [p for p in details.get("proposed", []) if isinstance(p, int)]
    task_ids: list[int] = [t for t in details.get("task_ids", []) if isinstance(t, int)]
    open_until = day + timedelta(days=RETALIATION_WINDOW_DAYS)
    candidates = [s for s in ranking if s.score >= PROPOSAL_MIN_SCORE][:PROPOSAL_LIMIT]
    for score in candidates:
        info = infos.get(score.group_id)
        if info is None or score.group_id in proposed or open_until < today():
            continue
        direction = "risk att utsättas" if score.direction == "target" else "risk att hämnas"
        task_ids.append(
            await add_task(
                principal,
                title=f"Överväg individuella underrättelser: {info.name}",
                kind=Task.Kind.custom_notification,
                due_on=max(today(), day) + timedelta(days=PROPOSAL_DUE_DAYS),
                municipality_id=info.municipality_id,
                notes=(
                    f"Föreslagen efter händelsen {day.isoformat()} (nr {incident_id}): "
                    f"{direction}, poäng {score.score}."
                ),
                source="incident",
            )
        )
        proposed.append(score.group_id)
    details.update(
        {
            "incident_id": incident_id,
            "municipality_id": row["municipality"],
            "incident_day": day.isoformat(),
            "open_until": open_until.isoformat(),
            "window_days": RETALIATION_WINDOW_DAYS,
            "ranking": _ranking_details(ranking),
            "proposed": proposed,
            "task_ids": task_ids,
        }
    )
    if existing:
        await Alert.update({Alert.details: details}).where(Alert.id == existing["id"])
    else:
        await Alert(
            kind=Alert.Kind.retaliation_risk,
            raised_at=clock.now(),
            subject_user=None,
            details=details,
        ).save()
    return ranking
