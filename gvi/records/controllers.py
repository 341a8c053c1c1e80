"""The record import: the page under /records/import (with its templates and the
progress page of a background job) and the JSON API under
/api/v1/records/import.

Thin on purpose: handlers read the upload and call :mod:`gvi.records.services`
(scope, checks, writing, audit) or :mod:`gvi.records.jobs` (large uploads).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core.web import page, redirect_with_flash, translated
from gvi.i18n import N_, gettext
from gvi.records import importer, jobs, services, sheets
from gvi.records.schemas import (
    ActionCountsOut,
    ImportJobOut,
    RecordImportOut,
    RecordProblemOut,
)

IMPORT = {"permission": Permission.records_import}
UPLOAD_FIELDS = ("people", "cases", "offers", "workbook")
# Problems name a file by what it is, never by the name it was uploaded under (a file
# may be named after a person; a background job keeps its problems in the database).
FILE_LABELS = {
    "people": N_("Personer"),
    "cases": N_("Avhopparärenden"),
    "offers": N_("Erbjudanden"),
    "workbook": N_("Arbetsbok"),
}
BODY_LIMIT = len(UPLOAD_FIELDS) * importer.MAX_FILE_BYTES + 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

AnyRequest = Request[Any, Any, Any]


async def _upload(
    request: AnyRequest,
) -> tuple[dict[str, tuple[str, bytes] | None], dict[str, str]]:
    form = await request.form()
    files: dict[str, tuple[str, bytes] | None] = {}
    for name in UPLOAD_FIELDS:
        value = form.get(name)
        if isinstance(value, UploadFile) and value.filename:
            # One byte more than allowed is enough to say it is too big.
            files[name] = (
                gettext(FILE_LABELS[name]),
                await value.read(importer.MAX_FILE_BYTES + 1),
            )
        else:
            files[name] = None
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return files, fields


def report_out(result: services.ImportResult) -> RecordImportOut:
    return RecordImportOut(
        dry_run=result.dry_run,
        valid=result.ok,
        written=result.written,
        counts={kind: ActionCountsOut(**counts) for kind, counts in result.counts.items()},
        rows=result.rows,
        encodings=result.encodings,
        problems=[
            RecordProblemOut(file=p.file, line=p.line, field=p.field, message=p.message)
            for p in result.problems
        ],
    )


def job_out(job: jobs.JobView) -> ImportJobOut:
    return ImportJobOut(
        id=job.id,
        status=job.status,
        status_label=job.status_label,
        dry_run=job.dry_run,
        progress=job.progress,
        message=job.message,
        done=job.status in ("done", "failed"),
        result=report_out(job.result) if job.result else None,
    )


def _column_help() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in importer.KINDS:
        coded = importer.CODED.get(kind, {})
        out[kind] = [
            {
                "name": column,
                "swedish": sheets.swedish_header(kind, column),
                "required": column in importer.REQUIRED[kind],
                "allowed": list(coded[column]) if column in coded else [],
            }
            for column in importer.COLUMNS[kind]
        ]
    return out


def _problems_context(
    result: services.ImportResult | None, columns: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """The result, its problems by file, and each column's Swedish header: a
    problem names its column as a Swedish spreadsheet has it."""
    by_file: dict[str, list[importer.Problem]] = {}
    for problem in result.problems if result else []:
        by_file.setdefault(problem.file, []).append(problem)
    headers = {c["name"]: c["swedish"] for cols in columns.values() for c in cols}
    return {"result": result, "by_file": by_file, "headers": headers}


def _import_page(
    request: AnyRequest,
    result: services.ImportResult | None,
    *,
    dry_run: bool = True,
    status_code: int = 200,
) -> Template:
    columns = _column_help()
    return page(
        request,
        "records/import.html",
        {
            **_problems_context(result, columns),
            "dry_run": dry_run,
            "columns": columns,
            "kind_labels": translated(importer.KIND_LABELS),
            "max_mb": importer.MAX_FILE_BYTES // (1024 * 1024),
            "max_rows": importer.MAX_ROWS,
            "inline_rows": services.INLINE_ROWS,
        },
        status_code=status_code,
    )


class RecordImportPages(Controller):
    path = "/records/import"
    include_in_schema = False

    @get("/", opt=IMPORT, name="records.import_form")
    async def import_form(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Template:
        if not services.can_import(principal):
            raise NotFoundException()
        return _import_page(request, None)

    @post("/", opt=IMPORT, name="records.import", request_max_body_size=BODY_LIMIT)
    async def import_records(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        files, fields = await _upload(request)
        dry_run = "dry_run" in fields
        if services.row_estimate(files) > services.INLINE_ROWS:
            job_id = await jobs.queue_import(principal, files, dry_run=dry_run)
            return Redirect(f"/records/import/jobs/{job_id}", status_code=303)
        result = await services.import_records(principal, files, dry_run=dry_run)
        return _import_page(request, result, dry_run=dry_run, status_code=200 if result.ok else 400)

    @get("/jobs/{job_id:int}", opt=IMPORT, name="records.import_job")
    async def show_job(
        self, request: AnyRequest, principal: NamedDependency[Principal], job_id: FromPath[int]
    ) -> Template:
        job = await jobs.get_job(principal, job_id)
        return page(
            request,
            "records/job.html",
            {
                "job": job,
                **_problems_context(job.result, _column_help()),
                "kind_labels": translated(importer.KIND_LABELS),
            },
        )

    @post("/jobs/{job_id:int}/cancel", opt=IMPORT, name="records.import_job_cancel")
    async def cancel_job(
        self, request: AnyRequest, principal: NamedDependency[Principal], job_id: FromPath[int]
    ) -> Redirect:
        await jobs.cancel_import(principal, job_id)
        return redirect_with_flash(
            request, f"/records/import/jobs/{job_id}", gettext("Importen avbryts.")
        )

    @get("/template.xlsx", opt=IMPORT, name="records.template_xlsx")
    async def xlsx_template(self, principal: NamedDependency[Principal]) -> Response[bytes]:
        return Response(
            sheets.xlsx_template(),
            media_type=XLSX,
            headers={"Content-Disposition": 'attachment; filename="gvi-import.xlsx"'},
        )

    @get("/templates/{kind:str}", opt=IMPORT, name="records.template_csv")
    async def csv_template(
        self, principal: NamedDependency[Principal], kind: FromPath[str]
    ) -> Response[bytes]:
        # /templates/people.csv; Litestar's path parameters take whole segments.
        kind = kind.removesuffix(".csv")
        if kind not in importer.KINDS:
            raise NotFoundException()
        return Response(
            sheets.csv_template(kind),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="gvi-import-{kind}.csv"'},
        )


class RecordImportApi(Controller):
    path = "/api/v1/records/import"
    tags = ["records"]

    @post(
        "/",
        opt=IMPORT,
        name="api.records.import",
        request_max_body_size=BODY_LIMIT,
        status_code=200,
        responses={
            202: ResponseSpec(ImportJobOut, description="Queued as a background job."),
            422: ResponseSpec(
                RecordImportOut, description="The upload has problems: none written."
            ),
        },
    )
    async def import_records(
        self, request: AnyRequest, principal: NamedDependency[Principal]
    ) -> Response[RecordImportOut | ImportJobOut]:
        """Multipart form: files ``people``, ``cases``, ``offers`` (CSV or XLSX) or
        ``workbook`` (XLSX, a sheet per kind), and ``dry_run`` (true unless "false").
        200 when valid (written unless a dry run), 422 with every problem otherwise;
        a large upload (or ``background=true``) is queued: 202 with the job to poll."""
        files, fields = await _upload(request)
        dry_run = fields.get("dry_run", "true").strip().lower() not in ("false", "0", "no", "off")
        background = fields.get("background", "").strip().lower() in ("true", "1", "yes")
        if background or services.row_estimate(files) > services.INLINE_ROWS:
            job_id = await jobs.queue_import(principal, files, dry_run=dry_run)
            return Response(job_out(await jobs.get_job(principal, job_id)), status_code=202)
        result = await services.import_records(principal, files, dry_run=dry_run)
        return Response(report_out(result), status_code=200 if result.ok else 422)

    @get("/jobs/{job_id:int}", opt=IMPORT, name="api.records.import_job")
    async def show_job(
        self, principal: NamedDependency[Principal], job_id: FromPath[int]
    ) -> ImportJobOut:
        return job_out(await jobs.get_job(principal, job_id))

    @post(
        "/jobs/{job_id:int}/cancel",
        opt=IMPORT,
        name="api.records.import_job_cancel",
        status_code=200,
    )
    async def cancel_job(
        self, principal: NamedDependency[Principal], job_id: FromPath[int]
    ) -> ImportJobOut:
        """Cancel: a queued job ends now, a running one stops at its next step and
        writes nothing (status ``cancelling``, then ``cancelled``)."""
        await jobs.cancel_import(principal, job_id)
        return job_out(await jobs.get_job(principal, job_id))


RECORD_ROUTES = [RecordImportPages, RecordImportApi]
