"""Figures for the dashboards and exports: which reader sees which section, the
derived values (shares, change from the year before, median), and small-cell
suppression (architecture §4.6: aggregates with cells < 5 are suppressed).

Suppression rule: for an analyst, and in every export whoever asks, any count
below 5 is replaced by ``"<5"`` and every value derived from such a count
(share, rate, change, mean, median) is replaced by ``"<5"`` as well. Other
roles see exact numbers on screen. The aggregates come from
:mod:`gvi.reports.queries` (SQL); nothing here counts rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.core.clock import today
from gvi.core.failures import NotVisible
from gvi.i18n import N_, gettext
from gvi.outreach.labels import FUNNEL_LABELS
from gvi.reports import charts, queries
from gvi.support.forms import PROVIDER_KIND_LABELS
from gvi.support.transitions import CATEGORY_LABELS

SUPPRESSED = charts.SUPPRESSED
SMALL = 5
SUPPRESSION_NOTE = N_(
    "Antal under 5 visas som \u201d<5\u201d, och andelar och förändringar som bygger på dem "
    "visas inte, så att ingen enskild person kan pekas ut."
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # text, year, count, percent, days, change
    # Counts this value is derived from: suppressed if any of them is.
    depends: tuple[str, ...] = ()


@dataclass
class Report:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: charts.ChartSpec
    suppressed_cells: int = 0
    suppression_applied: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def note(self) -> str | None:
        return (
            gettext(SUPPRESSION_NOTE)
            if self.suppression_applied and self.suppressed_cells
            else None
        )

    def figure(self) -> dict[str, Any]:
        labels = {c.key: c.label for c in self.columns}
        return charts.figure(self.title, self.rows, self.chart, labels)

    def table(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [{c.key: r.get(c.key) for c in self.columns} for r in self.rows],
            "suppressed_cells": self.suppressed_cells,
            "note": self.note,
        }


@dataclass(frozen=True)
class Filters:
    municipality_ids: tuple[int, ...] = ()
    year: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def query(self) -> list[tuple[str, str]]:
        out = [("municipality", str(m)) for m in self.municipality_ids]
        if self.year is not None:
            out.append(("year", str(self.year)))
        if self.date_from is not None:
            out.append(("date_from", self.date_from.isoformat()))
        if self.date_to is not None:
            out.append(("date_to", self.date_to.isoformat()))
        return out


def scope_for(principal: Principal, filters: Filters) -> queries.Scope:
    """The principal's municipalities, narrowed by the filter (never widened)."""
    own = set(principal.municipality_ids)
    chosen = own & set(filters.municipality_ids) if filters.municipality_ids else own
    start, end = filters.date_from, filters.date_to
    if filters.year is not None:
        y0, y1 = date(filters.year, 1, 1), date(filters.year, 12, 31)
        start = max(start, y0) if start else y0
        end = min(end, y1) if end else y1
    return queries.Scope(tuple(sorted(chosen)), start, end)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- the figures -------------------------------------------------------------------------

OUTCOME_LABELS = {
    "planned": N_("Planerad"),
    "delivered": N_("Levererad"),
    "refused": N_("Avböjd"),
    "not_found": N_("Ej anträffad"),
}
PHASE_LABELS = {"before": N_("Före"), "during": N_("Under"), "after": N_("Efter")}
AREA_LABELS = {
    "housing": N_("Boende"),
    "occupation": N_("Sysselsättning"),
    "criminality": N_("Kriminalitet"),
    "substance_use": N_("Missbruk"),
    "safety": N_("Säkerhet"),
}
KIND_LABELS = {
    "shooting": N_("Skjutning"),
    "explosion": N_("Sprängning"),
    "stabbing": N_("Knivvåld"),
    "threat": N_("Hot"),
    "other": N_("Annat"),
}


# A transfer moves a case's unit, never its home municipality (gvi/defectors/services/transfers.py).
CASE_COUNTING_RULE = N_(
    "Ett ärende räknas i den kommun och det år det öppnades, även om det senare har flyttats "
    "till en annan enhet."
)


async def _cases(scope: queries.Scope) -> Report:
    rows = await queries.cases(scope)
    for r in rows:
        r["share"] = _share(r["led"], r["cases"])
    return Report(
        "cases",
        gettext("Avhopparärenden per kommun och år"),
        [
            Column("municipality", gettext("Kommun"), "text"),
            Column("year", gettext("År"), "year"),
            Column("cases", gettext("Ärenden")),
            Column("led", gettext("Ledde till insats")),
            Column("share", gettext("Andel med insats"), "percent", ("led", "cases")),
        ],
        rows,
        charts.ChartSpec("year", ("cases", "led")),
        notes=[gettext(CASE_COUNTING_RULE)],
    )


