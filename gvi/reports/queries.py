"""The figures' aggregates, computed in SQL on both engines (architecture §3.3).

Every query here returns counts grouped by year, municipality, category or
level, never rows about people. Scope is a list of municipality ids the caller
has already narrowed to the principal's own; dates are an inclusive range.
Year extraction and date arithmetic differ between SQLite and PostgreSQL, so
each engine gets its own small expressions; every value is a bound parameter.
"""

# Every statement here is assembled from fixed fragments of this module; values
# (ids, dates) are always bound parameters, never formatted into the text.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from gvi.defectors.tables import DefectorCase

LEVELS = ("good", "partly", "poor", "unknown")
AREAS = ("housing", "occupation", "criminality", "substance_use", "safety")


@dataclass(frozen=True)
class Scope:
    """What a figure counts: these municipalities, between these dates."""

    municipality_ids: tuple[int, ...]
    date_from: date | None = None
    date_to: date | None = None


def _engine() -> Any:
    return DefectorCase._meta.db


def _pg() -> bool:
    return bool(_engine().engine_type == "postgres")


def _year(col: str) -> str:
    if _pg():
        return f"CAST(EXTRACT(YEAR FROM {col}) AS INTEGER)"
    return f"CAST(strftime('%Y', {col}) AS INTEGER)"


def _day(col: str, *, timestamp: bool) -> str:
    """A date or timestamp column as a calendar date, comparable to a bound date."""
    if not timestamp:
        return col
    return f"CAST({col} AS DATE)" if _pg() else f"date({col})"


def _days_between(later: str, earlier: str) -> str:
    if _pg():
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _param(value: date) -> Any:
    # SQLite stores dates as ISO text; asyncpg wants a date object.
    return value if _pg() else value.isoformat()


class _Where:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []

    def add(self, sql: str, *args: Any) -> None:
        self.parts.append(sql)
        self.args.extend(args)

    def within(self, scope: Scope, municipality_col: str, day_col: str) -> None:
        ids = list(scope.municipality_ids) or [-1]
        self.add(f"{municipality_col} IN ({', '.join('{}' for _ in ids)})", *ids)
        if scope.date_from is not None:
            self.add(f"{day_col} >= {{}}", _param(scope.date_from))
        if scope.date_to is not None:
            self.add(f"{day_col} <= {{}}", _param(scope.date_to))

    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "1 = 1"


