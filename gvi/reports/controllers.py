"""Figures on the web: the dashboard at /reports, figure JSON at
/api/v1/reports/{figure}, and CSV/XLSX exports at /api/v1/reports/{figure}.csv|.xlsx.

Thin: filters are parsed here; sections, scope, suppression and audit live in
:mod:`gvi.reports.services` and :mod:`gvi.reports.exports`. Each figure has its
own routes (no string path parameters), so the access matrix lists each one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeAlias, TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core.web import page
from gvi.i18n import gettext
from gvi.networks.controllers import vendor_context
from gvi.reports import exports, services

READ = {"permission": Permission.figures_read}
CsvDialect: TypeAlias = Annotated[
    str | None,
    QueryParameter(
        description="CSV only: `excel-sv` (`;`, decimal comma, UTF-8 with BOM; the default "
        "for Swedish readers) or `rfc4180` (comma, decimal point, no BOM; the default otherwise)."
    ),
]
_T = TypeVar("_T")


class FigureReportOut(msgspec.Struct):
    """A figure as Plotly JSON, with the table behind it."""

    figure: dict[str, Any]
    webgl: bool
    table: dict[str, Any]


def _filters(
    municipality: list[int] | None, year: int | None, date_from: date | None, date_to: date | None
) -> services.Filters:
    return services.Filters(
        municipality_ids=tuple(sorted(set(municipality or []))),
        year=year if year is not None and 1900 <= year <= 2200 else None,
        date_from=date_from,
        date_to=date_to,
    )


def _file(f: exports.ExportFile) -> Response[bytes]:
    return Response(
        content=f.content,
        media_type=f.media_type,
        headers={"Content-Disposition": f'attachment; filename="{f.filename}"'},
    )


def _figure_route(name: str, fmt: str | None) -> HTTPRouteHandler:
    suffix = f".{fmt}" if fmt else ""
    route_name = f"api.reports.{name}" + (f"_{fmt}" if fmt else "")

    file_format = fmt or ""  # the export handler is only routed when there is one

    async def export(
        principal: NamedDependency[Principal],
        municipality: FromQuery[list[int] | None] = None,
        year: FromQuery[int | None] = None,
        date_from: FromQuery[date | None] = None,
        date_to: FromQuery[date | None] = None,
        dialect: CsvDialect = None,
    ) -> Response[bytes]:
        flt = _filters(municipality, year, date_from, date_to)
        return _file(await exports.export_figure(principal, name, file_format, flt, dialect))

    async def figure(
        principal: NamedDependency[Principal],
        municipality: FromQuery[list[int] | None] = None,
        year: FromQuery[int | None] = None,
        date_from: FromQuery[date | None] = None,
        date_to: FromQuery[date | None] = None,
    ) -> FigureReportOut:
        flt = _filters(municipality, year, date_from, date_to)
        report = await services.build(principal, name, flt)
        return FigureReportOut(figure=report.figure(), webgl=False, table=report.table())

    handler: Any = export if fmt else figure
    handler.__name__ = route_name.replace(".", "_")
    handler.__doc__ = f"Report {name!r}" + (f" as {fmt.upper()}." if fmt else " as figure JSON.")
    return get(
        f"/api/v1/reports/{name}{suffix}",
        opt=READ,
        name=route_name,
        tags=["reports"],
        # The documented content type of a file export.
        media_type=exports.FORMATS[fmt] if fmt else "application/json",
    )(handler)


def _follow_up_route(fmt: str) -> HTTPRouteHandler:
    async def handler(
        principal: NamedDependency[Principal],
        municipality: FromQuery[list[int] | None] = None,
        year: FromQuery[int | None] = None,
        date_from: FromQuery[date | None] = None,
        date_to: FromQuery[date | None] = None,
        dialect: CsvDialect = None,
    ) -> Response[bytes]:
        flt = _filters(municipality, year, date_from, date_to)
        return _file(await exports.export_follow_ups(principal, fmt, flt, dialect))

    handler.__name__ = f"api_reports_follow_ups_{fmt}"
    handler.__doc__ = f"Individual follow-ups, one row per case and follow-up, as {fmt.upper()}."
    return get(
        f"/api/v1/reports/follow-ups.{fmt}",
        opt=READ,
        name=f"api.reports.follow_ups_{fmt}",
        tags=["reports"],
        media_type=exports.FORMATS[fmt],
    )(handler)


def _blank_or(value: str, parse: Callable[[str], _T]) -> _T | None:
    """A filter field of the dashboard's form: the browser sends the empty ones too
    (``year=&date_from=``), and empty means no filter. Anything else must parse."""
    value = value.strip()
    if not value:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        raise ValidationException from exc


@get("/reports", opt=READ, name="reports.dashboard", include_in_schema=False)
async def dashboard(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    municipality: FromQuery[list[int] | None] = None,
    year: FromQuery[str] = "",
    date_from: FromQuery[str] = "",
    date_to: FromQuery[str] = "",
) -> Template:
    flt = _filters(
        municipality,
        _blank_or(year, int),
        _blank_or(date_from, date.fromisoformat),
        _blank_or(date_to, date.fromisoformat),
    )
    view = await services.dashboard(principal, flt)
    return page(
        request,
        "reports/dashboard.html",
        {
            **vendor_context(),
            "view": view,
            "qs": urlencode(flt.query()),
            "note": gettext(services.SUPPRESSION_NOTE),
            "can_export_follow_ups": "outcomes" in services.sections(principal)
            and principal.can(Permission.follow_ups_export),
        },
    )


REPORT_ROUTES: list[HTTPRouteHandler] = [
    dashboard,
    *(_figure_route(name, fmt) for name in services.FIGURES for fmt in (None, "csv", "xlsx")),
    _follow_up_route("csv"),
    _follow_up_route("xlsx"),
]