def _with_change(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    prev: dict[str, Any] | None = None
    for r in rows:
        if prev is not None and prev["year"] == r["year"] - 1:
            r["prev_applications"] = prev["applications"]
            r["change"] = r["applications"] - prev["applications"]
            r["change_pct"] = _share(r["change"], prev["applications"])
        else:
            r["prev_applications"] = None
            r["change"] = None
            r["change_pct"] = None
        prev = r
    return rows


async def _grants(scope: queries.Scope) -> Report:
    rows = _with_change(await queries.grants(scope))
    return Report(
        "grants",
        gettext("Ansökningar om statsbidrag per år"),
        [
            Column("year", gettext("År"), "year"),
            Column("applications", gettext("Ansökningar")),
            Column(
                "change", gettext("Förändring"), "change", ("applications", "prev_applications")
            ),
            Column(
                "change_pct",
                gettext("Förändring (%)"),
                "percent",
                ("applications", "prev_applications"),
            ),
            Column("granted", gettext("Beviljade")),
        ],
        rows,
        charts.ChartSpec("year", ("applications", "granted")),
    )


async def _applicants(scope: queries.Scope) -> Report:
    rows = [
        {"year": r["year"], "municipalities": r["municipalities"]}
        for r in await queries.grants(scope)
    ]
    return Report(
        "applicants",
        gettext("Kommuner som ansökt per år"),
        [Column("year", gettext("År"), "year"), Column("municipalities", gettext("Kommuner"))],
        rows,
        charts.ChartSpec("year", ("municipalities",)),
    )


async def _callins(scope: queries.Scope) -> Report:
    rows = await queries.callins(scope)
    for r in rows:
        r["attendance"] = _share(r["attended"], r["invited"])
    return Report(
        "callins",
        gettext("Call-ins per år"),
        [
            Column("year", gettext("År"), "year"),
            Column("held", gettext("Genomförda")),
            Column("invited", gettext("Inbjudna")),
            Column("attended", gettext("Närvarande")),
            Column("attendance", gettext("Andel närvarande"), "percent", ("attended", "invited")),
            Column("groups", gettext("Grupper som nåtts")),
        ],
        rows,
        charts.ChartSpec("year", ("invited", "attended")),
    )


async def _notifications(scope: queries.Scope) -> Report:
    rows = await queries.notifications(scope)
    for r in rows:
        r["label"] = gettext(OUTCOME_LABELS.get(r["outcome"], r["outcome"]))
    return Report(
        "notifications",
        gettext("Individuella budskap efter utfall"),
        [Column("label", gettext("Utfall"), "text"), Column("count", gettext("Antal"))],
        rows,
        charts.ChartSpec("label", ("count",)),
    )


async def _offers(scope: queries.Scope) -> Report:
    rows = await queries.offers(scope)
    for r in rows:
        r["label"] = gettext(CATEGORY_LABELS.get(r["category"], r["category"]))
        r["acceptance"] = _share(r["accepted"], r["offered"])
        r["completion"] = _share(r["completed"], r["accepted"])
    return Report(
        "offers",
        gettext("Erbjudanden om stöd per kategori"),
        [
            Column("label", gettext("Kategori"), "text"),
            Column("offered", gettext("Erbjudna")),
            Column("accepted", gettext("Accepterade")),
            Column("completed", gettext("Genomförda")),
            Column("acceptance", gettext("Andel accepterade"), "percent", ("accepted", "offered")),
            Column("completion", gettext("Andel genomförda"), "percent", ("completed", "accepted")),
        ],
        rows,
        charts.ChartSpec("label", ("offered", "accepted", "completed")),
    )


async def _providers(scope: queries.Scope) -> Report:
    on = min(scope.date_to, today()) if scope.date_to else today()
    rows = await queries.providers(scope, on)
    for r in rows:
        r["label"] = gettext(PROVIDER_KIND_LABELS.get(r["kind"], r["kind"]))
        r["share"] = _share(r["approved"], r["providers"])
    return Report(
        "providers",
        gettext("Utförare med godkänd kontroll de senaste 12 månaderna"),
        [
            Column("label", gettext("Typ"), "text"),
            Column("providers", gettext("Aktiva utförare")),
            Column("approved", gettext("Med godkänd kontroll")),
            Column(
                "share", gettext("Andel med godkänd kontroll"), "percent", ("approved", "providers")
            ),
            Column("open_deviations", gettext("Öppna avvikelser")),
        ],
        rows,
        charts.ChartSpec("label", ("providers", "approved")),
        notes=[
            gettext(
                "Räknat den %(day)s: en dokumentkontroll eller ett uppföljningsbesök med "
                "resultatet godkänd under de tolv månaderna fram till dess. Utförare utan kommun "
                "räknas med i varje urval."
            )
            % {"day": on.isoformat()}
        ],
    )


async def _reach(scope: queries.Scope) -> Report:
    rows = await queries.reach(scope)
    for r in rows:
        r["label"] = gettext(FUNNEL_LABELS.get(r["channel"], r["channel"]))
        r["led_share"] = _share(r["led"], r["applied"])
    return Report(
        "reach",
        gettext("Nåbarhetstrappan: nådda, ansökte och ledde till insats, per kanal"),
        [
            Column("municipality", gettext("Kommun"), "text"),
            Column("year", gettext("År"), "year"),
            Column("label", gettext("Kanal"), "text"),
            Column("reached", gettext("Nådda")),
            Column("applied", gettext("Ansökte (ärende öppnat)")),
            Column("led", gettext("Ledde till insats")),
            Column("led_share", gettext("Andel med insats"), "percent", ("led", "applied")),
        ],
        rows,
        charts.ChartSpec("label", ("reached", "applied", "led")),
        notes=[
            gettext(
                "Nådda: summan av antalen i loggen över uppsökande arbete det året. Ansökte: "
                "avhopparärenden som öppnades det året, efter ärendets källa (Egen kontakt: "
                "personen hörde av sig själv). Ett ärende räknas det år och i den kommun där "
                "det öppnades."
            )
        ],
    )


async def _methods(scope: queries.Scope) -> Report:
    rows = await queries.methods(scope)
    for r in rows:
        r["share"] = _share(r["scientific"], r["started"])
    return Report(
        "methods",
        gettext("Påbörjade insatser med vetenskapligt stöd per kommun och år"),
        [
            Column("municipality", gettext("Kommun"), "text"),
            Column("year", gettext("År"), "year"),
            Column("started", gettext("Påbörjade insatser")),
            Column("scientific", gettext("Med vetenskapligt stöd")),
            Column("unnamed", gettext("Utan angiven metod")),
            Column(
                "share",
                gettext("Andel med vetenskapligt stöd"),
                "percent",
                ("scientific", "started"),
            ),
        ],
        rows,
        charts.ChartSpec("year", ("started", "scientific")),
        notes=[
            gettext(
                "En insats räknas det år den påbörjades, i erbjudandets kommun. Metodens "
                "evidensnivå är den som står i metodkatalogen nu."
            )
        ],
    )


async def _goals(scope: queries.Scope) -> Report:
    rows = await queries.goals(scope)
    for r in rows:
        r["phase_label"] = gettext(PHASE_LABELS.get(r["phase"], r["phase"]))
        r["label"] = f"{r['year']} {r['phase_label']}"
        r["share"] = _share(r["met"], r["rated"])
    return Report(
        "goals",
        gettext("Måluppfyllelse i ärendeplanerna vid uppföljning"),
        [
            Column("municipality", gettext("Kommun"), "text"),
            Column("year", gettext("År"), "year"),
            Column("phase_label", gettext("Skede"), "text"),
            Column("rated", gettext("Bedömda mål")),
            Column("met", gettext("Uppnådda")),
            Column("partly", gettext("Delvis uppnådda")),
            Column("not_met", gettext("Inte uppnådda")),
            Column("share", gettext("Andel uppnådda"), "percent", ("met", "rated")),
        ],
        rows,
        charts.ChartSpec("label", ("met", "partly", "not_met")),
        notes=[
            gettext(
                "Varje mål i ärendeplanen bedöms vid uppföljningarna före, under och efter. Ett "
                "mål räknas det år uppföljningen gjordes, i den kommun där ärendet öppnades."
            )
        ],
    )


def _median(histogram: list[tuple[int, int]]) -> float | None:
    """The median of values given as (value, how many), in ascending order."""
    total = sum(n for _, n in histogram)
    if not total:
        return None
    lo, hi = (total - 1) // 2, total // 2
    seen, found = 0, []
    for value, n in histogram:
        for idx in (lo, hi):
            if seen <= idx < seen + n:
                found.append(value)
        seen += n
    return sum(found) / len(found)


async def _promises(scope: queries.Scope) -> Report:
    rows, histogram = await queries.promises(scope)
    by_year: dict[int, list[tuple[int, int]]] = {}
    for h in histogram:
        by_year.setdefault(h["year"], []).append((h["days"], h["n"]))
    for r in rows:
        r["kept_share"] = _share(r["kept"], r["triggering"])
        r["median_days"] = _median(by_year.get(r["year"], []))
    return Report(
        "promises",
        gettext("Löften som hållits: insatser efter utlösande händelser"),
        [
            Column("year", gettext("År"), "year"),
            Column("triggering", gettext("Utlösande händelser")),
            Column("kept", gettext("Följda av genomförd insats")),
            Column("kept_share", gettext("Andel hållna löften"), "percent", ("kept", "triggering")),
            Column("actions", gettext("Genomförda insatser")),
            Column("mean_days", gettext("Dagar till första insats (medel)"), "days", ("kept",)),
            Column("median_days", gettext("Dagar till första insats (median)"), "days", ("kept",)),
        ],
        rows,
        charts.ChartSpec("year", ("triggering", "kept")),
    )


async def _incidents(scope: queries.Scope) -> Report:
    cells = await queries.incidents(scope)
    kinds = [k for k in KIND_LABELS if any(c["kind"] == k for c in cells)]
    by_year: dict[int, dict[str, Any]] = {}
    for c in cells:
        row = by_year.setdefault(c["year"], {"year": c["year"], **dict.fromkeys(kinds, 0)})
        row[c["kind"]] = c["count"]
    rows = [by_year[y] for y in sorted(by_year)]
    for r in rows:
        r["total"] = sum(r[k] for k in kinds)
    return Report(
        "incidents",
        gettext("Våldshändelser per år och typ"),
        [Column("year", gettext("År"), "year")]
        + [Column(k, gettext(KIND_LABELS[k])) for k in kinds]
        + [Column("total", gettext("Totalt"))],
        rows,
        charts.ChartSpec("year", tuple(kinds)),
    )


async def _incident_groups(scope: queries.Scope) -> Report:
    rows = await queries.incidents_by_group(scope)
    years = sorted({r["year"] for r in rows})
    by_group: dict[str, dict[str, Any]] = {}
    for r in rows:
        row = by_group.setdefault(r["group"], {"group": r["group"], **{f"y{y}": 0 for y in years}})
        row[f"y{r['year']}"] = r["count"]
    out = [by_group[g] for g in sorted(by_group, key=str.casefold)]
    for r in out:
        r["total"] = sum(r[f"y{y}"] for y in years)
    return Report(
        "incident_groups",
        gettext("Våldshändelser per grupp och år"),
        [Column("group", gettext("Grupp"), "text")]
        + [Column(f"y{y}", str(y)) for y in years]
        + [Column("total", gettext("Totalt"))],
        out,
        charts.ChartSpec("group", tuple(f"y{y}" for y in years)),
    )


LEAD_LABELS = {"call_in": N_("Efter call-in"), "notification": N_("Efter individuellt budskap")}


async def _offer_lead(scope: queries.Scope) -> Report:
    histogram = await queries.offer_lead_times(scope)
    per: dict[str, list[tuple[int, int]]] = {}
    for h in histogram:
        per.setdefault(h["context"], []).append((h["days"], h["n"]))
    rows = []
    for context, label in LEAD_LABELS.items():
        hist = per.get(context, [])
        people = sum(n for _, n in hist)
        rows.append(
            {
                "label": gettext(label),
                "people": people,
                "mean_days": sum(d * n for d, n in hist) / people if people else None,
                "median_days": _median(hist),
            }
        )
    return Report(
        "offer_lead",
        gettext("Tid till första erbjudande efter call-in eller individuellt budskap"),
        [
            Column("label", gettext("Efter"), "text"),
            Column("people", gettext("Personer med erbjudande")),
            Column("mean_days", gettext("Dagar (medel)"), "days", ("people",)),
            Column("median_days", gettext("Dagar (median)"), "days", ("people",)),
        ],
        rows,
        charts.ChartSpec("label", ("mean_days", "median_days")),
    )


async def _outcomes(scope: queries.Scope) -> Report:
    rows = await queries.outcomes(scope)
    order = {p: i for i, p in enumerate(PHASE_LABELS)}
    rows.sort(key=lambda r: (queries.AREAS.index(r["area"]), order.get(r["phase"], 9)))
    for r in rows:
        r["phase_label"] = gettext(PHASE_LABELS.get(r["phase"], r["phase"]))
        r["area_label"] = gettext(AREA_LABELS.get(r["area"], r["area"]))
        r["label"] = f"{r['area_label']}: {r['phase_label']}"
    return Report(
        "outcomes",
        gettext("Utfall vid uppföljning (före, under, efter)"),
        [
            Column("area_label", gettext("Område"), "text"),
            Column("phase_label", gettext("Skede"), "text"),
            Column("good", gettext("Bra")),
            Column("partly", gettext("Delvis")),
            Column("poor", gettext("Dåligt")),
            Column("unknown", gettext("Okänt")),
        ],
        rows,
        charts.ChartSpec("label", ("good", "partly", "poor")),
    )


BUILDERS: dict[str, Callable[[queries.Scope], Awaitable[Report]]] = {
    "cases": _cases,
    "grants": _grants,
    "applicants": _applicants,
    "callins": _callins,
    "notifications": _notifications,
    "offers": _offers,
    "methods": _methods,
    "goals": _goals,
    "reach": _reach,
    "providers": _providers,
    "promises": _promises,
    "incidents": _incidents,
    "incident_groups": _incident_groups,
    "offer_lead": _offer_lead,
    "outcomes": _outcomes,
}
FIGURES = tuple(BUILDERS)

SECTIONS: dict[Role, tuple[str, ...]] = {
    # Incidents are for police and coordinators only.
    Role.analyst: tuple(f for f in FIGURES if f not in ("incidents", "incident_groups")),
    Role.outreach: (
        "cases",
        "grants",
        "applicants",
        "offers",
        "methods",
        "goals",
        "reach",
        "providers",
        "offer_lead",
        "outcomes",
    ),
    Role.police: ("promises", "incidents", "incident_groups"),
    Role.coordinator: (
        "callins",
        "notifications",
        "offer_lead",
        "promises",
        "incidents",
        "incident_groups",
    ),
}


def sections(principal: Principal) -> tuple[str, ...]:
    if not principal.can(Permission.figures_read):
        return ()
    return SECTIONS.get(principal.role, ())


def must_suppress(principal: Principal, *, export: bool) -> bool:
    return export or principal.pseudonymous_only


def suppress(report: Report) -> Report:
    """Replace counts < 5, and every value derived from one, by "<5"."""
    small: list[set[str]] = []
    count_keys = {c.key for c in report.columns if c.kind == "count"}
    hidden = {k for c in report.columns for k in c.depends} - {c.key for c in report.columns}
    for r in report.rows:
        keys = {
            k
            for k in count_keys | hidden
            if isinstance(r.get(k), int) and not isinstance(r.get(k), bool) and r[k] < SMALL
        }
        small.append(keys)
    cells = 0
    for r, keys in zip(report.rows, small, strict=True):
        for c in report.columns:
            if c.key in keys or (c.depends and keys & set(c.depends) and r.get(c.key) is not None):
                r[c.key] = SUPPRESSED
                cells += 1
        for k in hidden:
            r.pop(k, None)
    report.suppressed_cells = cells
    report.suppression_applied = True
    return report


async def build(
    principal: Principal, name: str, filters: Filters, *, export: bool = False
) -> Report:
    """One figure for this reader; 404 for a figure outside the reader's sections."""
    if name not in sections(principal):
        raise NotVisible()
    report = await BUILDERS[name](scope_for(principal, filters))
    if must_suppress(principal, export=export):
        return suppress(report)
    hidden = {k for c in report.columns for k in c.depends} - {c.key for c in report.columns}
    for r in report.rows:
        for k in hidden:
            r.pop(k, None)
    return report


@dataclass
class Dashboard:
    reports: list[Report]
    municipalities: list[tuple[int, str]]
    filters: Filters
    suppressed: bool


async def dashboard(principal: Principal, filters: Filters) -> Dashboard:
    names = sections(principal)
    if not names:
        raise NotVisible()
    reports = [await build(principal, n, filters) for n in names]
    return Dashboard(
        reports=reports,
        municipalities=await queries.municipality_names(sorted(principal.municipality_ids)),
        filters=filters,
        suppressed=must_suppress(principal, export=False),
    )