async def _raw(sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await DefectorCase.raw(sql, *args)
    return rows


def _int(value: Any) -> int:
    return int(value or 0)


async def _counts(
    sql: str, args: Sequence[Any], counts: Sequence[str], *, labels: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The rows of ``sql``: ``labels`` as they are, ``counts`` as ints (NULL is 0:
    an empty SUM)."""
    return [
        {**{k: r[k] for k in labels}, **{k: _int(r[k]) for k in counts}}
        for r in await _raw(sql, args)
    ]


# --- defector cases --------------------------------------------------------------------

# "Led to an intervention": at least one linked offer reached started, now or in
# its history (gvi.support.transitions.reached_start), in SQL.
_LED = (
    "EXISTS (SELECT 1 FROM support_offer o WHERE o.defector_case = c.id"
    " AND o.archived_at IS NULL AND (o.status IN ('started', 'completed')"
    " OR EXISTS (SELECT 1 FROM support_offer_status_change h"
    " WHERE h.offer = o.id AND h.to_status = 'started')))"
)


async def cases(scope: Scope) -> list[dict[str, Any]]:
    """Cases opened per municipality and year; how many led to an intervention."""
    w = _Where()
    w.add("c.archived_at IS NULL")
    w.within(scope, "c.municipality", _day("c.opened_on", timestamp=False))
    sql = (
        f"SELECT mu.name AS municipality, {_year('c.opened_on')} AS year,"
        " COUNT(*) AS cases,"
        f" SUM(CASE WHEN {_LED} THEN 1 ELSE 0 END) AS led"
        " FROM defector_case c JOIN municipality mu ON mu.id = c.municipality"
        f" WHERE {w.sql()} GROUP BY 1, 2 ORDER BY 2, 1"
    )
    return await _counts(sql, w.args, ("year", "cases", "led"), labels=("municipality",))


# --- grants ------------------------------------------------------------------------------


async def grants(scope: Scope) -> list[dict[str, Any]]:
    """Grant applications per year: applied, granted, municipalities applying."""
    w = _Where()
    w.add("g.archived_at IS NULL AND c.archived_at IS NULL")
    w.within(scope, "c.municipality", _day("g.applied_on", timestamp=False))
    sql = (
        f"SELECT {_year('g.applied_on')} AS year, COUNT(*) AS applications,"
        " SUM(CASE WHEN g.decision = 'granted' THEN 1 ELSE 0 END) AS granted,"
        " COUNT(DISTINCT c.municipality) AS municipalities"
        ' FROM grant_application g JOIN defector_case c ON c.id = g."case"'
        f" WHERE {w.sql()} GROUP BY 1 ORDER BY 1"
    )
    return await _counts(sql, w.args, ("year", "applications", "granted", "municipalities"))


# --- call-ins and notifications ------------------------------------------------------------


async def callins(scope: Scope) -> list[dict[str, Any]]:
    """Call-ins held per year; people invited and attending; groups reached."""
    w = _Where()
    w.add("ci.archived_at IS NULL AND ci.status = 'held'")
    w.within(scope, "ci.municipality", _day("ci.starts_at", timestamp=True))
    sql = (
        f"SELECT {_year('ci.starts_at')} AS year, COUNT(DISTINCT ci.id) AS held,"
        " COUNT(i.id) AS invited,"
        " SUM(CASE WHEN i.status = 'attended' THEN 1 ELSE 0 END) AS attended,"
        " COUNT(DISTINCT CASE WHEN i.status = 'attended' THEN i.\"group\" END) AS groups"
        " FROM call_in ci LEFT JOIN invitation i"
        " ON i.call_in = ci.id AND i.archived_at IS NULL"
        f" WHERE {w.sql()} GROUP BY 1 ORDER BY 1"
    )
    return await _counts(sql, w.args, ("year", "held", "invited", "attended", "groups"))


async def notifications(scope: Scope) -> list[dict[str, Any]]:
    """Custom notifications by outcome."""
    w = _Where()
    w.add("n.archived_at IS NULL")
    w.within(scope, "n.municipality", _day("n.delivered_on", timestamp=False))
    sql = (
        "SELECT n.outcome AS outcome, COUNT(*) AS count FROM notification n"
        f" WHERE {w.sql()} GROUP BY 1 ORDER BY 1"
    )
    return await _counts(sql, w.args, ("count",), labels=("outcome",))


# --- offers ----------------------------------------------------------------------------------


async def offers(scope: Scope) -> list[dict[str, Any]]:
    """Support offers by category: offered, accepted (now or in history), completed."""
    w = _Where()
    w.add("o.archived_at IS NULL")
    w.within(scope, "o.municipality", _day("o.offered_on", timestamp=False))
    accepted = (
        "o.status IN ('accepted', 'started', 'completed') OR EXISTS (SELECT 1"
        " FROM support_offer_status_change h WHERE h.offer = o.id"
        " AND h.to_status IN ('accepted', 'started'))"
    )
    sql = (
        "SELECT o.category AS category, COUNT(*) AS offered,"
        f" SUM(CASE WHEN {accepted} THEN 1 ELSE 0 END) AS accepted,"
        " SUM(CASE WHEN o.status = 'completed' THEN 1 ELSE 0 END) AS completed"
        f" FROM support_offer o WHERE {w.sql()} GROUP BY 1 ORDER BY 1"
    )
    return await _counts(sql, w.args, ("offered", "accepted", "completed"), labels=("category",))


async def providers(scope: Scope, on: date) -> list[dict[str, Any]]:
    """Active providers by kind on day *on*: how many there are, how many had an
    approved check (a document check or a follow-up visit) in the twelve months up
    to *on*, and their open deviations. The register is national: the
    municipality filter narrows it to the providers of those municipalities and
    those without one (private and non-profit providers serve everyone)."""
    since = _year_before(on)
    ids = list(scope.municipality_ids) or [-1]
    marks = ", ".join("{}" for _ in ids)
    sql = (
        "SELECT p.kind AS kind, COUNT(*) AS providers,"
        " SUM(CASE WHEN EXISTS (SELECT 1 FROM provider_check k WHERE k.provider = p.id"
        " AND k.archived_at IS NULL AND k.result = 'approved'"
        " AND k.checked_on >= {} AND k.checked_on <= {}) THEN 1 ELSE 0 END) AS approved,"
        " SUM((SELECT COUNT(*) FROM provider_deviation d WHERE d.provider = p.id"
        " AND d.archived_at IS NULL AND d.reported_on <= {}"
        " AND (d.closed_on IS NULL OR d.closed_on > {}))) AS open_deviations"
        " FROM provider p WHERE p.archived_at IS NULL AND p.is_active = {}"
        f" AND (p.municipality IS NULL OR p.municipality IN ({marks}))"
        " GROUP BY 1 ORDER BY 1"
    )
    args = [_param(since), _param(on), _param(on), _param(on), True, *ids]
    return await _counts(sql, args, ("providers", "approved", "open_deviations"), labels=("kind",))


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


async def reach(scope: Scope) -> list[dict[str, Any]]:
    """The reach funnel per municipality, year and channel: people reached by the
    outreach log's activities, cases opened with that referral source (applied), and
    how many of them led to an intervention. A channel shares its code with a
    referral source (gvi.outreach.tables.Channel); "self" has cases only."""
    a = _Where()
    a.add("a.archived_at IS NULL")
    a.within(scope, "a.municipality", "a.held_on")
    reached = (
        f"SELECT mu.name AS municipality, {_year('a.held_on')} AS year,"
        " a.channel AS channel, SUM(a.people_reached) AS reached"
        " FROM outreach_activity a JOIN municipality mu ON mu.id = a.municipality"
        f" WHERE {a.sql()} GROUP BY 1, 2, 3"
    )
    c = _Where()
    c.add("c.archived_at IS NULL")
    c.within(scope, "c.municipality", _day("c.opened_on", timestamp=False))
    applied = (
        f"SELECT mu.name AS municipality, {_year('c.opened_on')} AS year,"
        " c.referral_source AS channel, COUNT(*) AS applied,"
        f" SUM(CASE WHEN {_LED} THEN 1 ELSE 0 END) AS led"
        " FROM defector_case c JOIN municipality mu ON mu.id = c.municipality"
        f" WHERE {c.sql()} GROUP BY 1, 2, 3"
    )
    rows: dict[tuple[str, int, str], dict[str, Any]] = {}
    for r in await _raw(reached, a.args):
        key = (r["municipality"], _int(r["year"]), r["channel"])
        rows[key] = {"reached": _int(r["reached"]), "applied": 0, "led": 0}
    for r in await _raw(applied, c.args):
        key = (r["municipality"], _int(r["year"]), r["channel"])
        row = rows.setdefault(key, {"reached": 0, "applied": 0, "led": 0})
        row["applied"], row["led"] = _int(r["applied"]), _int(r["led"])
    return [
        {"municipality": m, "year": y, "channel": ch, **counts}
        for (m, y, ch), counts in sorted(
            rows.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])
        )
    ]


async def methods(scope: Scope) -> list[dict[str, Any]]:
    """Started interventions per municipality and year of the start (the first step
    to started in an offer's history), and how many named a method with scientific
    support (the method catalogue, gvi.support.services.methods)."""
    w = _Where()
    w.add("o.archived_at IS NULL")
    w.within(scope, "o.municipality", "s.started_on")
    sql = (
        f"SELECT mu.name AS municipality, {_year('s.started_on')} AS year,"
        " COUNT(*) AS started,"
        " SUM(CASE WHEN m.evidence = 'scientific' THEN 1 ELSE 0 END) AS scientific,"
        " SUM(CASE WHEN o.method IS NULL THEN 1 ELSE 0 END) AS unnamed"
        " FROM support_offer o"
        " JOIN (SELECT h.offer AS offer, MIN(h.changed_on) AS started_on"
        " FROM support_offer_status_change h WHERE h.to_status = 'started'"
        " GROUP BY h.offer) s ON s.offer = o.id"
        " JOIN municipality mu ON mu.id = o.municipality"
        " LEFT JOIN method m ON m.id = o.method"
        f" WHERE {w.sql()} GROUP BY 1, 2 ORDER BY 2, 1"
    )
    return await _counts(
        sql, w.args, ("year", "started", "scientific", "unnamed"), labels=("municipality",)
    )


# --- promises and incidents ------------------------------------------------------------------


def _per_incident(w: _Where) -> str:
    """One row per triggering incident: was an action done on or after it, and when first."""
    occurred = _day("i.occurred_at", timestamp=True)
    done = f"a.status = 'done' AND a.action_date >= {occurred}"
    inner = (
        f"SELECT i.id AS incident, {_year('i.occurred_at')} AS year, {occurred} AS occurred,"
        f" MAX(CASE WHEN {done} THEN 1 ELSE 0 END) AS kept,"
        f" SUM(CASE WHEN {done} THEN 1 ELSE 0 END) AS done,"
        f" MIN(CASE WHEN {done} THEN a.action_date END) AS first_done"
        " FROM incident i JOIN enforcement_action a"
        " ON a.triggering_incident = i.id AND a.archived_at IS NULL"
        f" WHERE {w.sql()} GROUP BY i.id, i.occurred_at"
    )
    return (
        "SELECT year, kept, done,"
        f" {_days_between('first_done', 'occurred')} AS days FROM ({inner}) AS per_incident"
    )


async def promises(scope: Scope) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per year: triggering incidents, how many saw an enforcement action done,
    actions done and mean days to the first; and the days histogram (for the median)."""
    w = _Where()
    w.add("i.archived_at IS NULL")
    w.within(scope, "i.municipality", _day("i.occurred_at", timestamp=True))
    per = _per_incident(w)
    sql = (
        "SELECT year, COUNT(*) AS triggering, SUM(kept) AS kept, SUM(done) AS actions,"
        f" AVG(days) AS mean_days FROM ({per}) AS p GROUP BY year ORDER BY year"
    )
    histogram_sql = (
        f"SELECT year, days, COUNT(*) AS n FROM ({per}) AS p"
        " WHERE days IS NOT NULL GROUP BY year, days ORDER BY year, days"
    )
    rows = [
        {
            "year": _int(r["year"]),
            "triggering": _int(r["triggering"]),
            "kept": _int(r["kept"]),
            "actions": _int(r["actions"]),
            "mean_days": None if r["mean_days"] is None else float(r["mean_days"]),
        }
        for r in await _raw(sql, w.args)
    ]
    histogram = await _counts(histogram_sql, w.args, ("year", "days", "n"))
    return rows, histogram


async def incidents(scope: Scope) -> list[dict[str, Any]]:
    """Incidents per year and kind."""
    w = _Where()
    w.add("i.archived_at IS NULL")
    w.within(scope, "i.municipality", _day("i.occurred_at", timestamp=True))
    sql = (
        f"SELECT {_year('i.occurred_at')} AS year, i.kind AS kind, COUNT(*) AS count"
        f" FROM incident i WHERE {w.sql()} GROUP BY 1, 2 ORDER BY 1, 2"
    )
    return await _counts(sql, w.args, ("year", "count"), labels=("kind",))


async def incidents_by_group(scope: Scope) -> list[dict[str, Any]]:
    """Incidents per group named in them (suspected or victim), by year."""
    w = _Where()
    w.add("i.archived_at IS NULL")
    w.within(scope, "i.municipality", _day("i.occurred_at", timestamp=True))
    sql = (
        f"SELECT g.name AS group_name, {_year('i.occurred_at')} AS year,"
        " COUNT(DISTINCT i.id) AS count FROM incident i"
        " JOIN incident_group ig ON ig.incident = i.id"
        ' JOIN criminal_group g ON g.id = ig."group"'
        f" WHERE {w.sql()} GROUP BY 1, 2 ORDER BY 1, 2"
    )
    return [
        {"group": r["group_name"], "year": _int(r["year"]), "count": _int(r["count"])}
        for r in await _raw(sql, w.args)
    ]


# --- time to first offer ----------------------------------------------------------------------


def _lead(context: str, source: str, source_day: str) -> str:
    """Per (person, call-in or notification): days from it to the person's first offer."""
    first = "MIN(o.offered_on)"
    # A call-in counts from when it was held; a planned or cancelled one had no audience.
    held = " AND src.status = 'held'" if context == "call_in" else ""
    return (
        f"SELECT '{context}' AS context, {_days_between(first, source_day)} AS days"
        f" FROM support_offer o JOIN {source} ON src.id = o.{context}"
        " WHERE o.archived_at IS NULL AND src.archived_at IS NULL AND {where}"
        f"{held} GROUP BY o.person, src.id, {source_day}"
    )


async def offer_lead_times(scope: Scope) -> list[dict[str, Any]]:
    """Days from a call-in or a notification to the first offer that followed it, as a
    histogram per context: (context, days, how many people)."""
    parts, args = [], []
    for context, source, source_day in (
        ("call_in", "call_in src", _day("src.starts_at", timestamp=True)),
        ("notification", "notification src", "src.delivered_on"),
    ):
        w = _Where()
        w.within(scope, "o.municipality", _day("o.offered_on", timestamp=False))
        parts.append(_lead(context, source, source_day).replace("{where}", w.sql()))
        args.extend(w.args)
    sql = (
        f"SELECT context, days, COUNT(*) AS n FROM ({' UNION ALL '.join(parts)}) AS lead"
        " WHERE days >= 0 GROUP BY context, days ORDER BY context, days"
    )
    return await _counts(sql, args, ("days", "n"), labels=("context",))


# --- follow-ups ------------------------------------------------------------------------------


async def outcomes(scope: Scope) -> list[dict[str, Any]]:
    """Individual follow-ups by phase: per life area, how many at each level."""
    w = _Where()
    w.add("f.archived_at IS NULL AND c.archived_at IS NULL")
    w.within(scope, "c.municipality", _day("f.follow_up_on", timestamp=False))
    sums = ", ".join(
        f"SUM(CASE WHEN f.{area} = '{level}' THEN 1 ELSE 0 END) AS {area}__{level}"
        for area in AREAS
        for level in LEVELS
    )
    sql = (
        f"SELECT f.phase AS phase, {sums} FROM case_follow_up f"
        ' JOIN defector_case c ON c.id = f."case"'
        f" WHERE {w.sql()} GROUP BY 1"
    )
    out: list[dict[str, Any]] = []
    for r in await _raw(sql, w.args):
        for area in AREAS:
            row: dict[str, Any] = {"phase": r["phase"], "area": area}
            row.update({level: _int(r[f"{area}__{level}"]) for level in LEVELS})
            out.append(row)
    return out


async def goals(scope: Scope) -> list[dict[str, Any]]:
    """Goal attainment: the plan items' goals rated at follow-ups (gvi.plans), per
    municipality of the case, year of the follow-up and its phase."""
    w = _Where()
    w.add("f.archived_at IS NULL AND c.archived_at IS NULL AND i.archived_at IS NULL")
    w.within(scope, "c.municipality", _day("f.follow_up_on", timestamp=False))
    sql = (
        f"SELECT mu.name AS municipality, {_year('f.follow_up_on')} AS year, f.phase AS phase,"
        " COUNT(*) AS rated,"
        " SUM(CASE WHEN r.rating = 'met' THEN 1 ELSE 0 END) AS met,"
        " SUM(CASE WHEN r.rating = 'partly' THEN 1 ELSE 0 END) AS partly,"
        " SUM(CASE WHEN r.rating = 'not_met' THEN 1 ELSE 0 END) AS not_met"
        " FROM plan_goal_rating r"
        " JOIN case_follow_up f ON f.id = r.follow_up"
        " JOIN plan_item i ON i.id = r.item"
        ' JOIN defector_case c ON c.id = f."case"'
        " JOIN municipality mu ON mu.id = c.municipality"
        f" WHERE {w.sql()} GROUP BY 1, 2, 3"
    )
    order = {"before": 0, "during": 1, "after": 2}
    rows = await _counts(
        sql, w.args, ("year", "rated", "met", "partly", "not_met"), labels=("municipality", "phase")
    )
    return sorted(rows, key=lambda r: (r["year"], r["municipality"], order.get(r["phase"], 3)))


async def municipality_names(ids: Sequence[int]) -> list[tuple[int, str]]:
    ids = list(ids) or [-1]
    sql = (
        f"SELECT id, name FROM municipality WHERE id IN ({', '.join('{}' for _ in ids)})"
        " AND archived_at IS NULL ORDER BY name"
    )
    return [(int(r["id"]), str(r["name"])) for r in await _raw(sql, ids)]
